"""The eval front-end (``voiceassist eval``): run recorded calls through the call assembly
and check the cues against
their expectation files (``CALL.expect.toml``). Format and metrics: ``docs/testing.md``.

Exit 0 when every check passes, 1 when any fails (or a call could not be evaluated), 9 when an
expectation file is invalid (reported before any audio is decoded).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError, ExitCode, InputFileError, ModelError, UsageError, VoiceAssistError
from voiceassist.events import CallEnded, Cue, Event, SpeechSegment, Transcript
from voiceassist.langs import LANGS
from voiceassist.paths import write_private_text
from voiceassist.qa.evalrun import CallRun, Mode, Span, build_summary, run_to_dict
from voiceassist.qa.evaluate import Row
from voiceassist.qa.expectations import ExpectationError, Expectations, load_expectations, sidecar_path

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


# --------------------------------------------------------------------------------------------
# Planning (parent process)


@dataclass(frozen=True)
class FileJob:
    """One audio file to evaluate (picklable: sent to worker processes)."""

    audio: str
    lang: str
    modes: tuple[Mode, ...]
    transcript: str | None
    model: str | None
    expectations: Expectations | None
    expect_file: str


def discover(paths: Sequence[str]) -> list[Path]:
    """Audio files from the arguments, folders searched recursively (sorted), duplicates dropped."""
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() in AUDIO_SUFFIXES and q.is_file())
        elif p.exists():
            found = [p]
        else:
            raise InputFileError(f"no such file or folder: {raw}")
        for q in found:
            key = q.resolve()
            if key not in seen:
                seen.add(key)
                out.append(q)
    if not out:
        raise InputFileError(f"no audio files (*.wav, *.flac, *.ogg) in {' '.join(paths)}")
    return out


def _lang_for(audio: Path, exp: Expectations | None, default: str | None) -> str:
    if exp is not None and exp.lang:
        return exp.lang
    if default:
        return default
    for part in reversed(audio.parent.parts):
        if part in LANGS:
            return part
    raise UsageError(
        f"{audio}: language unknown", hint='pass --lang xx or put lang = "xx" in the expectation file'
    )


def plan(args: argparse.Namespace) -> list[FileJob]:
    """Validate everything that can be checked without decoding audio; one job per file."""
    from voiceassist.stt.reference import find_transcript_beside

    files = discover(args.paths)
    problems: list[str] = []
    expectations: dict[Path, Expectations | None] = {}
    for audio in files:
        side = sidecar_path(audio)
        if side.is_file():
            try:
                expectations[audio] = load_expectations(side)
            except ExpectationError as exc:
                problems += exc.problems
        else:
            expectations[audio] = None
    if problems:
        raise ExpectationError(problems)

    models: dict[str, str | None] = {}

    def model_for(lang: str) -> str | None:
        if lang not in models:
            from voiceassist.stt.models import resolve_model

            try:
                models[lang] = str(resolve_model(lang, args.model).path)
            except ModelError:
                if args.transcripts == "off":
                    raise
                models[lang] = None
        return models[lang]

    jobs: list[FileJob] = []
    for audio in files:
        exp = expectations[audio]
        lang = _lang_for(audio, exp, args.lang)
        transcript = find_transcript_beside(audio)
        modes: list[Mode] = []
        model = None
        if args.transcripts in ("auto", "only"):
            if transcript is not None:
                modes.append("ref")
            elif args.transcripts == "only":
                raise InputFileError(
                    f"{audio}: no reference transcript beside it ({audio.with_suffix('.vtt').name})",
                    hint="use --transcripts auto or off to recognise the audio instead",
                )
        if args.transcripts in ("auto", "off"):
            model = model_for(lang)
            if model is not None:
                modes.append("asr")
        if not modes:
            raise ModelError(
                f"{audio}: no reference transcript and no speech model for '{lang}'",
                hint=f"put {audio.with_suffix('.vtt').name} beside it or run "
                f"`voiceassist models download {lang}`",
            )
        jobs.append(
            FileJob(
                audio=audio.as_posix(),
                lang=lang,
                modes=tuple(modes),
                transcript=None if transcript is None else str(transcript),
                model=model,
                expectations=exp,
                expect_file=sidecar_path(audio).as_posix() if exp is not None else "",
            )
        )
    return jobs


# --------------------------------------------------------------------------------------------
# Running one file (worker process)

_MODELS: dict[str, Any] = {}


def _vosk_model(path: str) -> Any:
    if path not in _MODELS:
        from voiceassist.stt.vosk_recognizer import load_vosk_model

        _MODELS[path] = load_vosk_model(path)
    return _MODELS[path]


_ASSEMBLY: list[Any] = []


def _assembly() -> Any:
    """The call assembly of the effective settings (one per process)."""
    if not _ASSEMBLY:
        from voiceassist.session.assembly import Assembly
        from voiceassist.settings import load_settings

        _ASSEMBLY.append(Assembly.from_settings(load_settings()))
    return _ASSEMBLY[0]


def _new_engine(lang: str) -> Any:
    return _assembly().engine(lang)


def run_call(job: FileJob, mode: Mode) -> CallRun:
    """Run one file through the pipeline in one mode; errors become ``CallRun.error``."""
    from voiceassist.audio.files import open_audio_file
    from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

    base: dict[str, Any] = {
        "call": job.audio,
        "lang": job.lang,
        "mode": mode,
        "expectations": job.expectations,
        "expect_file": job.expect_file,
    }
    try:
        ref = load_transcript(job.transcript) if job.transcript else []
        agent_rec = ReferenceRecognizer(ref, "agent") if any(u.speaker == "agent" for u in ref) else None
        if mode == "ref":
            caller_rec: Any = ReferenceRecognizer(ref, "caller")
        else:
            from voiceassist.stt.vosk_recognizer import VoskRecognizer

            assert job.model is not None
            caller_rec = VoskRecognizer(_vosk_model(job.model), "caller")
        engine = _new_engine(job.lang)
        assembly = _assembly()
        with open_audio_file(job.audio, caller_channel=str(assembly.config.settings.get(
                "audio.caller_channel", "left")), agent_channel=str(assembly.config.settings.get(
                "audio.agent_channel", "right"))) as audio:
            has_agent = audio.info.has_agent_channel
            # No opening history across files: results stay the same run after run.
            call = assembly.new_call(caller_rec, agent_recognizer=agent_rec if has_agent else None,
                                     agent_audio=has_agent,
                                     lang=job.lang, call_id=Path(job.audio).stem, source=job.audio,
                                     engine=engine, remember_openings=False)
            events: list[Event] = call.start()
            for block in audio.blocks():
                events += call.feed(block)
            events += call.finish()
        end_ms = next((e.at_ms for e in events if isinstance(e, CallEnded)), 0)
    except VoiceAssistError as exc:
        return CallRun(duration_ms=0, error=str(exc), **base)

    finals = tuple(e for e in events if isinstance(e, Transcript) and e.kind == "final")
    cues = tuple(e for e in events if isinstance(e, Cue))
    speech = _spans(events, end_ms)
    wer_texts = None
    if mode == "asr" and ref:
        wer_texts = (
            " ".join(u.text for u in ref if u.speaker == "caller"),
            " ".join(t.text for t in finals if t.speaker == "caller"),
        )
    wer = None
    if wer_texts is not None:
        from voiceassist.qa.evaluate import word_error_rate

        wer = word_error_rate([wer_texts[0]], [wer_texts[1]])
    return CallRun(
        duration_ms=end_ms,
        finals=finals,
        speech=speech,
        cues=cues,
        wer=wer,
        wer_texts=wer_texts,
        **base,
    )


def _spans(events: Sequence[Event], end_ms: int) -> tuple[Span, ...]:
    """Speech activity per speaker from the VAD's start/end events."""
    open_at: dict[str, int] = {}
    spans: list[Span] = []
    for e in events:
        if isinstance(e, SpeechSegment):
            if e.kind == "start":
                open_at.setdefault(e.speaker, e.at_ms)
            elif e.speaker in open_at:
                spans.append(Span(e.speaker, open_at.pop(e.speaker), e.at_ms))
    for who, start in sorted(open_at.items()):
        spans.append(Span(who, start, end_ms))
    return tuple(sorted(spans, key=lambda s: (s.start_ms, s.speaker)))


