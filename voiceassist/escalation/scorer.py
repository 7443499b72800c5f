"""The learned utterance scorer: per-category probabilities for one caller utterance.

A sentence encoder (:mod:`voiceassist.escalation.encoder`) turns the canonical text into a
vector; small linear heads (one logistic head per category, trained by
``scripts/train_scorer.py``) turn it into probabilities; per-language thresholds (calibrated on
the training data's held-out folds) decide which are strikes. The heads ship in the wheel as
``voiceassist/data/scorer/heads.npz`` with a model card beside it (``MODEL_CARD.md``).

Runtime needs numpy and the encoder only. :func:`load_scorer` builds the process-wide scorer once;
it returns None (rules alone) when the setting is off, the encoder package is missing or the
heads file does not fit the encoder, and :func:`scorer_status` says why (``voiceassist doctor``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceassist.escalation.encoder import Encoder, EncoderMissing, canonical, load_encoder

HEADS_PATH = Path(__file__).resolve().parent.parent / "data" / "scorer" / "heads.npz"


@dataclass(frozen=True)
class Score:
    """Probabilities of one text, with the categories that pass their language's threshold."""

    text: str
    probs: dict[str, float]
    strikes: tuple[str, ...]
    model: str
    #: Categories at or above their language's support threshold (below a strike): they turn an
    #: ambiguous rule signal of the same category in the same utterance into a strike.
    supports: tuple[str, ...] = ()

    def describe(self, category: str) -> str:
        """``"scorer: threat 0.93, model <version>"``."""
        return f"scorer: {category} {self.probs.get(category, 0.0):.2f}, model {self.model}"


class Heads:
    """Linear heads and thresholds read from a ``heads.npz`` file (no pickle)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, meta: Mapping[str, object]) -> None:
        self.W = np.asarray(W, dtype=np.float32)
        self.b = np.asarray(b, dtype=np.float32)
        self.meta = dict(meta)
        self.categories: tuple[str, ...] = tuple(meta["categories"])  # type: ignore[arg-type]
        self.encoder: str = str(meta["encoder"])
        self.version: str = str(meta["version"])
        #: lang -> category -> probability threshold.
        self.thresholds: dict[str, dict[str, float]] = meta["thresholds"]  # type: ignore[assignment]
        self.default_threshold: float = float(meta.get("default_threshold", 0.9))  # type: ignore[arg-type]
        #: lang -> category -> probability at which the scorer corroborates an ambiguous rule
        #: signal of that category; a heads file without it corroborates nothing.
        self.support: dict[str, dict[str, float]] = dict(meta.get("support", {}))  # type: ignore[call-overload]
        if self.W.shape != (len(self.categories), self.W.shape[1]) or self.b.shape != (len(self.categories),):
            raise ValueError("heads do not match their categories")

    @classmethod
    def load(cls, path: Path = HEADS_PATH) -> Heads:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["W"], z["b"], json.loads(bytes(z["meta"]).decode("utf-8")))

    def save(self, path: Path) -> None:
        meta = np.frombuffer(json.dumps(self.meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, W=self.W, b=self.b, meta=meta)

    def probs_many(self, X: np.ndarray) -> np.ndarray:
        z = X.astype(np.float32) @ self.W.T + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def probs(self, vec: np.ndarray) -> dict[str, float]:
        z = self.W @ vec.astype(np.float32) + self.b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return {c: round(float(x), 4) for c, x in zip(self.categories, p, strict=True)}

    def threshold(self, lang: str, category: str) -> float:
        return float(self.thresholds.get(lang, {}).get(category, self.default_threshold))

    def support_threshold(self, lang: str, category: str) -> float:
        """Probability from which a category corroborates a rule signal (never above its strike
        threshold; 1.01 when the heads have none for ``lang``: no corroboration)."""
        return min(float(self.support.get(lang, {}).get(category, 1.01)), self.threshold(lang, category))


class Scorer:
    """Scores caller utterances; thread-safe (one encoder call at a time)."""

    def __init__(self, encoder: Encoder, heads: Heads) -> None:
        if heads.encoder != encoder.name:
            raise ValueError(f"heads were trained for encoder {heads.encoder!r}, not {encoder.name!r}")
        if heads.W.shape[1] != encoder.dim:
            raise ValueError("heads and encoder differ in vector size")
        self.encoder = encoder
        self.heads = heads
        self.model = heads.version
        self.categories = heads.categories
        self._lock = threading.Lock()

    def score(self, text: str, lang: str) -> Score:
        t = canonical(text)
        if not t:
            return Score(t, {c: 0.0 for c in self.categories}, (), self.model)
        with self._lock:
            vec = self.encoder.encode([t])[0]
        probs = self.heads.probs(vec)
        strikes = tuple(c for c in self.categories if probs[c] >= self.heads.threshold(lang, c))
        supports = tuple(c for c in self.categories if probs[c] >= self.heads.support_threshold(lang, c))
        return Score(t, probs, strikes, self.model, supports)


_lock = threading.Lock()
_cached: dict[str, object] = {}
_status: dict[str, str] = {}


def scorer_status() -> tuple[bool, str]:
    """(usable, one-line reason) for the shipped scorer, without keeping it loaded twice."""
    s = _get()
    if s is not None:
        return True, f"scorer model {s.model} on encoder {s.encoder.name}"
    return False, _status.get("reason", "scorer unavailable")


def _get() -> Scorer | None:
    with _lock:
        if "scorer" in _cached:
            got = _cached["scorer"]
            return got if isinstance(got, Scorer) else None
        scorer: Scorer | None = None
        try:
            scorer = Scorer(load_encoder(), Heads.load())
        except EncoderMissing as exc:
            _status["reason"] = f"{exc}: detection runs on rules alone"
        except (OSError, ValueError, KeyError) as exc:
            _status["reason"] = f"scorer heads unusable ({exc}): detection runs on rules alone"
        _cached["scorer"] = scorer
        return scorer


def load_scorer(settings: Mapping[str, object] | None = None) -> Scorer | None:
    """The process-wide scorer, built once; None when ``escalation.scorer`` is false or it cannot
    load (then :func:`scorer_status` says why)."""
    if settings is not None and not bool(settings.get("escalation.scorer", True)):
        return None
    return _get()


def _reset_for_tests() -> None:
    with _lock:
        _cached.clear()
        _status.clear()


__all__ = ["HEADS_PATH", "Heads", "Score", "Scorer", "load_scorer", "scorer_status"]
