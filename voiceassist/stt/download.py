"""Downloading official vosk models: resumable, size/checksum checked, unpacked atomically.

The zip is fetched into ``<dest>/<name>.zip.part`` (an interrupted download resumes with an HTTP
``Range`` request), checked (exact size when the catalogue or the server knows it, sha256 when
the catalogue has one), extracted into a hidden temporary folder next to the destination and
then renamed into place, so ``<dest>/<name>`` is either absent or a complete model.
No printing here: progress goes to the ``on_progress(done_bytes, total_bytes)`` callback.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from voiceassist import __version__
from voiceassist.errors import ModelError, NetworkError
from voiceassist.stt.models import CatalogueModel, is_model_dir

#: Called with (bytes downloaded so far, total bytes or None when unknown).
ProgressFn = Callable[[int, int | None], None]

#: Seconds to wait for the server to connect/answer before giving up (offline fails fast).
DEFAULT_TIMEOUT_S = 5.0
_CHUNK = 1 << 16


def download_model(
    entry: CatalogueModel,
    dest_root: Path,
    *,
    url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_progress: ProgressFn | None = None,
) -> Path:
    """Download and unpack ``entry`` into ``dest_root/<name>``; returns the model folder.

    ``url`` overrides the catalogue URL (mirrors, tests). Already installed: returns at once.
    Raises :class:`NetworkError` (unreachable, HTTP error, interrupted, size or checksum
    mismatch) or :class:`ModelError` (the archive holds no vosk model).
    """
    target = dest_root / entry.name
    if is_model_dir(target):
        return target
    if target.exists():
        raise ModelError(
            f"{target} exists but is not a complete vosk model",
            hint="delete that folder and run the download again",
        )
    dest_root.mkdir(parents=True, exist_ok=True)
    part = dest_root / f"{entry.name}.zip.part"
    source = url or entry.url
    manual = (
        f"download {entry.url} elsewhere, unzip it and copy the folder {entry.name} into "
        f"{dest_root} (or pass --model DIR, or set VOSK_MODEL_PATH)"
    )
    size = _fetch(source, part, timeout_s, on_progress, manual)
    if entry.bytes is not None and size != entry.bytes:
        part.unlink(missing_ok=True)
        raise NetworkError(
            f"downloaded {size} bytes for {entry.name}, expected {entry.bytes}; the partial file "
            "was deleted, run the command again"
        )
    if entry.sha256 is not None:
        digest = sha256_file(part)
        if digest != entry.sha256:
            part.unlink(missing_ok=True)
            raise NetworkError(
                f"checksum mismatch for {entry.name} (sha256 {digest[:12]}..., expected "
                f"{entry.sha256[:12]}...); the file was deleted, run the command again"
            )
    unpack_model_zip(part, dest_root, entry.name)
    part.unlink(missing_ok=True)
    return target


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, part: Path, timeout_s: float, on_progress: ProgressFn | None, manual: str) -> int:
    """Fetch ``url`` into ``part`` (resuming what is there); returns the final size in bytes."""
    have = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": f"voiceassist/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    host = urlparse(url).netloc or url
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            return have  # the part file is already complete
        raise NetworkError(f"download of {url} failed: HTTP {exc.code} {exc.reason}", hint=manual) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(f"cannot reach {host} to download the model ({reason})", hint=manual) from None
    with response:
        total: int | None = None
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != have:
                have = 0
        else:
            have = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        mode = "ab" if have else "wb"
        try:
            with part.open(mode) as fh:
                if on_progress:
                    on_progress(have, total)
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    fh.write(chunk)
                    have += len(chunk)
                    if on_progress:
                        on_progress(have, total)
        except (TimeoutError, OSError) as exc:
            raise NetworkError(
                f"download from {host} was interrupted after {have} bytes ({exc}); run the same "
                "command again to resume",
                hint=manual,
            ) from None
    if total is not None and have != total:
        raise NetworkError(
            f"download from {host} stopped at {have} of {total} bytes; run the same command again "
            "to resume",
            hint=manual,
        )
    return have


def _content_range(value: str) -> tuple[int, int | None]:
    """``bytes START-END/TOTAL`` -> (START, TOTAL or None)."""
    try:
        _unit, rest = value.split(" ", 1)
        span, total = rest.split("/", 1)
        start = int(span.split("-", 1)[0])
        return start, (int(total) if total.strip() != "*" else None)
    except ValueError:
        return -1, None


def unpack_model_zip(archive: Path, dest_root: Path, name: str) -> Path:
    """Extract ``archive`` into a temporary folder in ``dest_root``, then rename the model folder
    to ``dest_root/name`` in one step. Returns the new folder."""
    target = dest_root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest_root))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    p = PurePosixPath(member)
                    if p.is_absolute() or ".." in p.parts:
                        raise ModelError(f"{archive.name}: unsafe path {member!r} in the archive")
                zf.extractall(tmp)
        except zipfile.BadZipFile:
            archive.unlink(missing_ok=True)
            raise NetworkError(
                f"the downloaded file for {name} is not a valid zip; it was deleted, run the "
                "command again"
            ) from None
        candidates = [tmp / name, tmp]
        candidates += [p for p in sorted(tmp.iterdir()) if p.is_dir()]
        model = next((c for c in candidates if is_model_dir(c)), None)
        if model is None:
            raise ModelError(f"the archive for {name} does not contain a vosk model")
        if model == tmp:
            model = tmp.rename(tmp.parent / f".{name}.ready")
            tmp = model
        model.rename(target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
