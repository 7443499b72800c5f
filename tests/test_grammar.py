"""The composing rule grammar ([slots] x frames, docs/rules-format.md "Slots"), every language.

One parametrised test over data tables: a target and a predicate that appear together in no
dev-set sentence must cue (the grammar composes, it does not list sentences), and the guards
(negation of the claim, reported and quoted speech, counter-speech, objects, neutral mentions)
keep the same slots quiet.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.loader import check_rules
from voiceassist.escalation.slots import SlotError, expand
from voiceassist.events import Cue, Transcript

ROOT = Path(__file__).resolve().parent.parent

#: (lang, category, utterance): combinations written for this test, absent from the dev sets.
UNSEEN = [
    ("en", "racism", "arabs frankly are cockroaches"),
    ("en", "hate", "bisexuals in my view are all degenerates"),
    ("en", "racism", "romanian people are not even human"),
    ("en", "sexism", "girls should not be allowed to vote"),
    ("en", "hate", "nobody wants autistic people here"),
    ("en", "threat", "im going to walk over there and strangle you"),
    ("en", "threat", "i hope somebody shoots you"),
    ("en", "abuse", "you are basically a total clown"),
    ("en", "hate", "why dont we deport all the muslims"),
    ("es", "racism", "los rumanos francamente son unas ratas"),
    ("es", "hate", "las lesbianas no son normales"),
    ("es", "threat", "vamos a ir a tu casa y reventarte"),
    ("es", "sexism", "las feministas en mi opinion son todas idiotas"),
    ("es", "hate", "nadie quiere a esos judios"),
    ("it", "racism", "i rumeni sinceramente sono tutti parassiti"),
    ("it", "hate", "le lesbiche non sono normali"),
    ("it", "threat", "torno sotto casa tua e ammazzarti"),
    ("it", "sexism", "le femministe secondo me sono delle cretine"),
    ("pl", "racism", "wietnamczycy szczerze mówiąc są zwykłymi złodziejami"),
    ("pl", "hate", "lesbijki nie są normalne"),
    ("pl", "threat", "przyjedziemy pod twój dom i cię zatłukę"),
    ("pl", "sexism", "feministki moim zdaniem to idiotki"),
    ("pl", "hate", "czemu nie wygonimy tych pedałów"),
    ("ko", "racism", "흑인들은 원래 다 원숭이야"),
    ("ko", "hate", "트랜스젠더들은 사라져야 돼"),
    ("ko", "threat", "찾아가서 진짜 너 박살낸다"),
    ("ko", "sexism", "페미들은 하나같이 정신병자야"),
]

#: (lang, utterance): the same slots behind a guard, or in a neutral or positive frame.
QUIET = [
    ("en", "arabs are not cockroaches"),
    ("en", "my brother said bisexuals are degenerates and i told him off"),
    ("en", "saying romanian people are criminals is racist"),
    ("en", "girls should be allowed to vote"),
    ("en", "autistic people are brilliant engineers"),
    ("en", "im going to walk over there and strangle the printer"),
    ("en", "i hope somebody calls you back"),
    ("en", "arabs in my street are lovely"),
    ("es", "los rumanos no son ratas"),
    ("es", "mi cuñado dice que las lesbianas no son normales"),
    ("es", "vamos a ir a tu casa a recoger el paquete"),
    ("es", "las feministas son muy trabajadoras"),
    ("it", "i rumeni non sono parassiti"),
    ("it", "mia zia dice che le lesbiche non sono normali"),
    ("it", "le femministe sono molto brave"),
    ("pl", "wietnamczycy nie są złodziejami"),
    ("pl", "sąsiad mówi że lesbijki nie są normalne"),
    ("pl", "przyjedziemy pod twój dom i odbierzemy router"),
    ("pl", "feministki są bardzo mądre"),
    ("ko", "흑인들은 원숭이가 아니다"),
    ("ko", "남편이 트랜스젠더들은 사라져야 한다고 해서 싸웠어요"),
    ("ko", "찾아가서 서류 받아올게요"),
    ("ko", "난민들 쓰레기 버리는 곳 알려주세요"),
]

_ENGINES: dict[str, object] = {}


def run(lang: str, *turns: str) -> list[Cue]:
    eng = _ENGINES.get(lang)
    if eng is None:
        eng = _ENGINES[lang] = load_engine(lang)
    eng.reset()  # type: ignore[attr-defined]
    out: list[Cue] = []
    for k, text in enumerate(turns):
        s = k * 4000
        out += eng.process(  # type: ignore[attr-defined]
            Transcript("caller", "final", text, s, s + 3500, words_for(text, s, s + 3500), k)
        )
    return out


def _devset_texts(lang: str) -> set[str]:
    lines = (ROOT / "tests/data/devset" / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()
    rows = (json.loads(x) for x in lines if x)
    return {t.casefold() for r in rows for t in r["turns"]}


@pytest.mark.parametrize(("lang", "category", "text"), UNSEEN)
def test_unseen_combination_fires(lang: str, category: str, text: str) -> None:
    assert text.casefold() not in _devset_texts(lang), "an unseen combination must not be in the dev set"
    cats = {c.category for c in run(lang, text)}
    assert category in cats, (text, cats)


@pytest.mark.parametrize(("lang", "text"), QUIET)
def test_guards_keep_the_grammar_quiet(lang: str, text: str) -> None:
    assert run(lang, text) == [], text


def test_expand_composes_slots() -> None:
    slots = {"g": ["women", "@adj people"], "adj": ["gay", "old"], "p": ["stupid", "a disgrace"]}
    got = expand("@g ..2 are @p|lazy", slots)
    assert got == [
        "women ..2 are stupid|lazy",
        "women ..2 are a disgrace",
        "gay|old people ..2 are stupid|lazy",
        "gay|old people ..2 are a disgrace",
    ]
    with pytest.raises(SlotError, match="unknown slot @nope"):
        expand("@nope are", slots)
    with pytest.raises(SlotError, match="refers to itself"):
        expand("@a", {"a": ["@b"], "b": ["@a"]})


def test_rules_check_reports_slot_problems_with_file_and_line(tmp_path: Path) -> None:
    d = tmp_path / "site" / "en" / "lexicon"
    d.mkdir(parents=True)
    (d / "site.toml").write_text(
        '[slots]\nok = ["a"]\nloop = ["@loop2"]\nloop2 = ["@loop"]\n\n'
        '[[entry]]\nid = "x.one"\ncategory = "abuse"\nform = "insult"\n'
        'patterns = [\n    "@ok ..2 @missing",\n]\n',
        encoding="utf-8",
    )
    problems = [str(p) for p in check_rules([tmp_path / "site"])]
    f = f"{d}/site.toml"
    assert any(p.startswith(f"{f}:3: ") and "refers to itself" in p for p in problems), problems
    want = f"{f}:11: bad pattern '@ok ..2 @missing': unknown slot @missing"
    assert any(p.startswith(want) for p in problems), problems
