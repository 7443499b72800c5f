"""Replaying recorded calls through the pipeline, and printing the event stream.

Text output: one line per final, ``[00:12.340] caller: text`` (time = start of the utterance,
call time); partials on one live-updating line when stdout is a terminal (never when piped);
cues as ``[00:13.000] >> cue_id: say  (script)``. ``--json``: every event, one JSON object per
line (:meth:`voiceassist.events.Event.to_json`).

Errors stop the file with everything recognised so far already printed (the pipeline is
flushed first). With several inputs, a bad file is reported and the others still run; the exit
code is that of the first failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from voiceassist.audio.source import AudioSource
from voiceassist.errors import ExitCode, InputFileError, UsageError, VoiceAssistError
from voiceassist.events import CallEnded, Cue, Event, Transcript
from voiceassist.pipeline import CueEngine, Pipeline
from voiceassist.reading_order import ReadingOrder
from voiceassist.stt.base import Recognizer
from voiceassist.stt.reference import (
    ReferenceRecognizer,
    RefUtterance,
    find_transcript_beside,
    load_transcript,
)
from voiceassist.vad.config import VadConfig

#: File suffixes picked up when a folder is given.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus")


def format_ms(ms: int) -> str:
    """Call time as ``MM:SS.mmm`` (``H:MM:SS.mmm`` from one hour on)."""
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h}:{m:02d}:{s:02d}.{milli:03d}" if h else f"{m:02d}:{s:02d}.{milli:03d}"


# Printers ----------------------------------------------------------------------------------------
class TextPrinter:
    """Listener printing finals and cues; partials on a live line when ``live``.

    Not live (piped, a file): the text is read after the fact, so a cue fired while its
    utterance was still being spoken is printed right after that utterance's line
    (:class:`voiceassist.reading_order.ReadingOrder`)."""

    def __init__(self, out: TextIO, *, live: bool = False,
                 write_line: Callable[[str], None] | None = None) -> None:
        self.out = out
        self.live = live
        self._write_line = write_line
        self._partial_shown = False
        self._order = ReadingOrder(self._line, hold=not live)

    def __call__(self, event: Event) -> None:
        if isinstance(event, Transcript):
            self._order.transcript(event)
            line = f"[{format_ms(event.start_ms)}] {event.speaker}: {event.text}"
            if event.kind == "partial":
                if self.live:
                    width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
                    self.out.write("\r\x1b[K" + (line if len(line) <= width else line[: width - 1] + "…"))
                    self.out.flush()
                    self._partial_shown = True
                return
            self._line(line)
            self._order.printed_final()
        elif isinstance(event, Cue):
            script = f"  ({event.script})" if event.script else ""
            self._order.cue(event, f"[{format_ms(event.at_ms)}] >> {event.cue}: {event.say}{script}")
        elif isinstance(event, CallEnded):
            self._order.end()
            self.close()

    def close(self) -> None:
        """Clear an unfinished live partial line."""
        if self._partial_shown:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._partial_shown = False

    def _line(self, text: str) -> None:
        self.close()
        if self._write_line is not None:
            self._write_line(text)
        else:
            self.out.write(text + "\n")
            self.out.flush()


class JsonPrinter:
    """Listener printing every event as one JSON line."""

    def __init__(self, out: TextIO, write_line: Callable[[str], None] | None = None) -> None:
        self.out = out
        self._write_line = write_line

    def __call__(self, event: Event) -> None:
        if self._write_line is not None:
            self._write_line(event.to_json())
        else:
            self.out.write(event.to_json() + "\n")
            self.out.flush()

    def close(self) -> None:
        pass


# Options and inputs ------------------------------------------------------------------------------
@dataclass
class ReplayOptions:
    """What ``voiceassist replay`` was asked to do (already merged with the settings)."""

    inputs: list[str]
    lang: str = "en"
    model: str | None = None
    #: A transcript file, ``auto`` (``CALL.vtt`` / ``CALL.transcript.jsonl`` beside each input),
    #: or None (vosk).
    transcript: str | None = None
    json: bool = False
    realtime: bool = False
    caller_channel: str = "left"
    agent_channel: str = "right"
    raw_rate: int | None = None
    raw_format: str = "s16le"
    raw_channels: int = 1
    transcribe_agent: bool = False
    block_samples: int = 4000
    verbose: bool = False
    vad: VadConfig = field(default_factory=VadConfig)
    #: The call assembly (``voiceassist.session.Assembly``): when given, each file is built by it
    #: like a live call (engine, agent coaching, after-call cues), in its own language.
    assembly: Any = None
    #: The language was given (``--lang``); otherwise a file's expectation file may name it.
    lang_given: bool = True
    #: The call store (``voiceassist.store.recorder.CallRecorder``, ``--store``): each file is
    #: recorded as a call, like ``run`` records a live one. Needs ``assembly``.
    recorder: Any = None
    #: The caller's normalised id (``--caller-id``): flags are looked up and recorded for it.
    caller_id: str | None = None


@dataclass
class FileResult:
    """Outcome of one replayed input."""

    path: str
    audio_ms: int = 0
    finals: int = 0
    cues: int = 0
    error: VoiceAssistError | None = None


def collect_inputs(inputs: Sequence[str]) -> list[str]:
    """Expand folders into their audio files (sorted, recursive); ``-`` stays stdin."""
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if item != "-" and p.is_dir():
            found = sorted(
                str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES
            )
            if not found:
                raise InputFileError(
                    f"no audio files ({', '.join(AUDIO_SUFFIXES)}) in folder {p}"
                )
            out.extend(found)
        else:
            out.append(item)
    return out


def open_input(item: str, opts: ReplayOptions) -> AudioSource:
    """Open one input as an audio source (file, raw file, or ``-`` for raw stdin)."""
    if item == "-" or opts.raw_rate is not None:
        if opts.raw_rate is None:
            raise UsageError("reading audio from stdin ('-') needs --raw-rate and --raw-format")
        from voiceassist.audio.raw import open_raw_file

        return open_raw_file(
            item,
            rate_hz=opts.raw_rate,
            fmt=opts.raw_format,
            channels=opts.raw_channels,
            caller_channel=opts.caller_channel,
            agent_channel=opts.agent_channel,
            block_samples=opts.block_samples,
        )
    from voiceassist.audio.files import open_audio_file

    return open_audio_file(
        item,
        caller_channel=opts.caller_channel,
        agent_channel=opts.agent_channel,
        block_samples=opts.block_samples,
    )


# Recognisers ---------------------------------------------------------------------------------------
class RecognizerFactory:
    """Builds the recognisers for each input; the vosk model of each call language is resolved up
    front (so a bad model fails before any audio is read) and loaded once, on first use."""

    def __init__(self, opts: ReplayOptions, items: Sequence[str] = ()) -> None:
        self.opts = opts
        self._models: dict[Path, Any] = {}
        self._paths: dict[str, Path] = {}
        self._fixed_transcript: list[RefUtterance] | None = None
        if opts.transcript and opts.transcript != "auto":
            self._fixed_transcript = load_transcript(opts.transcript)
        elif opts.transcript is None:
            langs: list[str] = []
            for item in items or ["-"]:
                try:
                    langs.append(call_lang(item, opts, None))
                except UsageError:
                    continue  # reported with that file
            for lang in dict.fromkeys(langs or [opts.lang]):
                self.model_path_for(lang)

    @property
    def model_path(self) -> Path | None:
        """The model of the default language, once resolved (None with transcripts)."""
        return self._paths.get(self.opts.lang) or next(iter(self._paths.values()), None)

    def model_path_for(self, lang: str) -> Path:
        if lang not in self._paths:
            from voiceassist.stt.models import resolve_model

            # An explicit --model / stt.model is the model of every call.
            self._paths[lang] = resolve_model(lang, self.opts.model).path
        return self._paths[lang]

    def transcript_for(self, item: str) -> Path | None:
        """The reference transcript replayed for ``item`` (None = vosk)."""
        if self.opts.transcript == "auto":
            found = find_transcript_beside(Path(item)) if item != "-" else None
            if found is None:
                stem = Path(item).with_suffix("")
                raise InputFileError(
                    f"--transcript auto: neither {stem}.vtt nor {stem}.transcript.jsonl exists"
                )
            return found
        return Path(self.opts.transcript) if self.opts.transcript else None

    def for_input(self, item: str, lang: str | None = None) -> tuple[Recognizer, Recognizer | None]:
        utts = self._fixed_transcript
        if self.opts.transcript == "auto":
            found = self.transcript_for(item)
            assert found is not None
            utts = load_transcript(found)
        if utts is not None:
            agent = ReferenceRecognizer(utts, "agent") if any(u.speaker == "agent" for u in utts) else None
            return ReferenceRecognizer(utts, "caller"), agent
        from voiceassist.stt.vosk_recognizer import VoskRecognizer, load_vosk_model

        path = self.model_path_for(lang or self.opts.lang)
        if path not in self._models:
            self._models[path] = load_vosk_model(path, verbose=self.opts.verbose)
        model = self._models[path]
        agent_rec = VoskRecognizer(model, "agent") if self.opts.transcribe_agent else None
        return VoskRecognizer(model, "caller"), agent_rec


# Running -----------------------------------------------------------------------------------------
def file_lang(item: str) -> str | None:
    """The language a recorded call's expectation file (``CALL.expect.toml``) names, if any."""
    if item == "-":
        return None
    from voiceassist.qa.expectations import ExpectationError, load_expectations, sidecar_path

    side = sidecar_path(Path(item))
    if not side.is_file():
        return None
    try:
        return load_expectations(side).lang
    except ExpectationError:
        return None


