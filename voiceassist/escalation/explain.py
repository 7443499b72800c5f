"""Human-readable explanation of what the engine makes of some caller text (``rules explain``)."""

from __future__ import annotations

from collections.abc import Sequence

from voiceassist.escalation.engine import Engine
from voiceassist.escalation.guards import Markers, assess
from voiceassist.events import Transcript, Word

#: Spacing of explained utterances, ms (the detect command uses the same).
STEP_MS = 4000


def words_for(text: str, start_ms: int, end_ms: int) -> tuple[Word, ...]:
    """Spread the words of ``text`` evenly over ``[start_ms, end_ms]``."""
    parts = text.split()
    n = len(parts)
    if n == 0:
        return ()
    span = max(n, end_ms - start_ms)
    return tuple(
        Word(p, start_ms + span * i // n, start_ms + span * (i + 1) // n) for i, p in enumerate(parts)
    )


def explain(engine: Engine, texts: Sequence[str]) -> list[str]:
    """Lines describing tokens, matches, guards and cues for each text (one call)."""
    engine.reset()
    pack = engine.pack
    out: list[str] = []
    for k, text in enumerate(texts):
        start = k * STEP_MS
        words = words_for(text, start, start + STEP_MS - 500)
        end = start + STEP_MS - 500
        tk = engine._tokenise(
            Transcript(speaker="caller", kind="final", text=text, start_ms=start, end_ms=end, words=words)
        )
        tokens = tk.tokens
        out.append(f"utterance {k + 1} at {start} ms: {text!r}")
        out.append(f"  tokens: {' '.join(tokens) if tokens else '(none)'}")
        matches = pack.matcher.find(tokens)
        markers = Markers(pack, tokens, len(tokens), tk.breaks)
        for name in ("second_person", "address", "objects", "self", "negation", "reported", "counter",
                     "name_intro"):
            spans = markers.spans(name)
            if spans:
                shown = ", ".join(f"{' '.join(tokens[s.start : s.end])!r}" for s in spans)
                out.append(f"  marker {name}: {shown}")
        if not matches:
            out.append("  no lexicon entry matched")
        for m in matches:
            hit = assess(m, markers, engine.params, n_tokens=len(tokens), final=True)
            e = m.payload
            matched = " ".join(tokens[p] for p in m.positions)
            verdict = (
                f"dropped by {hit.dropped} guard ({hit.detail})"
                if hit.weight <= 0
                else f"weight {hit.weight:.2f} (target {hit.target}: {hit.detail})"
            )
            out.append(
                f"  match {e.id} [{e.category}/{e.form}, weight {e.weight:g}, directed {e.directed}] "
                f"{matched!r} by pattern {m.pattern.text!r} at {e.source}: {verdict}"
            )
        engine.trace.clear()
        cues = engine.process(Transcript("caller", "final", text, start, start + STEP_MS - 500, words, k))
        for t in engine.trace:
            out.append(f"  engine: {t}")
        if not cues:
            out.append("  cue: none")
        for c in cues:
            out.append(f"  CUE {c.cue} ({c.severity}) {c.category}/{c.form} rung {c.rung}: say {c.say!r}")
            out.append(f"      script: {c.script}")
            out.append(f"      why: {c.why}")
    return out


__all__ = ["STEP_MS", "explain", "words_for"]
