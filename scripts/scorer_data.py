#!/usr/bin/env python3
"""Data and embedding cache shared by ``train_scorer.py`` and ``validate_detection.py``.

Rows are ``Row(lang, source, kind, category, text)``:

- ``kind``: ``positive`` (must cue; ``category`` one of the scorer's categories), ``other`` (a
  labelled non-harmful category of the dev set: anger, flirting, ...), ``hard_negative``,
  ``service``, ``angry_clean``, ``benign`` (a dev-set benign turn), and for the blind set the
  kinds ``must_cue`` / ``tricky_benign``.
- ``source``: where the row comes from (``devset``, ``written``, ``templates``, ``davidson``,
  ``banpl``, ``kmhas``, ``blind``); leave-one-source-out holds out one at a time.

Embeddings are cached outside git in ``~/.cache/voiceassist/scorer/<encoder>/emb.sqlite``
(``VOICEASSIST_SCORER_CACHE`` moves it), keyed by the canonical text, so each text is encoded
once on this 2-core machine.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceassist.escalation.encoder import Encoder, Vectors, canonical  # noqa: E402

LANGS = ("en", "es", "it", "ko", "pl")
#: Categories the scorer learns (the ones that must cue); the rest of the dev set's labels are
#: negatives for it (the rules handle anger, flirting, troll, ...).
CATEGORIES = ("abuse", "threat", "racism", "sexism", "hate")
DEVSET_DIR = ROOT / "tests" / "data" / "devset"
WRITTEN_DIR = ROOT / "data" / "training" / "written"
WRITTEN_MORE_DIR = ROOT / "data" / "training" / "written_more"
BLIND_DIR = ROOT / "data" / "validation" / "blind"
#: The second blind set (2026-12-07, third session): written by two fresh helpers who saw no
#: rules, training text or the first blind set; measured once, after the last change.
BLIND2_DIR = ROOT / "data" / "validation" / "blind2"
SHARED = Path(os.environ.get("VOICEASSIST_SHARED_TRAINING", ROOT.parent / "shared" / "training"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/training")
#: Dev-set threats the scorer does not learn: legal threats and self-harm have their own forms
#: and responses (rules only); a scorer strike is a violent/stalking threat.
_THREAT_SKIP = ("legal", "lawyer", "court", "solicitor", "self harm", "self-harm", "sue")


@dataclass(frozen=True)
class Row:
    lang: str
    source: str
    kind: str
    category: str
    text: str
    register: str = ""


def devset_rows(langs: Sequence[str] = LANGS) -> list[Row]:
    """Single-turn labelled calls and every benign turn of the dev sets."""
    rows: list[Row] = []
    for lang in langs:
        path = DEVSET_DIR / f"{lang}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            cat = d.get("category")
            turns = d["turns"]
            if cat is None:
                rows.extend(Row(lang, "devset", "benign", "none", t) for t in turns)
                continue
            if len(turns) != 1:
                if cat not in CATEGORIES:  # e.g. anger said twice: every turn is non-harmful
                    rows.extend(Row(lang, "devset", "other", cat, t) for t in dict.fromkeys(turns))
                continue  # which turn carries the label is not said
            note = str(d.get("note", "")).casefold()
            if cat == "threat" and any(k in note for k in _THREAT_SKIP):
                continue
            kind = "positive" if cat in CATEGORIES else "other"
            rows.append(Row(lang, "devset", kind, cat, turns[0]))
    return rows


def tsv_rows(path: Path, source: str, lang: str) -> list[Row]:
    """A written TSV (``kind, category, [register,] text`` with a header line)."""
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for d in reader:
            text = (d.get("text") or "").strip()
            kind = (d.get("kind") or "").strip()
            if not text or not kind:
                continue
            cat = (d.get("category") or "none").strip() or "none"
            rows.append(Row(lang, source, kind, cat, text, (d.get("register") or "").strip()))
    return rows


def _folder_rows(directory: Path, source: str, langs: Sequence[str]) -> list[Row]:
    """Rows of ``directory/<lang>.tsv`` for each language that has a file, tagged ``source``."""
    rows: list[Row] = []
    for lang in langs:
        p = directory / f"{lang}.tsv"
        if p.exists():
            rows.extend(tsv_rows(p, source, lang))
    return rows


def written_rows(langs: Sequence[str] = LANGS, directory: Path = WRITTEN_DIR) -> list[Row]:
    return _folder_rows(directory, "written", langs)


def written_more_rows(langs: Sequence[str] = LANGS, directory: Path = WRITTEN_MORE_DIR) -> list[Row]:
    """The second written batch (other writers): its own source, so LOSO can hold one batch out."""
    return _folder_rows(directory, "written_more", langs)


def blind_rows(langs: Sequence[str] = LANGS, directory: Path = BLIND_DIR) -> list[Row]:
    return _folder_rows(directory, "blind", langs)


def blind2_rows(langs: Sequence[str] = LANGS, directory: Path = BLIND2_DIR) -> list[Row]:
    return _folder_rows(directory, "blind2", langs)


def _sample(items: list[Row], n: int, seed: int) -> list[Row]:
    if len(items) <= n:
        return items
    rnd = random.Random(seed)
    return rnd.sample(items, n)


def davidson_rows(n_per_class: int = 700, seed: int = 15) -> list[Row]:
    """Davidson et al. 2017 tweets (MIT): class 0 hate -> hate, 1 offensive -> abuse,
    2 neither -> benign; a fixed-seed sample per class, tweets cleaned of handles and URLs."""
    path = SHARED / "en_davidson2017.csv"
    if not path.exists():
        return []
    by: dict[str, list[Row]] = {"0": [], "1": [], "2": []}
    with path.open(encoding="utf-8", newline="") as fh:
        for d in csv.DictReader(fh):
            words = [
                w for w in d["tweet"].split()
                if not w.startswith(("@", "http", "&", "#")) and w not in ("RT", "rt")
            ]  # fmt: skip
            text = " ".join(words)
            if len(text.split()) < 3:
                continue
            c = d["class"]
            kind, cat = {"0": ("positive", "hate"), "1": ("positive", "abuse"), "2": ("benign", "none")}[c]
            by[c].append(Row("en", "davidson", kind, cat, text))
    out: list[Row] = []
    for k in sorted(by):
        out.extend(_sample(by[k], n_per_class, seed + int(k)))
    return out


def banpl_rows(n_per_class: int = 900, seed: int = 15) -> list[Row]:
    """BAN-PL (NASK, CC BY 4.0): 1 harmful -> abuse, 0 -> benign; short comments only."""
    path = SHARED / "pl_banpl.csv"
    if not path.exists():
        return []
    by: dict[str, list[Row]] = {"0": [], "1": []}
    with path.open(encoding="utf-8", newline="") as fh:
        for d in csv.DictReader(fh):
            text = " ".join(w for w in d["Text"].split() if not w.startswith(("@", "http", "{")))
            if not 3 <= len(text.split()) <= 30:
                continue
            kind, cat = ("positive", "abuse") if d["Class"] == "1" else ("benign", "none")
            by[d["Class"]].append(Row("pl", "banpl", kind, cat, text))
    out: list[Row] = []
    for k in sorted(by):
        out.extend(_sample(by[k], n_per_class, seed + int(k)))
    return out


#: K-MHaS classes -> scorer categories (validation only: no licence to train shipped weights).
_KMHAS = {"0": "racism", "1": "hate", "2": "abuse", "3": "abuse", "4": "hate", "5": "sexism", "6": "racism",
          "7": "hate"}  # fmt: skip


def kmhas_rows(n: int = 1500, seed: int = 15) -> list[Row]:
    """A fixed-seed sample of ``ko_kmhas_valid.tsv`` (never the test file): validation only."""
    path = SHARED / "ko_kmhas_valid.tsv"
    if not path.exists():
        return []
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for d in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            text, label = d["document"].strip(), d["label"].strip()
            if not text:
                continue
            first = label.split(",")[0]
            if first == "8":
                rows.append(Row("ko", "kmhas", "benign", "none", text))
            else:
                rows.append(Row("ko", "kmhas", "positive", _KMHAS.get(first, "abuse"), text))
    return _sample(rows, n, seed)


# ----------------------------------------------------------------------------- embedding cache


def cache_path(encoder_name: str) -> Path:
    base = Path(os.environ.get("VOICEASSIST_SCORER_CACHE", Path.home() / ".cache" / "voiceassist" / "scorer"))
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in encoder_name)
    return base / safe / "emb.sqlite"


class CachedEncoder:
    """An :class:`Encoder` that remembers every vector in a sqlite file (same vectors, once)."""

    def __init__(self, inner: Encoder, path: Path | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = path or cache_path(inner.name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path))
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB)")
        self.encoded = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: Sequence[str], batch: int = 64) -> Vectors:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), 500):
            chunk = uniq[i : i + 500]
            q = ",".join("?" * len(chunk))
            for k, v in self._db.execute(f"SELECT k, v FROM emb WHERE k IN ({q})", chunk):
                found[k] = np.frombuffer(v, dtype=np.float32)
        todo = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            vecs = self.inner.encode([t for _, t in part])
            for (k, _), v in zip(part, vecs, strict=True):
                found[k] = v.astype(np.float32)
            self._db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?)", [(k, found[k].tobytes()) for k, _ in part]
            )
            self._db.commit()
            self.encoded += len(part)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def embed(enc: CachedEncoder, rows: Iterable[Row]) -> Vectors:
    return enc.encode([canonical(r.text) for r in rows])


if __name__ == "__main__":  # warm the cache: python scripts/scorer_data.py
    from voiceassist.escalation.encoder import load_encoder

    e = CachedEncoder(load_encoder(threads=int(os.environ.get("THREADS", "1"))))
    every = devset_rows() + written_rows() + davidson_rows() + banpl_rows() + kmhas_rows()
    print(f"{len(every)} rows", flush=True)
    embed(e, every)
    print(f"encoded {e.encoded} new texts into {e.path}")
