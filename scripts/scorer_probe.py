#!/usr/bin/env python3
"""Compare scorer head variants by leave-one-source-out at the head level (no rules, no engine).

    python scripts/scorer_probe.py [--heads linear,mlp] [--holdout written,more]

For each held-out in-domain source: heads are trained on every other source, thresholds are
calibrated out of fold on the training rows exactly as ``train_scorer.py`` does, and the held-out
rows are scored: recall on positives (a strike of the row's category or any other), strike rate
on hard negatives and on service / angry-clean rows. Used to choose the shipped head; the blind
validation set is never read here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_scorer as ts
from scorer_data import LANGS, CachedEncoder, embed

from voiceassist.escalation.encoder import load_encoder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heads", default="linear,mlp")
    ap.add_argument("--holdout", default="written,more")
    args = ap.parse_args(argv)
    enc = CachedEncoder(load_encoder())
    rows = ts.training_rows()
    X = embed(enc, rows)
    Y = ts.labels(rows)
    w = ts.row_weights(rows)
    for src in args.holdout.split(","):
        te = np.array([i for i, r in enumerate(rows) if r.source == src])
        if not len(te):
            print(f"{src}: no rows")
            continue
        tr = np.array([i for i, r in enumerate(rows) if r.source != src])
        for head in args.heads.split(","):
            fit = ts.FITTERS[head]
            P_oof = ts.oof_probs(X[tr], Y[tr], w[tr], fit=fit)
            thr = ts.calibrate([rows[i] for i in tr], P_oof)
            model = fit(X[tr], Y[tr], w[tr])
            P = ts.apply(model, X[te])
            print(f"== holdout {src}, head {head}")
            for lang in LANGS:
                idx = [j for j, i in enumerate(te) if rows[i].lang == lang]
                if not idx:
                    continue
                t = thr[lang][ts.CATEGORIES[0]]
                hit = P[idx].max(axis=1) >= t
                kinds = [rows[te[j]].kind for j in idx]
                cells = []
                for kind in ("positive", "hard_negative", "service", "angry_clean"):
                    sel = [k for k, kd in enumerate(kinds) if kd == kind]
                    if sel:
                        cells.append(f"{kind} {hit[sel].mean():.3f} (n={len(sel)})")
                print(f"  {lang} thr {t:.2f}: " + ", ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
