"""Normaliser, pattern syntax and the indexed matcher (docs/rules-format.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.matcher import Matcher
from voiceassist.escalation.normalize import Normaliser
from voiceassist.escalation.patterns import PatternError, parse_pattern
from voiceassist.events import Transcript

N = Normaliser()


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Don't YOU dare!", ["dont", "you", "dare"]),
        ("Café, naïve résumé", ["cafe", "naive", "resume"]),
        ("Łódź głupi", ["łodz", "głupi"]),
        ("Señor niño", ["señor", "niño"]),
        ("바보야 진짜", ["바보야", "진짜"]),
        ("you f***ing idiot", ["you", "f***ing", "idiot"]),
        ("*sigh* ok", ["sigh", "ok"]),
        ("ＦＵＬＬ width", ["full", "width"]),
    ],
)
def test_normaliser_folds_but_keeps_what_matters(text: str, tokens: list[str]) -> None:
    assert N.tokens(text) == tokens


def test_italian_elision_splits_and_digits_are_spelled() -> None:
    it = Normaliser(apostrophe="split", numbers={2: "due"})
    assert it.tokens("l'idiota 2") == ["l", "idiota", "due"]


def _m(patterns: list[str]) -> Matcher[str]:
    return Matcher((p, pat) for p in patterns for pat in parse_pattern(p, N))


def _found(patterns: list[str], text: str) -> list[str]:
    return [m.payload for m in _m(patterns).find(N.tokens(text))]


def test_whole_word_and_stems() -> None:
    assert _found(["cunt*"], "I live in Scunthorpe") == []
    assert _found(["ass"], "please assess the class") == []
    assert _found(["idiot*"], "what idiots") == ["idiot*"]


def test_alternatives_optional_and_gaps() -> None:
    pats = ["i know where you|u live", "kill ?all you", "sue ..2 company"]
    assert _found(pats, "I know where u live") == ["i know where you|u live"]
    assert _found(pats, "kill you") == ["kill ?all you"]
    assert _found(pats, "kill all you") == ["kill ?all you"]
    assert _found(pats, "sue this bloody company") == ["sue ..2 company"]
    assert _found(pats, "sue this really bloody awful company") == []


def test_earliest_end_match_is_reported() -> None:
    m = _m(["you ..3 idiot"]).find(N.tokens("you idiot you idiot"))
    assert [(x.start, x.end) for x in m] == [(0, 2), (2, 4)]


@pytest.mark.parametrize("bad", ["", "..", "a ..9 b", "a .. .. b", "?x", "x*|", "a ..", "l*"])
def test_bad_patterns_are_rejected(bad: str) -> None:
    with pytest.raises(PatternError):
        parse_pattern(bad, N)


def test_masked_tokens_fit_swear_words_only() -> None:
    pats = [(p, x) for p in ["fuck*"] for x in parse_pattern(p, N, mask_ok=True)]
    pats += [(p, x) for p in ["form"] for x in parse_pattern(p, N)]
    found = [m.payload for m in Matcher(pats).find(N.tokens("f*** this f***ing form"))]
    assert found.count("fuck*") == 2 and found.count("form") == 1


ENGINE = load_engine("en")


def _ops_and_run(text: str) -> int:
    ENGINE.reset()
    before = ENGINE.pack.matcher.ops[0]
    ENGINE.process(Transcript("caller", "final", text, 0, 4000, words_for(text, 0, 4000), 0))
    return ENGINE.pack.matcher.ops[0] - before


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_never_raises(text: str) -> None:
    ENGINE.reset()
    ENGINE.process(Transcript("caller", "partial", text, 0, 1000, (), 0))
    ENGINE.process(Transcript("caller", "final", text, 0, 1000, (), 0))
    ENGINE.end_call(2000)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "you",
                "idiot",
                "not",
                "kill",
                "i",
                "know",
                "where",
                "f***",
                "é",
                "바보",
                "..",
                "?",
                "my",
                "said",
            ]
        ),
        min_size=1,
        max_size=12,
    ).map(" ".join)
)
def test_work_grows_linearly(chunk: str) -> None:
    small = " ".join([chunk] * 10)
    big = " ".join([chunk] * 40)
    ops_small = _ops_and_run(small)
    ops_big = _ops_and_run(big)
    # 4x the input costs about 4x the pattern tests (slack for patterns cut short at the end);
    # quadratic work would give ~16x.
    assert ops_big <= 4.5 * ops_small + 300


GUARD_CHUNKS = {
    "en": "you idiot not said my neighbour he said i know where you live f***",
    "it": "sei un idiota non ha detto mio vicino",
    "pl": "ty idioto nie powiedział że jesteś głupi",
    "es": "eres un idiota no dijo mi vecino que",
    "ko": "너 바보야 아니 그가 말했어 멍청이",
}


@pytest.mark.parametrize("lang", sorted(GUARD_CHUNKS))
def test_guard_work_grows_linearly(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards and targets look only near each match: a 4x longer utterance costs about 4x
    (the whole engine, not only the matcher; counted as reads of a match's position)."""
    from voiceassist.escalation.matcher import Match

    count = [0]
    start_prop, end_prop = Match.start, Match.end

    def start(self: Match[object]) -> int:
        count[0] += 1
        return start_prop.fget(self)  # type: ignore[no-any-return, attr-defined]

    def end(self: Match[object]) -> int:
        count[0] += 1
        return end_prop.fget(self)  # type: ignore[no-any-return, attr-defined]

    monkeypatch.setattr(Match, "start", property(start))
    monkeypatch.setattr(Match, "end", property(end))
    engine = load_engine(lang)

    def reads(text: str) -> int:
        engine.reset()
        count[0] = 0
        engine.process(Transcript("caller", "final", text, 0, 4000, words_for(text, 0, 4000), 0))
        return count[0]

    small = reads(" ".join([GUARD_CHUNKS[lang]] * 25))
    big = reads(" ".join([GUARD_CHUNKS[lang]] * 100))
    assert big <= 4.5 * small + 300, (small, big)


def test_a_word_and_its_longer_stem_before_more_words_is_the_alternatives_trap() -> None:
    """'열받*|열 ..1 받*' reads as three alternatives but is one pattern of two positions, and the
    single word never matched: such a pattern is refused with a message that says how to write it.
    A word and a longer stem at the LAST position ('병|병이야|죄|죄악*') are ordinary alternatives."""
    norm = Normaliser()
    with pytest.raises(PatternError, match="separate patterns"):
        parse_pattern("fed|fedup* ..1 with", norm)
    parse_pattern("sick ..2 of|offf*", norm)  # last position: fine
    parse_pattern("fed|fedup*", norm)  # one position: fine
