"""Coaching rules: the shipped policy and lexicons are valid; each language finds its agent-side
phrases and markers in ordinary call-centre sentences and not in harmless ones; broken files are
reported as file:line problems and stop the engine from loading."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from voiceassist.coaching.lexicon import MARKERS, load_lexicon
from voiceassist.coaching.loader import check_coaching, load_coaching, rule_layers
from voiceassist.coaching.policy import SIGNALS
from voiceassist.errors import ConfigError
from voiceassist.langs import LANGS
from voiceassist.paths import shipped_rules_dir

#: (agent sentence, the entry kind it must raise, or None for nothing)
AGENT: dict[str, list[tuple[str, str | None]]] = {
    "en": [
        ("I'm afraid that's company policy.", "rulebook"),
        ("There's nothing more I can do.", "dead_end"),
        ("That's not my department, you'll need to call a different number.", "brush_off"),
        ("Like I said, it's really simple.", "condescension"),
        ("The provisioning failed on the backend.", "jargon"),
        ("Can I take your account number?", "data_first"),
        ("Let me look into that for you right away.", None),
        ("I can send you a replacement today.", None),
    ],
    "it": [
        ("Purtroppo è la nostra politica.", "rulebook"),
        ("Non posso fare niente.", "dead_end"),
        ("Non è di mia competenza, deve chiamare un altro numero.", "brush_off"),
        ("Come le ho già detto, è molto semplice.", "condescension"),
        ("Il provisioning sul backend non è andato a buon fine.", "jargon"),
        ("Mi dà il suo codice cliente?", "data_first"),
        ("Controllo subito la sua spedizione.", None),
        ("Le mando un nuovo modem domani.", None),
    ],
    "pl": [
        ("Niestety taka jest polityka firmy.", "rulebook"),
        ("Nic więcej nie mogę zrobić.", "dead_end"),
        ("To nie mój dział, musi pan zadzwonić pod inny numer.", "brush_off"),
        ("Jak już mówiłam, to jest bardzo proste.", "condescension"),
        ("Provisioning na backendzie się nie udał.", "jargon"),
        ("Proszę podać numer klienta.", "data_first"),
        ("Zaraz sprawdzę status przesyłki.", None),
        ("Wyślę nowy router jutro rano.", None),
    ],
    "es": [
        ("Lo siento, es la política de la empresa.", "rulebook"),
        ("No puedo hacer nada más.", "dead_end"),
        ("No es mi departamento, tiene que llamar a otro número.", "brush_off"),
        ("Como ya le he dicho, es muy sencillo.", "condescension"),
        ("El provisionamiento en el backend ha fallado.", "jargon"),
        ("¿Me da su número de cliente?", "data_first"),
        ("Ahora mismo reviso su pedido.", None),
        ("Le envío un router nuevo mañana.", None),
    ],
    "ko": [
        ("죄송하지만 회사 규정상 어렵습니다", "rulebook"),
        ("제가 해 드릴 수 있는 게 없어요", "dead_end"),
        ("저희 부서가 아니라서 다른 번호로 전화하셔야 해요", "brush_off"),
        ("아까 말씀드렸잖아요 정말 간단해요", "condescension"),
        ("백엔드에서 프로비저닝이 실패했습니다", "jargon"),
        ("고객 번호를 말씀해 주세요", "data_first"),
        ("지금 바로 배송 상태를 확인해 볼게요", None),
        ("내일 새 공유기를 보내 드리겠습니다", None),
    ],
}

#: (sentence, marker list that must match, or None for none of acknowledgement/explanation/alternative)
MARKER_CASES: dict[str, list[tuple[str, str | None]]] = {
    "en": [
        ("I completely understand, that sounds awful.", "acknowledgement"),
        ("We ask for it because it protects your account.", "explanation"),
        ("What I can do instead is book you a visit.", "alternative"),
        ("I'm so frustrated with all this.", "caller_feeling"),
        ("It still doesn't work after the update.", "caller_problem"),
        ("The engineer comes on Thursday.", None),
    ],
    "it": [
        ("Capisco, mi dispiace davvero.", "acknowledgement"),
        ("Lo chiediamo perché protegge il suo conto.", "explanation"),
        ("In alternativa posso prenotarle un tecnico.", "alternative"),
        ("Sono davvero stufo di questa storia.", "caller_feeling"),
        ("Il modem non funziona più.", "caller_problem"),
        ("Il tecnico arriva giovedì.", None),
    ],
    "pl": [
        ("Rozumiem, bardzo mi przykro.", "acknowledgement"),
        ("Prosimy o to, ponieważ chroni to pana konto.", "explanation"),
        ("Mogę natomiast umówić technika.", "alternative"),
        ("Jestem naprawdę zdenerwowany.", "caller_feeling"),
        ("Router nie działa od rana.", "caller_problem"),
        ("Technik przyjdzie w czwartek.", None),
    ],
    "es": [
        ("Le entiendo, lo siento mucho.", "acknowledgement"),
        ("Lo pedimos porque protege su cuenta.", "explanation"),
        ("Como alternativa puedo enviarle un técnico.", "alternative"),
        ("Estoy muy harta de todo esto.", "caller_feeling"),
        ("El router no funciona desde ayer.", "caller_problem"),
        ("El técnico llega el jueves.", None),
    ],
    "ko": [
        ("충분히 이해합니다 많이 불편하셨죠", "acknowledgement"),
        ("고객님 계정을 보호하기 때문에 필요합니다", "explanation"),
        ("대신 기사님 방문을 잡아 드릴게요", "alternative"),
        ("정말 짜증나요", "caller_feeling"),
        ("인터넷이 안 돼요", "caller_problem"),
        ("기사님이 목요일에 방문합니다", None),
    ],
}


def test_shipped_coaching_rules_are_valid() -> None:
    assert check_coaching() == []
    for lang in LANGS:
        lex = load_lexicon(lang, rule_layers())
        assert set(lex.texts) == set(SIGNALS), lang
        for sig, words in lex.texts.items():
            assert 1 <= len(words.say.split()) <= 4, (lang, sig)


@pytest.mark.parametrize("lang", LANGS)
def test_agent_phrases_per_language(lang: str) -> None:
    lex = load_lexicon(lang, rule_layers())
    for sentence, kind in AGENT[lang]:
        kinds = {m.payload.kind for m in lex.find(lex.tokens(sentence))}
        if kind is None:
            assert not kinds, (sentence, kinds)
        else:
            assert kind in kinds, (sentence, kinds)


@pytest.mark.parametrize("lang", LANGS)
def test_markers_per_language(lang: str) -> None:
    lex = load_lexicon(lang, rule_layers())
    for sentence, marker in MARKER_CASES[lang]:
        toks = lex.tokens(sentence)
        hits = {name for name in MARKERS if lex.has(name, toks)}
        if marker is None:
            assert not hits & {"acknowledgement", "caller_feeling", "caller_problem", "alternative"}, (
                sentence,
                hits,
            )
        else:
            assert marker in hits, (sentence, hits)


def test_no_pattern_ends_in_an_optional_word() -> None:
    """A trailing ``?word`` is dropped by the compiler, so "e ?una ?vergogna" would become "e"."""
    for lang in LANGS:
        data = tomllib.loads((shipped_rules_dir() / lang / "coaching.toml").read_text(encoding="utf-8"))
        pats = [p for e in data["entry"] for p in e["patterns"]] + [
            p for v in data["markers"].values() for p in v
        ]
        bad = [p for p in pats if p.split()[-1].startswith("?")]
        assert not bad, (lang, bad)


def _deploy(tmp_path: Path, lang_text: str, policy_text: str = "") -> Path:
    d = tmp_path / "site"
    (d / "en").mkdir(parents=True)
    (d / "en" / "coaching.toml").write_text(lang_text, encoding="utf-8")
    if policy_text:
        (d / "coaching_policy.toml").write_text(policy_text, encoding="utf-8")
    return d


def test_problems_are_reported_with_file_and_line(tmp_path: Path) -> None:
    site = _deploy(
        tmp_path,
        'lang = "en"\n'
        "[[entry]]\n"
        'id = "x.bad"\n'
        'kind = "jargon"\n'
        'patterns = ["ok", "a|"]\n'
        "colour = 1\n"
        "[texts.rushing]\n"
        'say = "please slow down a little"\n'
        'script = "x"\n',
        '[pace]\nmax_rate = -1\n[signals.rushing]\ncue = "whisper_louder"\n[magic]\n',
    )
    problems = [str(p).replace(f"{tmp_path}/", "") for p in check_coaching([site])]
    assert "site/en/coaching.toml:5: bad pattern 'a|': empty alternative in 'a|'" in problems
    known = "enabled, exclude, id, kind, note, patterns, weight"
    assert f"site/en/coaching.toml:6: unknown key 'colour' (known: {known})" in problems
    assert "site/en/coaching.toml:8: say of 'rushing' must be 1-4 words" in problems
    assert "site/coaching_policy.toml:2: max_rate must be a number >= 0" in problems
    assert (
        "site/coaching_policy.toml:4: unknown cue id 'whisper_louder' (see docs/rules-format.md)" in problems
    )
    assert any(p.startswith("site/coaching_policy.toml:5: unknown table 'magic'") for p in problems)
    with pytest.raises(ConfigError):
        load_coaching("en", rule_dirs=[site])


def test_deployment_folder_overrides_an_entry_and_a_text(tmp_path: Path) -> None:
    site = _deploy(
        tmp_path,
        'lang = "en"\n'
        "[[entry]]\n"
        'id = "dead_end.nothing"\n'
        "enabled = false\n"
        "[[entry]]\n"
        'id = "jargon.house"\n'
        'kind = "jargon"\n'
        "weight = 1.0\n"
        'patterns = ["flux ticket"]\n'
        "[texts.jargon]\n"
        'say = "Say it simply"\n'
        'script = "In plain words: ..."\n',
        "[rescue]\nwindow_ms = 4000\n",
    )
    assert check_coaching([site]) == []
    coach = load_coaching("en", rule_dirs=[site])
    assert coach.policy.rescue.window_ms == 4000
    lex = coach.lexicon
    assert not lex.find(lex.tokens("There's nothing I can do"))
    assert [m.payload.id for m in lex.find(lex.tokens("I raised a flux ticket"))] == ["jargon.house"]
    assert lex.texts["jargon"].say == "Say it simply"
    assert lex.texts["rushing"].say == "Slow down"  # the shipped text stays
