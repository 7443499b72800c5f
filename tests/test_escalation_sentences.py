"""Guards stop at sentence ends when the text has punctuation (typed text, reference
transcripts): a negation or a reported-speech marker in the previous sentence does not excuse
what follows. ASR output has no punctuation, so nothing changes there."""

from __future__ import annotations

from voiceassist.escalation.engine import load_engine
from voiceassist.events import Transcript


def cues(lang: str, text: str) -> list[str]:
    engine = load_engine(lang)
    t = Transcript(speaker="caller", kind="final", text=text, start_ms=0, end_ms=4000)
    return [c.cue for c in engine.process(t)]


def test_negation_in_the_previous_sentence_does_not_cancel_a_threat() -> None:
    assert "call_security" in cues("es", "No es suficiente. Te voy a matar.")
    assert "call_security" in cues("es", "¿No es suficiente? ¡Te voy a matar!")
    assert cues("es", "No es suficiente porque no te voy a matar.") == []
    assert cues("es", "No voy a denunciar a su empresa, tranquila.") == []


def test_reported_speech_ends_with_its_sentence() -> None:
    assert cues("en", "My neighbour said that. You idiot.") != []
    assert cues("en", "My neighbour called me an idiot yesterday.") == []

