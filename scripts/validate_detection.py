#!/usr/bin/env python3
"""Measure detection through the whole engine (rules + scorer), one mini-call per utterance.

    python scripts/validate_detection.py [--set blind|blind2|written|written_more|devset|kmhas] [--loso]
        [--rules-only]

Per language and kind: recall on must-cue rows (any cue of a harmful category), harmful-cue rate
on tricky benign / hard negatives, any-cue rate on service, angry-clean and benign rows.
``--loso`` retrains the heads without the measured source (leave-one-source-out) first.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_scorer
from scorer_data import (
    LANGS,
    CachedEncoder,
    Row,
    blind2_rows,
    blind_rows,
    devset_rows,
    embed,
    kmhas_rows,
    written_more_rows,
    written_rows,
)

from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.scorer import Heads, Scorer
from voiceassist.events import Transcript

HARMFUL = {"abuse", "threat", "racism", "sexism", "hate", "flirting", "troll"}
MUST = ("must_cue", "positive")
TRICKY = ("tricky_benign", "hard_negative")


def run_rows(rows: Sequence[Row], scorer: Scorer | None) -> dict[tuple[str, str, str], list[int]]:
    """(lang, kind, category) -> [n, hits] where a hit is the event the kind is measured by."""
    out: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    engines = {}
    for r in rows:
        eng = engines.get(r.lang)
        if eng is None:
            eng = engines[r.lang] = load_engine(r.lang, scorer=scorer)
        eng.reset()
        words = words_for(r.text, 0, 3500)
        cues = eng.process(Transcript("caller", "final", r.text, 0, 3500, words, 0))
        cats = {c.category for c in cues}
        hit = bool(cats & HARMFUL) if r.kind in MUST or r.kind in TRICKY else bool(cues)
        cell = out[(r.lang, r.kind, r.category if r.kind in MUST else "")]
        cell[0] += 1
        cell[1] += int(hit)
    return out


def table(title: str, res: dict[tuple[str, str, str], list[int]]) -> str:
    lines = [f"### {title}", "", "| lang | kind | category | n | rate |", "|---|---|---|---:|---:|"]
    for (lang, kind, cat), (n, h) in sorted(res.items()):
        lines.append(f"| {lang} | {kind} | {cat or '-'} | {n} | {h / n:.3f} |")
    # summary per language and kind
    summ: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (lang, kind, _c), (n, h) in res.items():
        summ[(lang, kind)][0] += n
        summ[(lang, kind)][1] += h
    lines += ["", "| lang | kind | n | rate |", "|---|---|---:|---:|"]
    for (lang, kind), (n, h) in sorted(summ.items()):
        lines.append(f"| {lang} | {kind} | {n} | {h / n:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="blind",
                    choices=("blind", "blind2", "written", "written_more", "devset", "kmhas"))
    ap.add_argument("--loso", action="store_true", help="retrain without the measured source first")
    ap.add_argument("--rules-only", action="store_true")
    ap.add_argument("--lang", action="append", default=[])
    args = ap.parse_args(argv)
    langs = tuple(args.lang) or LANGS
    rows = {"blind": blind_rows, "blind2": blind2_rows, "written": written_rows,
            "written_more": written_more_rows, "devset": devset_rows}.get(args.set)
    measured = kmhas_rows() if args.set == "kmhas" else rows(langs)  # type: ignore[misc]
    measured = [r for r in measured if r.lang in langs]
    from voiceassist.escalation.encoder import load_encoder

    enc = CachedEncoder(load_encoder())
    scorer: Scorer | None = None
    label = "rules only"
    if not args.rules_only:
        if args.loso:
            train = [r for r in train_scorer.training_rows() if r.source != args.set]
            heads = train_scorer.train(train, embed(enc, train), enc.name)
            label = f"rules + scorer trained without {args.set} (LOSO)"
        else:
            heads = Heads.load()
            label = "rules + shipped scorer"
        scorer = Scorer(enc, heads)
        embed(enc, measured)  # warm the cache in batches
    print(table(f"{args.set}: {label}", run_rows(measured, scorer)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
