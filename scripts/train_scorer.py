#!/usr/bin/env python3
"""Train the scorer's heads and per-language thresholds; writes voiceassist/data/scorer/heads.npz.

    python scripts/train_scorer.py [--no-public] [--out PATH]

Deterministic: fixed-seed samples, full-batch gradient descent from zeros (numpy only). Data:
the dev sets (tests/data/devset), the written in-domain text (data/training/written), generated
service templates (:func:`templates`), and the public corpora allowed to train shipped weights
(../shared/training: Davidson 2017 en, MIT; BAN-PL pl, CC BY 4.0; see data/training/README.md).

Thresholds: 5-fold out-of-fold probabilities on the in-domain rows; per language the lowest
threshold (shared by the categories) whose out-of-fold false strikes stay within
``MAX_BENIGN`` on service/benign/angry-clean rows and ``MAX_HARD`` on hard negatives.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scorer_data import (
    CATEGORIES,
    LANGS,
    ROOT,
    CachedEncoder,
    Row,
    banpl_rows,
    davidson_rows,
    devset_rows,
    embed,
    written_more_rows,
    written_rows,
)

from voiceassist.escalation.scorer import Heads

OUT = ROOT / "voiceassist" / "data" / "scorer" / "heads.npz"
VERSION = "e5q4-lin-2026.12.07b"
L2 = 1e-3
PUBLIC_WEIGHT = 0.3
MAX_BENIGN = 0.003
MAX_HARD = 0.06
#: Corroboration (support threshold): added false cues allowed on in-domain benign rows and on
#: hard negatives when the scorer confirms an ambiguous rule signal of the same category.
MAX_SUPPORT_BENIGN = 0.003
MAX_SUPPORT_HARD = 0.05
SUPPORT_GRID = [round(x, 3) for x in np.arange(0.30, 0.995, 0.02)]
#: Sources the rules were not written from (the dev set was): corroboration is calibrated there.
SUPPORT_SOURCES = ("written", "written_more")
#: Share of the hard-negative budget each category gets. A fifth: larger shares met the training
#: limits too but raised tricky-benign false cues on the development blind set (it 0.133 ->
#: 0.167) for little recall, so the budget is split evenly over the five categories.
SUPPORT_SHARE = 1 / 5
GRID = [round(x, 3) for x in np.arange(0.30, 0.995, 0.01)]
BENIGN_KINDS = ("service", "benign", "angry_clean", "other")

_NUM = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "es": ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"],
    "it": ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"],
    "pl": ["zero", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"],
    "ko": ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"],
}
_FRAMES = {
    "en": ["my account number is {n}", "the reference is {n}", "my phone number is {n}", "it ends in {n}",
           "the code they sent me is {n}", "postcode {n}", "order number {n} please"],
    "es": ["mi número de cliente es {n}", "la referencia es {n}", "mi teléfono es {n}", "termina en {n}",
           "el código que me mandaron es {n}", "el pedido {n}"],
    "it": ["il mio numero cliente è {n}", "il codice è {n}", "il mio telefono è {n}", "finisce con {n}",
           "il numero d'ordine è {n}", "la pratica {n}"],
    "pl": ["mój numer klienta to {n}", "numer zamówienia {n}", "mój telefon to {n}", "kończy się na {n}",
           "kod który dostałem to {n}", "numer umowy {n}"],
    "ko": ["제 고객 번호는 {n}입니다", "주문 번호는 {n}이에요", "전화번호는 {n}입니다", "끝자리가 {n}이에요",
           "인증 번호는 {n}입니다"],
}  # fmt: skip


def templates(seed: int = 15, per_lang: int = 60) -> list[Row]:
    """Service utterances with numbers spoken as words (the shape ASR gives them)."""
    rnd = np.random.default_rng(seed)
    out: list[Row] = []
    for lang in LANGS:
        frames, nums = _FRAMES[lang], _NUM[lang]
        for i in range(per_lang):
            n = " ".join(nums[int(d)] for d in rnd.integers(0, 10, size=int(rnd.integers(3, 9))))
            out.append(Row(lang, "templates", "service", "none", frames[i % len(frames)].format(n=n)))
    return out


def training_rows(public: bool = True) -> list[Row]:
    rows = devset_rows() + written_rows() + written_more_rows() + templates()
    if public:
        rows += davidson_rows() + banpl_rows()
    return rows


def labels(rows: Sequence[Row]) -> np.ndarray:
    Y = np.zeros((len(rows), len(CATEGORIES)), dtype=np.float32)
    for i, r in enumerate(rows):
        if r.kind in ("positive", "must_cue") and r.category in CATEGORIES:
            Y[i, CATEGORIES.index(r.category)] = 1.0
    return Y


def fit_linear(
    X: np.ndarray, Y: np.ndarray, w: np.ndarray, iters: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """One weighted, class-balanced L2 logistic head per column of ``Y`` (gradient descent with
    momentum from zero: deterministic)."""
    _n, d = X.shape
    W = np.zeros((Y.shape[1], d), dtype=np.float64)
    b = np.zeros(Y.shape[1], dtype=np.float64)
    Xd = X.astype(np.float64)
    for c in range(Y.shape[1]):
        y = Y[:, c].astype(np.float64)
        pos = max(1.0, float((w * y).sum()))
        neg = max(1.0, float((w * (1 - y)).sum()))
        sw = w * np.where(y > 0, 0.5 / pos, 0.5 / neg)
        wc, bc = np.zeros(d), 0.0
        vw, vb = np.zeros(d), 0.0
        lr = 4.0
        for _ in range(iters):
            z = Xd @ wc + bc
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            g = sw * (p - y)
            gw = Xd.T @ g + L2 * wc
            gb = float(g.sum())
            vw = 0.9 * vw + gw
            vb = 0.9 * vb + gb
            wc -= lr * vw
            bc -= lr * vb
        W[c], b[c] = wc, bc
    return W.astype(np.float32), b.astype(np.float32)


def fit_mlp(
    X: np.ndarray, Y: np.ndarray, w: np.ndarray, hidden: int = 64, iters: int = 300, seed: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One hidden ReLU layer shared by the categories, one sigmoid output per column of ``Y``
    (weighted, class-balanced cross-entropy, L2, full-batch Adam from a seeded start:
    deterministic). Returns ``(W1, b1, W, b)``: ``p = sigmoid(W relu(W1 x + b1) + b)``."""
    rnd = np.random.default_rng(seed)
    _n, d = X.shape
    k = Y.shape[1]
    Xd = X.astype(np.float64)
    Yd = Y.astype(np.float64)
    pos = np.maximum(1.0, (w[:, None] * Yd).sum(axis=0))
    neg = np.maximum(1.0, (w[:, None] * (1 - Yd)).sum(axis=0))
    SW = w[:, None] * np.where(Yd > 0, 0.5 / pos, 0.5 / neg)
    params = [
        rnd.normal(0.0, np.sqrt(2.0 / d), size=(hidden, d)),
        np.zeros(hidden),
        rnd.normal(0.0, np.sqrt(1.0 / hidden), size=(k, hidden)),
        np.zeros(k),
    ]
    m = [np.zeros_like(q) for q in params]
    v = [np.zeros_like(q) for q in params]
    lr, b1, b2, l2 = 3e-3, 0.9, 0.999, 1e-4
    for it in range(1, iters + 1):
        W1, c1, W2, c2 = params
        H = np.maximum(0.0, Xd @ W1.T + c1)
        P = 1.0 / (1.0 + np.exp(-np.clip(H @ W2.T + c2, -30, 30)))
        G = SW * (P - Yd)
        gW2 = G.T @ H + l2 * W2
        gc2 = G.sum(axis=0)
        GH = (G @ W2) * (H > 0)
        gW1 = GH.T @ Xd + l2 * W1
        gc1 = GH.sum(axis=0)
        for j, g in enumerate((gW1, gc1, gW2, gc2)):
            m[j] = b1 * m[j] + (1 - b1) * g
            v[j] = b2 * v[j] + (1 - b2) * g * g
            mh = m[j] / (1 - b1**it)
            vh = v[j] / (1 - b2**it)
            params[j] = params[j] - lr * mh / (np.sqrt(vh) + 1e-8)
    W1, c1, W2, c2 = params
    return (W1.astype(np.float32), c1.astype(np.float32), W2.astype(np.float32), c2.astype(np.float32))