def call_lang(item: str, opts: ReplayOptions, transcript: Path | None) -> str:
    """The language ``item`` is replayed in: ``--lang``, else the one its expectation file names,
    else the one its ``transcript`` names, else the default (setting ``call.lang``). A file
    naming a language with no rule pack is an error (:class:`UsageError`), not an English call."""
    if opts.lang_given:
        return opts.lang
    return recording_lang(item, transcript) or opts.lang


def recording_lang(item: str, transcript: Path | None) -> str | None:
    """The language a recording's expectation file, else its ``transcript``, names (None: neither
    does); a language with no rules is a :class:`UsageError`. ``replay`` and ``run --input``."""
    from voiceassist.langs import LANGS

    named = [(f"{item}'s expectation file", file_lang(item))]
    if transcript is not None:
        from voiceassist.stt.reference import transcript_lang

        named.append((f"transcript {transcript}", transcript_lang(transcript)))
    for where, lang in named:
        if lang is None:
            continue
        if lang not in LANGS:
            raise UsageError(f"{where} names language {lang!r}, which voiceassist has no rules for",
                             hint=f"pass --lang ({', '.join(LANGS)})")
        return lang
    return None


def replay_one(
    item: str,
    opts: ReplayOptions,
    factory: RecognizerFactory,
    listeners: Sequence[Callable[[Event], None]],
    cue_engine: CueEngine | None = None,
) -> FileResult:
    """Replay one input through a fresh pipeline; errors propagate after a flush."""
    result = FileResult(path=item)

    def count(event: Event) -> None:
        if isinstance(event, Transcript) and event.kind == "final":
            result.finals += 1
        elif isinstance(event, Cue):
            result.cues += 1

    with open_input(item, opts) as source:
        lang = call_lang(item, opts, factory.transcript_for(item))
        caller_rec, agent_rec = factory.for_input(item, lang)
        pipeline: Any
        if opts.assembly is not None:
            pipeline = opts.assembly.new_call(
                caller_rec, agent_recognizer=agent_rec, agent_audio=source.info.has_agent_channel,
                lang=lang, call_id=Path(item).stem if item != "-" else "stdin", source=source.info.path,
                listeners=[*listeners, count], cues=cue_engine is not None, remember_openings=False,
                recorder=opts.recorder, caller_id=opts.caller_id,
                recording_path=Path(item).resolve() if item != "-" else None)
        else:
            pipeline = Pipeline(
                caller_rec,
                agent_recognizer=agent_rec,
                vad_config=opts.vad,
                cue_engine=cue_engine,
                listeners=[*listeners, count],
                call_id=Path(item).stem if item != "-" else "stdin",
                lang=lang,
                source=source.info.path,
            )
        pipeline.start()
        t0 = time.monotonic()
        end_sample = 0
        try:
            for block in source.blocks():
                pipeline.feed(block)
                end_sample = block.end_sample
                if opts.realtime:
                    delay = t0 + end_sample / 16000 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
        except VoiceAssistError:
            pipeline.finish(reason="error")
            result.audio_ms = end_sample * 1000 // 16000
            raise
        except KeyboardInterrupt:
            pipeline.finish(reason="interrupted")
            raise
        pipeline.finish()
        result.audio_ms = end_sample * 1000 // 16000
    return result


