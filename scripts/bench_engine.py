#!/usr/bin/env python3
"""Escalation engine benchmark (issue 4): run as ``python scripts/bench.py engine``.

Loads every language under ``rules/`` (one active per call) and measures, in the same run, the
per-utterance cost of ``Engine.process`` on 12-word final utterances against a naive loop that
tries every pattern of the active language as its own compiled regex over the normalised text.
Writes both numbers and their ratio, plus the dev-set scores, to BENCHMARKS.md under its own
headings (other sections are left alone).

    python scripts/bench.py engine [--rounds N] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from voiceassist.escalation.engine import Engine  # noqa: E402
from voiceassist.escalation.explain import words_for  # noqa: E402
from voiceassist.escalation.loader import load_rules  # noqa: E402
from voiceassist.escalation.model import LangPack  # noqa: E402
from voiceassist.escalation.patterns import Element, Pattern  # noqa: E402
from voiceassist.events import Transcript  # noqa: E402

WORDS = 12
ENGINE_HEADING = "## Escalation engine vs naive regex loop (issue 4)"
DEVSET_HEADING = "## Escalation dev set (issue 4)"


def _element_regex(el: Element) -> str:
    alts = [re.escape(w) for w in sorted(el.exact)] + [re.escape(p) + r"\S*" for p in el.prefixes]
    return "(?:" + "|".join(alts) + ")"


def naive_regex(pat: Pattern) -> re.Pattern[str]:
    """The pattern as one regex over space-joined tokens (gaps and optionals included)."""
    parts: list[str] = []
    for k, el in enumerate(pat.elements):
        piece = _element_regex(el)
        if k:
            gap = rf"(?:\S+ ){{0,{el.gap}}}" if el.gap else ""
            piece = rf" {gap}{piece}"
            if el.optional:
                piece = f"(?:{piece})?"
        parts.append(piece)
    return re.compile(r"(?<!\S)" + "".join(parts) + r"(?!\S)")


def utterances(pack: LangPack, n: int = 60) -> list[str]:
    """12-word utterances from the language's dev set (or its pattern words)."""
    src: list[str] = []
    dev = ROOT / "tests" / "data" / "devset" / f"{pack.lang}.jsonl"
    if dev.is_file():
        import json

        for line in dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                src.extend(json.loads(line)["turns"])
    if not src:
        src = [
            " ".join(e.patterns[0].replace("*", "").replace("?", "").split("|")[0].split())
            for e in pack.entries
        ]
    words = " ".join(src).split()
    out = []
    for i in range(n):
        start = (i * 37) % max(1, len(words) - WORDS)
        chunk = words[start : start + WORDS]
        while len(chunk) < WORDS:
            chunk += words[: WORDS - len(chunk)]
        out.append(" ".join(chunk))
    return out


def bench_lang(rules: object, pack: LangPack, rounds: int) -> tuple[float, float, int]:
    engine = Engine(rules, pack.lang)  # type: ignore[arg-type]
    texts = utterances(pack)
    events = [
        Transcript(
            "caller", "final", t, k * 4000, k * 4000 + 3500, words_for(t, k * 4000, k * 4000 + 3500), k
        )
        for k, t in enumerate(texts)
    ]
    regexes = [naive_regex(p) for _e, p in pack.compiled]
    norm = pack.normaliser
    eng_times: list[float] = []
    naive_times: list[float] = []
    for _ in range(rounds):
        engine.reset()
        t0 = time.perf_counter()
        for ev in events:
            engine.process(ev)
        eng_times.append((time.perf_counter() - t0) / len(events))
        t0 = time.perf_counter()
        for t in texts:
            joined = " ".join(norm.tokens(t))
            hits = []
            for rx in regexes:
                m = rx.search(joined)
                if m is not None:
                    hits.append(m)
        naive_times.append((time.perf_counter() - t0) / len(texts))
    return statistics.median(eng_times) * 1e6, statistics.median(naive_times) * 1e6, len(regexes)


def replace_section(text: str, heading: str, body: str) -> str:
    block = f"{heading}\n\n{body.rstrip()}\n"
    if heading in text:
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        end = len(text) if nxt < 0 else nxt + 1
        return text[:start] + block + ("\n" + text[end:] if nxt >= 0 else "")
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + block


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args(argv)
    rules = load_rules()
    langs = sorted(lang for lang in rules.packs if not rules.problems_for(lang))
    total_patterns = sum(len(rules.packs[lang].compiled) for lang in langs)
    rows = []
    for lang in langs:
        eng, naive, n = bench_lang(rules, rules.packs[lang], args.rounds)
        rows.append((lang, n, eng, naive))
        print(
            f"{lang}: engine {eng:.1f} us/utterance, naive {naive:.1f} us/utterance "
            f"({n} patterns), x{naive / eng:.1f}"
        )
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    lines = [
        f"Run: `python scripts/bench.py engine` on {now} ({machine}). Loaded: {', '.join(langs)} "
        f"({total_patterns} compiled patterns), one language active per call. "
        f"Median over {args.rounds} rounds of "
        f"60 final {WORDS}-word utterances per language (from the language's dev set). Engine = full "
        "`Engine.process` (normalise, indexed match, guards, state); naive = every pattern of the active "
        "language as its own regex over the normalised text (matching only). Target: engine <= 100 us.",
        "",
        "| lang | patterns | engine us/utterance | naive regex loop us/utterance | naive / engine |",
        "|---|---|---|---|---|",
    ]
    for lang, n, eng, naive in rows:
        lines.append(f"| {lang} | {n} | {eng:.1f} | {naive:.1f} | {naive / eng:.1f}x |")
    import devset_eval

    scores = [devset_eval.evaluate(lang) for lang in devset_eval.languages() if lang in langs]
    dev_body = (
        f"Run: `python scripts/devset_eval.py` on {now}. Floors (tests/test_escalation_devset.py): recall >= "
        f"{devset_eval.MIN_RECALL} per category, <= {devset_eval.MAX_FALSE_PER_1000:g} false cues "
        "per 1,000 benign "
        "utterances. The sets are written by the pack authors; the product is also judged on unseen text.\n\n"
        + devset_eval.format_table(scores)
    )
    print()
    print(dev_body)
    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
        text = replace_section(text, ENGINE_HEADING, "\n".join(lines))
        text = replace_section(text, DEVSET_HEADING, dev_body)
        path.write_text(text, encoding="utf-8")
        print(f"\nwritten to {path}")
    return 0 if all(eng <= 100 for _l, _n, eng, _x in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
