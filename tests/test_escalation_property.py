"""Property tests of the engine in every language: any Unicode (lone surrogates, combining marks,
other scripts, the language's own insult and marker words mixed in) never raises, as a partial, a
final, or split into partials, and the cues never depend on how the text was split."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceassist.escalation.engine import Engine, load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.events import Transcript

LANGS = ("en", "es", "it", "ko", "pl")
ENGINES: dict[str, Engine] = {lang: load_engine(lang) for lang in LANGS}  # type: ignore[arg-type]

#: Words of each language that the rules react to, so generated text reaches the guards and ladders.
VOCAB = {
    "en": ["you", "are", "a", "useless", "idiot", "not", "he", "said", "printer", "kill", "i", "will",
           "my", "name", "is", "sorry", "stupid", "f***", "manager"],
    "es": ["eres", "un", "idiota", "no", "te", "voy", "a", "matar", "me", "llamo", "imbécil", "señorita",
           "año", "impresora", "dijo"],
    "it": ["sei", "un", "cretino", "non", "ti", "ammazzo", "mi", "chiamo", "l'idiota", "stampante",
           "stronzo", "ha", "detto"],
    "ko": ["너", "바보야", "죽여", "버릴", "거야", "제", "이름은", "민수입니다", "아니", "프린터", "씨발"],
    "pl": ["jesteś", "idiotą", "nie", "zabiję", "cię", "nazywam", "się", "głupi", "drukarka", "powiedział",
           "kurwa", "ł"],
}

ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


def _tokens(lang: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(VOCAB[lang]), st.text(ANY_CHAR, min_size=1, max_size=6))


def _events(text: str, cuts: list[int]) -> list[Transcript]:
    words = words_for(text, 0, 6000)
    out = []
    for cut in cuts:
        part = words[:cut]
        if part:
            out.append(Transcript("caller", "partial", " ".join(w.text for w in part), 0, part[-1].end_ms,
                                  part, 0))
    out.append(Transcript("caller", "final", text, 0, 6000, words, 0))
    return out


def _cues(engine: Engine, events: list[Transcript]) -> list[tuple[object, ...]]:
    engine.reset()
    got = []
    for ev in events:
        got += [(c.cue, c.at_ms, c.matched, c.rule) for c in engine.process(ev)]
    return got


@pytest.mark.parametrize("lang", LANGS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_text_never_raises_and_splitting_changes_nothing(lang: str, data: st.DataObject) -> None:
    words = data.draw(st.lists(_tokens(lang), max_size=25), label="words")
    text = " ".join(words)
    engine = ENGINES[lang]
    engine.reset()
    # Raw text without word times, as a partial and as a final.
    engine.process(Transcript("caller", "partial", text, 0, 1000, (), 0))
    engine.process(Transcript("caller", "final", text, 0, 1000, (), 0))
    engine.end_call(2000)
    n = len(words_for(text, 0, 6000))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, n)), max_size=5), label="cuts")))
    assert _cues(engine, _events(text, cuts)) == _cues(engine, _events(text, []))
