#!/usr/bin/env python3
"""Score the escalation engine on the development sets in ``tests/data/devset/<lang>.jsonl``.

Each line is a mini-call ``{"id", "turns": [str, ...], "category": str | null, "note"}``. The
turns go through a fresh engine as final caller utterances 4000 ms apart. A call labelled with
a category is a hit when at least one cue of that category fires; a benign call (null) allows no
cue at all. Prints precision / recall / F1 per language and category, and false cues per 1,000
benign utterances.

    python scripts/devset_eval.py [--lang xx] [--json] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEVSET_DIR = ROOT / "tests" / "data" / "devset"
STEP_MS = 4000
#: Floors enforced by tests/test_escalation_devset.py on every language present.
MIN_RECALL = 0.9
MAX_FALSE_PER_1000 = 5.0


@dataclass
class LangScore:
    lang: str
    calls: int = 0
    benign_utterances: int = 0
    false_cues: int = 0
    tp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fn: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fp: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def recall(self, cat: str) -> float:
        n = self.tp[cat] + self.fn[cat]
        return self.tp[cat] / n if n else 1.0

    def precision(self, cat: str) -> float:
        n = self.tp[cat] + self.fp[cat]
        return self.tp[cat] / n if n else 1.0

    def f1(self, cat: str) -> float:
        p, r = self.precision(cat), self.recall(cat)
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def categories(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fn) | set(self.fp))

    @property
    def false_per_1000(self) -> float:
        return 1000.0 * self.false_cues / self.benign_utterances if self.benign_utterances else 0.0

    @property
    def overall_recall(self) -> float:
        tp = sum(self.tp.values())
        n = tp + sum(self.fn.values())
        return tp / n if n else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "calls": self.calls,
            "benign_utterances": self.benign_utterances,
            "false_cues": self.false_cues,
            "false_per_1000": round(self.false_per_1000, 2),
            "categories": {
                c: {
                    "positives": self.tp[c] + self.fn[c],
                    "precision": round(self.precision(c), 3),
                    "recall": round(self.recall(c), 3),
                    "f1": round(self.f1(c), 3),
                }
                for c in self.categories
            },
        }


def read_devset(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("turns"), list) or not row["turns"]:
            raise ValueError(f"{path}:{n}: turns must be a non-empty list")
        rows.append(row)
    return rows


def evaluate(lang: str, path: Path | None = None) -> LangScore:
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.explain import words_for
    from voiceassist.events import Transcript

    path = path or DEVSET_DIR / f"{lang}.jsonl"
    engine = load_engine(lang)
    score = LangScore(lang)
    for row in read_devset(path):
        engine.reset()
        label = row.get("category")
        fired: list[Any] = []
        for k, text in enumerate(row["turns"]):
            start = k * STEP_MS
            end = start + STEP_MS - 500
            fired.extend(
                engine.process(
                    Transcript("caller", "final", text, start, end, words_for(text, start, end), k)
                )
            )
        cats = {c.category for c in fired}
        score.calls += 1
        if label is None:
            score.benign_utterances += len(row["turns"])
            score.false_cues += len(fired)
            for c in fired:
                score.fp[c.category] += 1
                score.false.append(
                    f"{row['id']}: {c.cue} ({c.category}/{c.form}) on {' '.join(c.matched)!r} [{c.rule}]"
                )
            continue
        if label in cats:
            score.tp[label] += 1
        else:
            score.fn[label] += 1
            score.misses.append(f"{row['id']} [{label}]: {row['turns']} -> {sorted(cats) or 'no cue'}")
        for c in cats - {label}:
            score.fp[c] += 1
    return score


def languages() -> list[str]:
    return sorted(p.stem for p in DEVSET_DIR.glob("*.jsonl"))


def format_table(scores: list[LangScore]) -> str:
    lines = ["| lang | category | positives | precision | recall | F1 |", "|---|---|---|---|---|---|"]
    for s in scores:
        for c in s.categories:
            lines.append(
                f"| {s.lang} | {c} | {s.tp[c] + s.fn[c]} | {s.precision(c):.3f} | "
                f"{s.recall(c):.3f} | {s.f1(c):.3f} |"
            )
    lines.append("")
    lines.append(
        "| lang | mini-calls | benign utterances | false cues | false cues / 1,000 benign | overall recall |"
    )
    lines.append("|---|---|---|---|---|---|")
    for s in scores:
        lines.append(
            f"| {s.lang} | {s.calls} | {s.benign_utterances} | {s.false_cues} | {s.false_per_1000:.2f} | "
            f"{s.overall_recall:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", action="append", help="language (repeatable); default: every devset present")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--misses", action="store_true", help="list missed positives and false cues")
    args = ap.parse_args(argv)
    langs = args.lang or languages()
    scores = [evaluate(lang) for lang in langs]
    if args.json:
        print(json.dumps([s.to_dict() for s in scores], indent=2))
    else:
        print(format_table(scores))
    if args.misses:
        for s in scores:
            for m in s.misses:
                print(f"MISS {s.lang} {m}")
            for f in s.false:
                print(f"FALSE {s.lang} {f}")
    ok = all(
        all(s.recall(c) >= MIN_RECALL for c in s.categories if s.tp[c] + s.fn[c])
        and s.false_per_1000 <= MAX_FALSE_PER_1000
        for s in scores
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
