#!/usr/bin/env python3
"""Render dialogue scripts into synthetic phone calls with espeak-ng.

    scripts/make_calls.py DIALOGUE.toml... --out DIR [--mono] [--rate 8000|16000]
                          [--telephone] [--snr DB] [--seed N] [--cache DIR] [--force] [--jobs N]

For each ``NAME.toml`` writes ``DIR/NAME.wav`` (stereo: caller left, agent right; or caller only
with ``--mono``), ``DIR/NAME.vtt`` (reference transcript with voice tags and word times) and
``DIR/NAME.expect.toml``. A folder argument means every ``*.toml`` below it, written to the
same sub-folders below ``DIR``. Unchanged calls are
skipped (a content hash is kept in ``DIR/.NAME.key``); turn audio is cached in ``--cache``.
The dialogue format is in docs/testing.md.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callsynth

from voiceassist.errors import VoiceAssistError


def _dialogues(paths: list[str], out: Path) -> list[tuple[Path, Path]]:
    """(dialogue, output folder) pairs; files found in a folder keep their sub-folder below ``out``
    (``corpus`` -> ``OUT/en/x.wav`` for ``corpus/en/x.toml``)."""
    found: list[tuple[Path, Path]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for q in sorted(p.rglob("*.toml")):
                if not q.name.endswith(".expect.toml"):
                    found.append((q, out / q.parent.relative_to(p)))
        else:
            found.append((p, out))
    return found


def _render_one(job: tuple[Path, Path, callsynth.RenderOptions, str, bool]) -> tuple[str, str]:
    """Render one dialogue; returns (path, "written" | "unchanged" | error message)."""
    path, out_dir, opts, version, force = job
    try:
        dlg = callsynth.load_dialogue(path)
        stem = path.stem
        key = callsynth.render_key(dlg, opts, version)
        stamp = out_dir / f".{stem}.key"
        if not force and stamp.exists() and stamp.read_text() == key and (out_dir / f"{stem}.wav").exists():
            return str(path), "unchanged"
        call = callsynth.render_dialogue(dlg, opts, version)
        callsynth.write_call(call, out_dir, stem)
        stamp.write_text(key)
        return str(path), f"written ({call.duration_ms / 1000:.1f} s)"
    except callsynth.DialogueError as exc:
        return str(path), "error: " + "\n  ".join(exc.problems)
    except VoiceAssistError as exc:
        return str(path), f"error: {exc}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make_calls.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("dialogues", nargs="+", help="dialogue TOML files or folders")
    ap.add_argument("--out", required=True, type=Path, help="output folder")
    ap.add_argument("--mono", action="store_true", help="caller channel only")
    ap.add_argument("--rate", type=int, choices=(8000, 16000), help="sample rate, Hz")
    ap.add_argument("--telephone", action="store_true", help="300-3400 Hz band, 8 kHz, G.711 mu-law")
    ap.add_argument("--snr", type=float, help="background noise at this SNR, dB")
    ap.add_argument("--seed", type=int, help="noise seed (default: from the dialogue's content)")
    ap.add_argument("--cache", type=Path, default=Path("out/.tts-cache"), help="espeak-ng turn cache")
    ap.add_argument("--force", action="store_true", help="re-render even when unchanged")
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = ap.parse_args(argv)

    opts = callsynth.RenderOptions(
        mono=args.mono,
        rate_hz=args.rate,
        telephone=True if args.telephone else None,
        snr_db=args.snr,
        seed=args.seed,
        cache_dir=args.cache,
    )
    try:
        version = callsynth.espeak_version()
    except VoiceAssistError as exc:
        print(f"make_calls: error: {exc}", file=sys.stderr)
        return 2
    pairs = _dialogues(args.dialogues, args.out)
    if not pairs:
        print("make_calls: error: no dialogue files given", file=sys.stderr)
        return 2
    stems: dict[Path, Path] = {}
    for path, out_dir in pairs:
        target = out_dir / path.stem
        if target in stems:
            print(
                f"make_calls: error: {path} and {stems[target]} would both write {target}.wav",
                file=sys.stderr,
            )
            return 2
        stems[target] = path
    jobs = [(p, out_dir, opts, version, args.force) for p, out_dir in pairs]
    failed = 0
    if args.jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(_render_one, jobs))
    else:
        results = [_render_one(j) for j in jobs]
    for name, status in results:
        if status.startswith("error"):
            failed += 1
            print(f"{name}: {status}", file=sys.stderr)
        elif not args.quiet:
            print(f"{name}: {status}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
