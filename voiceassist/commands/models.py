"""``voiceassist models list | path LANG | download LANG [--big]``: vosk speech models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ExitCode
from voiceassist.stt.models import (
    PRODUCT_LANGS,
    installed_models,
    load_catalogue,
    resolve_model,
    search_places,
    user_models_dir,
)


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="list, locate, download, install, verify and remove vosk speech models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="official models per language, and which are installed where")
    ls.add_argument("--all", action="store_true", help="every catalogue language, not only it/pl/es/en/ko")
    ls.set_defaults(func=run_list)
    path = msub.add_parser("path", help="the model folder that would be used for LANG")
    path.add_argument("lang")
    path.add_argument("--model", metavar="DIR", default=None, help="check this folder instead")
    path.set_defaults(func=run_path)
    dl = msub.add_parser("download", help="download and unpack the official model for LANG")
    dl.add_argument("lang")
    dl.add_argument("--big", action="store_true", help="the large, more accurate model (GBs of RAM)")
    dl.add_argument(
        "--dest",
        metavar="DIR",
        type=Path,
        default=None,
        help=f"install into DIR (default: {user_models_dir()})",
    )
    dl.add_argument("--url", default=None, help=argparse.SUPPRESS)  # mirrors / tests
    dl.add_argument("--timeout", type=float, default=5.0, help="network timeout, seconds (default 5)")
    dl.set_defaults(func=run_download)
    inst = msub.add_parser(
        "install", help="install a model from a .zip or an unpacked folder (offline, file share)"
    )
    inst.add_argument("source", type=Path, help="model .zip or unpacked model folder")
    inst.add_argument(
        "--system",
        action="store_true",
        help="machine-wide for every user (/usr/share/vosk; needs write access there)",
    )
    inst.add_argument("--lang", default=None, help="refuse the model unless it is for this language")
    inst.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    inst.set_defaults(func=run_install)
    ver = msub.add_parser("verify", help="check installed models against their install manifests")
    ver.add_argument("lang", nargs="?", default=None)
    ver.set_defaults(func=run_verify)
    rm = msub.add_parser("remove", help="remove an installed model by folder name")
    rm.add_argument("name")
    rm.add_argument("--system", action="store_true", help="from the machine-wide folder")
    rm.set_defaults(func=run_remove)


def run_install(args: argparse.Namespace) -> int:
    from voiceassist.stt.provision import install_model

    target = install_model(args.source, system=args.system, force=args.force, lang=args.lang)
    print(f"installed {target.name} in {target.parent}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from voiceassist.stt.provision import verify_all

    verdicts = verify_all(args.lang)
    if not verdicts:
        print(f"no installed models{' for ' + args.lang if args.lang else ''}")
        return 1
    for v in verdicts:
        print(f"{'ok  ' if v.ok else 'FAIL'} {v.location.lang or '?':<3} {v.location.path}  {v.detail}")
    return 0 if all(v.ok for v in verdicts) else 1


def run_remove(args: argparse.Namespace) -> int:
    from voiceassist.stt.provision import remove_model

    target = remove_model(args.name, system=args.system)
    print(f"removed {target}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    installed = installed_models()
    by_name: dict[str, list[str]] = {}
    for loc in installed:
        by_name.setdefault(loc.name, []).append(f"{loc.path} ({loc.source})")
    langs = sorted({m.lang for m in catalogue.models}) if args.all else list(PRODUCT_LANGS)
    rows = [("LANG", "KIND", "MODEL", "SIZE", "INSTALLED")]
    listed: set[str] = set()
    for lang in langs:
        for m in catalogue.for_lang(lang):
            size = f"{m.size_mb / 1000:.1f} GB" if m.size_mb >= 1000 else f"{m.size_mb} MB"
            where = by_name.get(m.name)
            rows.append((lang, m.kind, m.name, size, where[0] if where else "-"))
            listed.add(m.name)
    for loc in installed:
        if loc.name not in listed:
            rows.append((loc.lang or "?", "-", loc.name, "-", f"{loc.path} ({loc.source})"))
            listed.add(loc.name)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    print()
    print(
        "search order: --model, "
        + ", ".join(f"{label} ({p})" if label != str(p) else str(p) for label, p in search_places())
        + ", pip packages"
    )
    return int(ExitCode.OK)


def run_path(args: argparse.Namespace) -> int:
    loc = resolve_model(args.lang, args.model)
    print(loc.path)
    return int(ExitCode.OK)


def run_download(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from voiceassist.stt.download import download_model

    entry = load_catalogue().entry(args.lang, big=args.big)
    dest: Path = args.dest or user_models_dir()
    bar = tqdm(
        desc=entry.name,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
    )

    def progress(done: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        path = download_model(entry, dest, url=args.url, timeout_s=args.timeout, on_progress=progress)
    finally:
        bar.close()
    print(path)
    return int(ExitCode.OK)