def row_weights(rows: Sequence[Row]) -> np.ndarray:
    return np.array([PUBLIC_WEIGHT if r.source in ("davidson", "banpl") else 1.0 for r in rows])


Model = tuple[np.ndarray, ...]
Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray], Model]
FITTERS: dict[str, Fitter] = {"linear": fit_linear, "mlp": fit_mlp}


def apply(model: Model, X: np.ndarray) -> np.ndarray:
    """Probabilities of a linear ``(W, b)`` or hidden-layer ``(W1, b1, W, b)`` head."""
    H = X.astype(np.float32)
    if len(model) == 4:
        H = np.maximum(0.0, H @ model[0].T + model[1])
    z = H @ model[-2].T + model[-1]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def oof_probs(X: np.ndarray, Y: np.ndarray, w: np.ndarray, folds: int = 5, seed: int = 15,
              fit: Fitter = fit_linear) -> np.ndarray:
    idx = np.random.default_rng(seed).permutation(len(X))
    P = np.zeros_like(Y)
    for k in range(folds):
        te = idx[k::folds]
        tr = np.setdiff1d(idx, te)
        P[te] = apply(fit(X[tr], Y[tr], w[tr]), X[te])
    return P


def calibrate(rows: Sequence[Row], P: np.ndarray) -> dict[str, dict[str, float]]:
    """Per language: the lowest grid threshold meeting the false-strike limits out of fold."""
    out: dict[str, dict[str, float]] = {}
    top = P.max(axis=1)
    for lang in LANGS:
        ben = [i for i, r in enumerate(rows) if r.lang == lang and r.kind in BENIGN_KINDS
               and r.source not in ("davidson", "banpl")]  # fmt: skip
        hard = [i for i, r in enumerate(rows) if r.lang == lang and r.kind == "hard_negative"]
        chosen = GRID[-1]
        for t in GRID:
            fb = float((top[ben] >= t).mean()) if ben else 0.0
            fh = float((top[hard] >= t).mean()) if hard else 0.0
            if fb <= MAX_BENIGN and fh <= MAX_HARD:
                chosen = t
                break
        out[lang] = {c: chosen for c in CATEGORIES}
    return out


