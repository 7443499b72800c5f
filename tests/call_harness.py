"""``run_call(frontend, wav, vtt)``: one recorded call through one front-end, the cues it gave.

The shape of pipecat's ``run_test``: a test names the front-end and the call, and compares what
came out. Front-ends: ``eval`` (the eval runner), ``replay`` (the CLI, ``--json``), ``run`` (the
CLI's live loop on the recording: ``run --input --fast``, cues read back from its call log) and
``demo`` (the demo's pipeline and playback core on a folder holding the call). Every one follows
the reference transcript ``vtt``, in the language the call's own files name, and gives
``(cue, say)`` pairs in order: caller cues, agent coaching and after-call cues.

``run`` and ``replay`` use the user data folder for their store and logs: point
``VOICEASSIST_DATA_DIR`` at a temporary folder first (``monkeypatch.setenv``).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from voiceassist.calllog import read_log

FRONTENDS = ("eval", "replay", "run", "demo")


def run_call(frontend: str, wav: Path, vtt: Path, *, lang: str, work: Path,
             extra: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The ``(cue, say)`` list of ``wav`` (with reference transcript ``vtt``, in ``lang``) through
    ``frontend``; ``work`` is a scratch folder; ``extra`` are more CLI flags (run, replay)."""
    if frontend == "eval":
        from voiceassist.session.eval_runner import FileJob
        from voiceassist.session.eval_runner import run_call as eval_call

        job = FileJob(audio=wav.as_posix(), lang=lang, modes=("ref",), transcript=str(vtt),
                      model=None, expectations=None, expect_file="")
        result = eval_call(job, "ref")
        assert result.error is None, result.error
        return [(c.cue, c.say) for c in result.cues]
    if frontend in ("replay", "run"):
        return _cli(frontend, wav, vtt, extra)
    if frontend == "demo":
        return _demo(wav, vtt, lang, work)
    raise ValueError(f"unknown front-end {frontend!r} (known: {', '.join(FRONTENDS)})")


def _cli(frontend: str, wav: Path, vtt: Path, extra: Sequence[str]) -> list[tuple[str, str]]:
    from contextlib import redirect_stdout

    from voiceassist.cli import main

    argv = (["run", "--input", str(wav), "--fast"] if frontend == "run"
            else ["replay", str(wav), "--json"]) + ["--transcript", str(vtt), *extra]
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    assert code == 0, (argv, out.getvalue())
    if frontend == "replay":
        events = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    else:
        m = re.search(r"; log (\S+\.jsonl)", out.getvalue())
        assert m, out.getvalue()
        events = read_log(Path(m.group(1)))
    return [(e["cue"], e["say"]) for e in events if e["type"] == "cue"]


def _demo(wav: Path, vtt: Path, lang: str, work: Path) -> list[tuple[str, str]]:
    from voiceassist.cues.bank import CueBank
    from voiceassist.cues.cache import CueCache
    from voiceassist.cues.tts import TtsRenderer
    from voiceassist.session import Assembly
    from voiceassist.session.demo import DemoOptions, run_demo
    from voiceassist.settings import load_settings

    root = work / "demo"
    (root / lang).mkdir(parents=True, exist_ok=True)
    shutil.copy(wav, root / lang / wav.name)
    shutil.copy(vtt, (root / lang / wav.name).with_suffix(".vtt"))
    renderer = TtsRenderer()
    try:
        result = run_demo(
            DemoOptions(langs=(lang,), fast=True, out=work / "demo.wav", play=False, root=root),
            io.StringIO(),
            bank_factory=lambda lg: CueBank(lg, cache=CueCache(renderer, work / "cache"), rate_hz=16000),
            assembly=Assembly.from_settings({**load_settings(), "call.agent_lang": ""}),
        )
    finally:
        renderer.close()
    return [(c.cue.cue, c.cue.say) for c in result.cues]


__all__ = ["FRONTENDS", "run_call"]
