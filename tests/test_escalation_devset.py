"""Floors on every development set present (tests/data/devset/<lang>.jsonl)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("devset_eval", ROOT / "scripts" / "devset_eval.py")
assert spec and spec.loader
devset_eval = importlib.util.module_from_spec(spec)
sys.modules["devset_eval"] = devset_eval
spec.loader.exec_module(devset_eval)

LANGS = devset_eval.languages()


def test_english_devset_has_what_the_issue_asks() -> None:
    rows = devset_eval.read_devset(devset_eval.DEVSET_DIR / "en.jsonl")
    benign = sum(len(r["turns"]) for r in rows if r["category"] is None)
    assert benign >= 400
    for cat in (
        "abuse",
        "threat",
        "racism",
        "sexism",
        "hate",
        "flirting",
        "troll",
        "anger",
        "policy_complaint",
        "struggling",
    ):
        assert sum(1 for r in rows if r["category"] == cat) >= 15, cat
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", LANGS)
def test_devset_floors(lang: str) -> None:
    s = devset_eval.evaluate(lang)
    low = {
        c: round(s.recall(c), 3)
        for c in s.categories
        if s.tp[c] + s.fn[c] and s.recall(c) < devset_eval.MIN_RECALL
    }
    assert not low, f"recall below {devset_eval.MIN_RECALL}: {low}; misses: {s.misses[:10]}"
    assert s.false_per_1000 <= devset_eval.MAX_FALSE_PER_1000, s.false[:10]