class _AllSupport:
    """A stand-in scorer that supports every category and strikes none: run with it, the engine
    cues exactly the rule signals it would let the scorer corroborate."""

    model = "calibration"

    def __init__(self, categories: Sequence[str]) -> None:
        self.categories = tuple(categories)

    def score(self, text: str, lang: str) -> object:
        from voiceassist.escalation.scorer import Score

        return Score(text, {c: 0.0 for c in self.categories}, (), self.model, self.categories)


def waiting_categories(rows: Sequence[Row]) -> list[set[str]]:
    """Per row: the scorer categories with an ambiguous rule signal that the scorer could turn
    into a strike (cued with an all-supporting scorer, not cued by the rules alone)."""
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.explain import words_for
    from voiceassist.events import Transcript

    engines: dict[tuple[str, bool], object] = {}
    out: list[set[str]] = []
    for r in rows:
        got: list[set[str]] = []
        for with_support in (False, True):
            eng = engines.get((r.lang, with_support))
            if eng is None:
                eng = engines[(r.lang, with_support)] = load_engine(
                    r.lang, scorer=_AllSupport(CATEGORIES) if with_support else None  # type: ignore[arg-type]
                )
            eng.reset()  # type: ignore[attr-defined]
            ev = Transcript("caller", "final", r.text, 0, 3500, words_for(r.text, 0, 3500), 0)
            got.append({c.category for c in eng.process(ev)})  # type: ignore[attr-defined]
        out.append((got[1] - got[0]) & set(CATEGORIES))
    return out


SupportTable = dict[str, dict[str, float]]


def _support_for(P: np.ndarray, waiting: Sequence[set[str]], ben: list[int], hard: list[int],
                 top: Mapping[str, float], hard_budget: float) -> dict[str, float]:
    """Per category: the lowest grid threshold adding <= MAX_SUPPORT_BENIGN false cues on ``ben``
    and <= ``hard_budget`` on ``hard`` (out-of-fold ``P``)."""
    chosen: dict[str, float] = {}
    for k, c in enumerate(CATEGORIES):
        pick = 1.01
        for s in SUPPORT_GRID:
            if s > top[c]:
                break
            fb = sum(c in waiting[i] and P[i, k] >= s for i in ben) / max(1, len(ben))
            fh = sum(c in waiting[i] and P[i, k] >= s for i in hard) / max(1, len(hard))
            if fb <= MAX_SUPPORT_BENIGN and fh <= hard_budget:
                pick = s
                break
        chosen[c] = float(pick)
    return chosen