def evaluate_file(job: FileJob) -> list[CallRun]:
    """Every mode of one file (the unit of work of ``--jobs``)."""
    return [run_call(job, mode) for mode in job.modes]


# --------------------------------------------------------------------------------------------
# Output


def _cell(v: float | int | None, pct: bool = False, unit: str = "") -> str:
    if v is None:
        return "-"
    if pct:
        return f"{v * 100:.1f}%"
    return f"{v:g}{unit}"


def format_table(rows: Sequence[Row], label: str) -> str:
    """Fixed-width text table of metric rows."""
    head = [
        label,
        "exp",
        "hit",
        "miss",
        "false",
        "prec",
        "recall",
        "F1",
        "lat p50",
        "lat p95",
        "quiet false/h",
    ]
    body = [
        [
            r.group,
            str(r.expected),
            str(r.hits),
            str(r.misses),
            str(r.false_cues),
            _cell(r.precision, pct=True),
            _cell(r.recall, pct=True),
            _cell(r.f1),
            _cell(r.latency_median_ms, unit=" ms"),
            _cell(r.latency_p95_ms, unit=" ms"),
            f"{_cell(r.false_per_hour)} ({r.quiet_false} in {r.quiet_hours * 60:.1f} min)",
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(head), *(line(b) for b in body)])


