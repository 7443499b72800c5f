"""Offline model provisioning for IT: install a model from a zip or a folder (file share), verify
installed models against the manifest written at install, remove them.

Installs are atomic: the model is unpacked or copied into a hidden temporary folder beside the
target and renamed into place, so a half-copied model is never visible to a running call.
``--system`` installs into ``/usr/share/vosk`` (readable by every user of the workstation; needs
write access there, i.e. root, once); otherwise into the user's data dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from voiceassist.errors import InputFileError, ModelError
from voiceassist.stt.download import unpack_model_zip
from voiceassist.stt.models import (
    ModelLocation,
    check_model_dir,
    installed_models,
    is_model_dir,
    missing_model_files,
    system_model_dirs,
    user_models_dir,
)

MANIFEST = ".voiceassist-manifest.json"


def install_root(system: bool) -> Path:
    """Where ``models install`` puts models."""
    return system_model_dirs()[0] if system else user_models_dir()


def _file_digests(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            h = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[path.relative_to(folder).as_posix()] = h.hexdigest()
    return out


def write_manifest(folder: Path) -> None:
    """Record every file's SHA-256 so ``models verify`` can tell a damaged copy."""
    (folder / MANIFEST).write_text(
        json.dumps(_file_digests(folder), indent=1, sort_keys=True), encoding="utf-8"
    )


def _name_for(src: Path) -> str:
    name = src.name
    for suffix in (".zip",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _make_readable(folder: Path, system: bool) -> None:
    dir_mode, file_mode = (0o755, 0o644) if system else (0o700, 0o600)
    for root, dirs, files in os.walk(folder):
        os.chmod(root, dir_mode)
        for d in dirs:
            os.chmod(os.path.join(root, d), dir_mode)
        for f in files:
            os.chmod(os.path.join(root, f), file_mode)


def install_model(src: Path, *, system: bool = False, force: bool = False, lang: str | None = None) -> Path:
    """Install the model in ``src`` (a ``.zip`` or an unpacked folder); returns its new folder.

    The source is never modified. Raises :class:`InputFileError` when ``src`` is missing,
    :class:`ModelError` when it is not a (readable, complete) vosk model, for another language
    than ``lang``, or already installed without ``force``.
    """
    src = Path(src).expanduser()
    if not src.exists():
        raise InputFileError(
            f"{src}: no such file or folder", hint="give a model .zip or an unpacked model folder"
        )
    root = install_root(system)
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o755 if system else 0o700)
        probe = tempfile.NamedTemporaryFile(dir=root, prefix=".probe-")  # noqa: SIM115
        probe.close()
    except OSError as exc:
        where = "the machine-wide model folder" if system else "the user model folder"
        raise ModelError(
            f"cannot write {where} {root}: {exc.strerror or exc}",
            hint="run `models install --system` as root once, or install for this user without --system",
        ) from None
    name = _name_for(src)
    target = root / name
    if target.exists() and not force:
        raise ModelError(f"{name} is already installed in {root}", hint="use --force to replace it")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.staging.", dir=root))
    try:
        if src.is_dir():
            check_model_dir(src, lang, source=str(src))
            built = staging / name
            shutil.copytree(src, built, symlinks=False)
        else:
            if not zipfile.is_zipfile(src):
                raise ModelError(
                    f"{src} is not a zip archive", hint="give the official model .zip or an unpacked folder"
                )
            with zipfile.ZipFile(src) as zf:
                bad = zf.testzip()
            if bad is not None:
                raise ModelError(
                    f"{src} is damaged (CRC error in {bad})", hint="copy the zip again from the share"
                )
            built = unpack_model_zip(src, staging, name)
            check_model_dir(built, lang, source=str(src))
        write_manifest(built)
        _make_readable(built, system)
        if target.exists():
            old = root / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            built.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            built.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Verdict:
    """Result of verifying one installed model."""

    location: ModelLocation
    ok: bool
    detail: str


def verify_model(loc: ModelLocation) -> Verdict:
    """Check required files, and every file against the install manifest when there is one."""
    missing = missing_model_files(loc.path)
    if missing:
        return Verdict(loc, False, f"missing {', '.join(missing)}")
    manifest = loc.path / MANIFEST
    if not manifest.is_file():
        return Verdict(loc, True, "required files present (no manifest: not installed by `models install`)")
    try:
        want = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Verdict(loc, False, "install manifest unreadable")
    have = _file_digests(loc.path)
    changed = sorted(k for k in want if have.get(k) != want[k])
    extra = sorted(set(have) - set(want))
    if changed:
        return Verdict(loc, False, f"{len(changed)} file(s) damaged or missing, e.g. {changed[0]}")
    note = f" ({len(extra)} extra file(s))" if extra else ""
    return Verdict(loc, True, f"{len(want)} files match the install manifest{note}")


def verify_all(lang: str | None = None) -> list[Verdict]:
    """Verify every installed model (of ``lang`` when given)."""
    return [verify_model(loc) for loc in installed_models() if lang is None or loc.lang == lang]


def remove_model(name: str, *, system: bool = False) -> Path:
    """Remove an installed model by folder name from the user (or machine-wide) model folder."""
    root = install_root(system)
    target = root / name
    if name in ("", ".", "..") or "/" in name or not target.is_dir():
        installed = [p.name for p in sorted(root.iterdir()) if is_model_dir(p)] if root.is_dir() else []
        listing = ", ".join(installed) or "none"
        raise ModelError(f"no model named {name!r} in {root} (installed there: {listing})")
    if not is_model_dir(target):
        raise ModelError(f"{target} is not a vosk model folder; not removing it")
    trash = root / f".{name}.removing"
    shutil.rmtree(trash, ignore_errors=True)
    target.rename(trash)
    shutil.rmtree(trash)
    return target


__all__ = ["install_model", "remove_model", "verify_all", "verify_model"]