def _fires(P: np.ndarray, waiting: Sequence[set[str]], chosen: Mapping[str, float], i: int) -> bool:
    return any(P[i, CATEGORIES.index(c)] >= chosen[c] for c in waiting[i])


def calibrate_support(
    rows: Sequence[Row], P: np.ndarray, thresholds: Mapping[str, Mapping[str, float]],
    waiting: Sequence[set[str]],
) -> tuple[SupportTable, SupportTable]:
    """Per language and category: support thresholds whose out-of-fold corroborations (rows of
    ``SUPPORT_SOURCES``) add, all categories together, at most ``MAX_SUPPORT_BENIGN`` false cues
    on benign rows and ``MAX_SUPPORT_HARD`` on hard negatives. Each category gets
    ``SUPPORT_SHARE`` of the hard-negative budget; a language whose total would still break a
    limit gets no corroboration.
    Returns the thresholds and what they add on the calibration rows (for the model card)."""
    support: SupportTable = {}
    report: SupportTable = {}
    for lang in LANGS:
        idx = [i for i, r in enumerate(rows) if r.lang == lang and r.source in SUPPORT_SOURCES]
        if not idx:
            continue
        ben = [i for i in idx if rows[i].kind in BENIGN_KINDS]
        hard = [i for i in idx if rows[i].kind == "hard_negative"]
        pos = [i for i in idx if rows[i].kind == "positive"]
        best = _support_for(P, waiting, ben, hard, thresholds[lang], MAX_SUPPORT_HARD * SUPPORT_SHARE)
        fh = sum(_fires(P, waiting, best, i) for i in hard) / max(1, len(hard))
        fb = sum(_fires(P, waiting, best, i) for i in ben) / max(1, len(ben))
        if fh > MAX_SUPPORT_HARD or fb > MAX_SUPPORT_BENIGN:
            best = {c: 1.01 for c in CATEGORIES}
        support[lang] = best
        report[lang] = {
            "positives_waiting": round(sum(bool(waiting[i]) for i in pos) / max(1, len(pos)), 3),
            "positives_corroborated": round(
                sum(_fires(P, waiting, best, i) for i in pos) / max(1, len(pos)), 3),
            "hard_added": round(sum(_fires(P, waiting, best, i) for i in hard) / max(1, len(hard)), 3),
            "benign_added": round(sum(_fires(P, waiting, best, i) for i in ben) / max(1, len(ben)), 4),
        }
    return support, report


def train(rows: Sequence[Row], X: np.ndarray, encoder: str) -> Heads:
    """Heads fitted on ``rows`` with thresholds from their out-of-fold probabilities."""
    Y = labels(rows)
    w = row_weights(rows)
    P = oof_probs(X, Y, w)
    thresholds = calibrate(rows, P)
    support, support_report = calibrate_support(rows, P, thresholds, waiting_categories(rows))
    W, b = fit_linear(X, Y, w)
    meta = {
        "categories": list(CATEGORIES),
        "encoder": encoder,
        "version": VERSION,
        "thresholds": thresholds,
        "default_threshold": 0.9,
        "support": support,
        "support_calibration": support_report,
    }
    return Heads(W, b, meta)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-public", action="store_true", help="leave the public corpora out")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    from voiceassist.escalation.encoder import load_encoder

    enc = CachedEncoder(load_encoder())
    rows = training_rows(public=not args.no_public)
    X = embed(enc, rows)
    heads = train(rows, X, enc.name)
    counts: dict[str, int] = {}
    for r in rows:
        counts[f"{r.source}/{r.lang}/{r.kind}"] = counts.get(f"{r.source}/{r.lang}/{r.kind}", 0) + 1
    heads.meta["rows"] = counts
    heads.meta["trained"] = dt.date.today().isoformat()
    heads.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), {len(rows)} rows")
    for lang, t in heads.thresholds.items():
        print(f"  threshold {lang}: {t[CATEGORIES[0]]:.2f}  support {heads.support.get(lang, {})}  "
              f"{heads.meta['support_calibration'].get(lang, {})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