def run_replay(
    opts: ReplayOptions,
    out: TextIO | None = None,
    err: TextIO | None = None,
    cue_engine_factory: Callable[[], CueEngine | None] | None = None,
) -> int:
    """The ``replay`` command: returns the exit code; raises :class:`VoiceAssistError` for a
    single input (the CLI prints it), reports per file when there are several."""
    out = out or sys.stdout
    err = err or sys.stderr
    items = collect_inputs(opts.inputs)
    if items.count("-") > 1:
        raise UsageError("stdin ('-') can be given only once")
    if "-" in items and opts.raw_rate is None:
        raise UsageError("reading audio from stdin ('-') needs --raw-rate and --raw-format")
    factory = RecognizerFactory(opts, items)
    many = len(items) > 1 or any(Path(i).is_dir() for i in opts.inputs if i != "-")
    if not many:
        printer = _printer(opts, out, live=_is_tty(out))
        try:
            replay_one(items[0], opts, factory, [printer], _engine(cue_engine_factory))
        finally:
            printer.close()
        return int(ExitCode.OK)
    return _run_many(items, opts, factory, out, err, cue_engine_factory)


def _run_many(
    items: list[str],
    opts: ReplayOptions,
    factory: RecognizerFactory,
    out: TextIO,
    err: TextIO,
    cue_engine_factory: Callable[[], CueEngine | None] | None,
) -> int:
    from tqdm import tqdm

    t0 = time.monotonic()
    results: list[FileResult] = []
    first_error: VoiceAssistError | None = None
    with tqdm(total=len(items), unit="file", file=err, disable=not _is_tty(err), leave=False) as bar:

        def write_line(text: str) -> None:
            bar.write(text, file=out)
            out.flush()

        for item in items:
            bar.set_postfix_str(Path(item).name, refresh=True)
            printer = _printer(opts, out, live=False, write_line=write_line)
            if not opts.json:
                write_line(f"== {item}")
            try:
                results.append(replay_one(item, opts, factory, [printer], _engine(cue_engine_factory)))
            except VoiceAssistError as exc:
                results.append(FileResult(path=item, error=exc))
                first_error = first_error or exc
                bar.write(f"voiceassist: error: {exc.message}", file=err)
            finally:
                printer.close()
            bar.update(1)
    wall = time.monotonic() - t0
    audio_s = sum(r.audio_ms for r in results) / 1000
    failed = sum(1 for r in results if r.error is not None)
    speed = f", {audio_s / wall:.1f}x real time" if wall > 0 and audio_s > 0 else ""
    err.write(
        f"replayed {len(results)} files ({len(results) - failed} ok, {failed} failed): "
        f"{format_ms(int(audio_s * 1000))} of audio in {wall:.1f} s{speed}, "
        f"{sum(r.finals for r in results)} utterances, {sum(r.cues for r in results)} cues\n"
    )
    err.flush()
    return int(first_error.code) if first_error is not None else int(ExitCode.OK)


def _engine(factory: Callable[[], CueEngine | None] | None) -> CueEngine | None:
    return factory() if factory is not None else None


def _printer(opts: ReplayOptions, out: TextIO, *, live: bool,
             write_line: Callable[[str], None] | None = None) -> TextPrinter | JsonPrinter:
    if opts.json:
        return JsonPrinter(out, write_line=write_line)
    return TextPrinter(out, live=live, write_line=write_line)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def iter_events(item: str, opts: ReplayOptions) -> Iterator[Event]:
    """All events of replaying one input, in order (for tests and tools)."""
    events: list[Event] = []
    replay_one(item, opts, RecognizerFactory(opts, [item]), [events.append])
    yield from events