def format_summary(runs: Sequence[CallRun], summary: dict[str, Any]) -> str:
    """The text printed by ``eval``: failures first, then the tables."""
    out: list[str] = []
    for r in runs:
        if r.error:
            out.append(f"ERROR {r.name}: {r.error}")
        for c in r.match.checks:
            if not c.passed:
                where = f"{r.expect_file}:{c.line}" if r.expect_file and c.line else r.call
                out.append(f"FAIL  {where} [{r.mode}] {c.name}: {c.message}")
    if out:
        out.append("")
    titles = {"ref": "reference transcripts", "asr": "speech recognition"}
    for mode, tables in summary["modes"].items():
        out.append(f"== detection with {titles[mode]} ==")
        out.append(format_table(tables["by_lang"], "language"))
        out.append("")
        out.append(format_table(tables["by_category"], "category"))
        out.append("")
    shown: dict[str, int] = {}
    for r in runs:
        for cue in r.unjudged_cues:
            shown[cue.cue] = shown.get(cue.cue, 0) + 1
    if shown:
        listed = ", ".join(f"{cue} {n}" for cue, n in sorted(shown.items()))
        out.append(f"agent coaching cues (judged in coaching dialogues only): {listed}")
    wer = summary.get("wer")
    if wer:
        per = ", ".join(f"{k} {_cell(v, pct=True)}" for k, v in wer["by_lang"].items())
        out.append(
            f"ASR word error rate (caller): {_cell(wer['overall'], pct=True)} "
            f"over {wer['calls']} calls ({per})"
        )
    out.append(
        f"{summary['runs'] - summary['runs_failed']}/{summary['runs']} call runs passed, "
        f"{summary['checks'] - summary['checks_failed']}/{summary['checks']} checks passed, "
        f"{summary['audio_ms'] / 60000:.1f} min of audio"
    )
    return "\n".join(out)


def results_json(runs: Sequence[CallRun], summary: dict[str, Any]) -> str:
    """The ``--json`` document: deterministic (sorted keys, no wall-clock values)."""
    doc = {
        "summary": {
            **{k: v for k, v in summary.items() if k != "modes"},
            "modes": {
                mode: {key: [asdict(r) for r in rows] for key, rows in tables.items()}
                for mode, tables in summary["modes"].items()
            },
        },
        "calls": [run_to_dict(r) for r in runs],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private_text(path, text)
    except OSError as exc:
        raise InputFileError(f"cannot write {path}: {exc.strerror}") from None


def evaluate_all(jobs: Sequence[FileJob], n_jobs: int = 1, progress: bool = True) -> list[CallRun]:
    """Evaluate every job (in ``n_jobs`` processes); results in job order, identical for any n."""
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), unit="call", desc="eval", disable=not progress, file=sys.stderr)
    results: list[list[CallRun]] = []
    try:
        if n_jobs > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
                for res in pool.map(evaluate_file, jobs):
                    results.append(res)
                    bar.update(1)
        else:
            for job in jobs:
                results.append(evaluate_file(job))
                bar.update(1)
    finally:
        bar.close()
    return [r for res in results for r in res]


def require_extras(jobs: Sequence[FileJob], report: bool) -> None:
    """Fail before any audio is decoded when the run needs an optional package that is missing:
    jiwer for the word error rate of ASR runs, jinja2 for ``--report`` (both in the ``eval``
    extra). Raises :class:`ConfigError` (exit 9) naming the extra."""
    import importlib

    def missing_module(name: str) -> bool:
        try:
            importlib.import_module(name)
        except ImportError:
            return True
        return False

    needed = []
    if any("asr" in j.modes for j in jobs):
        needed.append(("jiwer", "word error rates of ASR runs"))
    if report:
        needed.append(("jinja2", "the HTML report (--report)"))
    missing = [(m, why) for m, why in needed if missing_module(m)]
    if missing:
        names = ", ".join(m for m, _ in missing)
        whys = "; ".join(f"{m}: {why}" for m, why in missing)
        raise ConfigError(f"eval needs {names} ({whys})", hint="pip install 'voiceassist[eval]'")


def main(args: argparse.Namespace) -> int:
    """The ``eval`` command: plan, evaluate, print and write; returns the exit code."""
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.lang is not None and args.lang not in LANGS:
        raise UsageError(f"--lang must be one of {', '.join(LANGS)}")
    try:
        jobs = plan(args)
    except ExpectationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise
    require_extras(jobs, report=bool(args.report))
    progress = not args.no_progress and sys.stderr.isatty()
    runs = evaluate_all(jobs, args.jobs, progress)
    summary = build_summary(runs)
    print(format_summary(runs, summary))
    if args.json:
        _write(args.json, results_json(runs, summary))
    if args.junit:
        from voiceassist.qa.junit import junit_xml

        _write(args.junit, junit_xml(runs))
    if args.report:
        from voiceassist.qa.report import render_report

        _write(args.report, render_report(runs, summary))
    failed = any(not r.passed for r in runs)
    return int(ExitCode.CHECK_FAILED if failed else ExitCode.OK)
