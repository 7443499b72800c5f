"""Synthetic phone calls from dialogue scripts (format: ``docs/testing.md`` section 1).

Pure-ish library behind ``scripts/make_calls.py``: :func:`load_dialogue` validates a dialogue TOML
(``file:line`` errors), :func:`render_dialogue` synthesises each turn with espeak-ng (subprocess),
lays the turns out on a caller (left) and agent (right) channel, adds seeded noise and an optional
telephone channel, and returns the audio, the WebVTT reference transcript and the expectations.

Units: times inside are **samples at** :data:`WORK_RATE` (16 kHz) or ms; files use seconds.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from voiceassist.errors import ConfigError
from voiceassist.qa.expectations import (
    KNOWN_CATEGORIES,
    KNOWN_CUES,
    Expectations,
    Expected,
    KeyLines,
    dump_expectations,
)
from voiceassist.tomlfile import TomlSyntaxError, parse_toml

#: Sample rate the call is assembled at, Hz.
WORK_RATE = 16000
#: Bump when the rendering changes in a way that should invalidate rendered calls.
RENDER_VERSION = "1"

Float = npt.NDArray[np.float32]

#: Default espeak-ng voices per language: caller / agent (distinct voice and pitch).
DEFAULT_VOICES: dict[str, dict[str, dict[str, Any]]] = {
    "it": {
        "caller": {"voice": "it+m3", "rate": 158, "pitch": 38},
        "agent": {"voice": "it+f2", "rate": 162, "pitch": 62},
    },
    "pl": {
        "caller": {"voice": "pl+m1", "rate": 155, "pitch": 36},
        "agent": {"voice": "pl+f3", "rate": 158, "pitch": 64},
    },
    "es": {
        "caller": {"voice": "es+m2", "rate": 158, "pitch": 40},
        "agent": {"voice": "es+f4", "rate": 162, "pitch": 60},
    },
    "en": {
        "caller": {"voice": "en-us+m3", "rate": 158, "pitch": 40},
        "agent": {"voice": "en-us+f3", "rate": 162, "pitch": 62},
    },
    "ko": {
        "caller": {"voice": "ko+m1", "rate": 145, "pitch": 40},
        "agent": {"voice": "ko+f2", "rate": 150, "pitch": 62},
    },
}
LANGS = tuple(DEFAULT_VOICES)


class DialogueError(ConfigError):
    """A dialogue script is invalid; ``problems`` lists every ``file:line: message``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


@dataclass(frozen=True)
class TurnExpect:
    """A cue a turn should trigger."""

    cue: str
    category: str | None = None
    #: Word whose end starts the latency clock (prefix, case-insensitive); None = last word.
    trigger: str | None = None
    #: Seconds after the turn's end the cue may still come; None = dialogue default.
    slack: float | None = None
    #: Absolute window in seconds, replacing the computed one.
    between: tuple[float, float] | None = None


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice: name (``en-us+m3``), rate in words per minute, pitch 0-99."""

    voice: str
    rate: int
    pitch: int


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str
    #: Silence before the turn, seconds (negative: overlaps the previous turn).
    pause: float
    voice: Voice
    expect: tuple[TurnExpect, ...] = ()
    quiet: bool = False
    line: int = 0


@dataclass(frozen=True)
class AudioSettings:
    snr_db: float | None = None
    telephone: bool = False
    rate_hz: int = 16000
    seed: int | None = None
    #: Silence before the first turn and after the last, seconds.
    lead_in: float = 0.5
    tail: float = 1.5


@dataclass(frozen=True)
class Dialogue:
    path: str
    lang: str
    title: str
    turns: tuple[Turn, ...]
    category: str | None = None
    section: int | None = None
    benign: bool = False
    max_cues: int | None = None
    forbid: tuple[str, ...] = ()
    strict: bool = False
    slack: float = 3.0
    quiet: tuple[tuple[float, float], ...] = ()
    #: Cue ids expected when the call ends (engine.end_call: caller_flagged, take_a_breath).
    after_call: tuple[str, ...] = ()
    audio: AudioSettings = field(default_factory=AudioSettings)
    #: sha256 of the file's bytes (seeds the noise, keys the render cache).
    digest: str = ""


# --------------------------------------------------------------------------------------------
# Loading and validation

_TOP = {
    "lang", "title", "category", "section", "benign", "max_cues", "forbid", "strict", "slack",
    "quiet", "audio", "voices", "turn", "script", "after_call",
}  # fmt: skip
_TURN = {"speaker", "text", "pause", "voice", "rate", "pitch", "expect", "quiet"}
_AUDIO = {"snr_db", "telephone", "rate_hz", "seed", "lead_in", "tail"}
_VOICE = {"voice", "rate", "pitch"}
_EXPECT = {"cue", "category", "trigger", "slack", "between"}


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def parse_dialogue(text: str, source: str = "<dialogue>", digest: str = "") -> Dialogue:
    """Parse and validate a dialogue script; raises :class:`DialogueError` with every problem."""
    loc = KeyLines(text)
    problems: list[str] = []

    def bad(line: int, msg: str) -> None:
        problems.append(f"{source}:{line}: {msg}")

    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        raise DialogueError([f"{source}:{exc.line}: not valid TOML: {exc}"]) from None

    top = lambda key: loc.line_of(None, None, key)  # noqa: E731
    for key in sorted(set(data) - _TOP):
        bad(top(key), f"unknown key '{key}'")
    lang = data.get("lang")
    if lang not in DEFAULT_VOICES:
        bad(top("lang"), f"lang must be one of {', '.join(LANGS)}")
        lang = "en"
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        bad(top("title"), "title must be a non-empty string")
        title = ""
    category = data.get("category")
    if category is not None and category not in KNOWN_CATEGORIES:
        bad(top("category"), f"unknown category {category!r}")
        category = None
    section = data.get("section")
    if section is not None and not (isinstance(section, int) and 1 <= section <= 10):
        bad(top("section"), "section must be a PLAYBOOK section number 1-10")
    benign = data.get("benign", False)
    if not isinstance(benign, bool):
        bad(top("benign"), "benign must be true or false")
        benign = False
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        bad(top("strict"), "strict must be true or false")
        strict = False
    max_cues = data.get("max_cues")
    if max_cues is not None and (not isinstance(max_cues, int) or isinstance(max_cues, bool) or max_cues < 0):
        bad(top("max_cues"), "max_cues must be a whole number >= 0")
        max_cues = None
    slack = data.get("slack", 3.0)
    if not _num(slack) or slack < 0:
        bad(top("slack"), "slack must be seconds >= 0")
        slack = 3.0
    forbid = data.get("forbid", [])
    if not isinstance(forbid, list) or any(c not in KNOWN_CUES for c in forbid):
        bad(top("forbid"), "forbid must be a list of known cue ids")
        forbid = []
    after_call = data.get("after_call", [])
    if not isinstance(after_call, list) or any(c not in KNOWN_CUES for c in after_call):
        bad(top("after_call"), "after_call must be a list of known cue ids")
        after_call = []
    quiet: list[tuple[float, float]] = []
    for span in data.get("quiet", []) if isinstance(data.get("quiet", []), list) else [None]:
        if (
            isinstance(span, list)
            and len(span) == 2
            and all(_num(v) for v in span)
            and 0 <= span[0] <= span[1]
        ):
            quiet.append((float(span[0]), float(span[1])))
        else:
            bad(top("quiet"), "quiet must be a list of [start, end] spans in seconds")

    audio = AudioSettings()
    raw_audio = data.get("audio", {})
    if not isinstance(raw_audio, dict):
        bad(top("audio"), "audio must be a table")
        raw_audio = {}
    for key in sorted(set(raw_audio) - _AUDIO):
        bad(loc.line_of("audio", None, key), f"unknown key '{key}' in [audio]")
    snr = raw_audio.get("snr_db")
    if snr is not None and not _num(snr):
        bad(loc.line_of("audio", None, "snr_db"), "snr_db must be a number (dB)")
        snr = None
    rate_hz = raw_audio.get("rate_hz", 16000)
    if rate_hz not in (8000, 16000):
        bad(loc.line_of("audio", None, "rate_hz"), "rate_hz must be 8000 or 16000")
        rate_hz = 16000
    seed = raw_audio.get("seed")
    if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        bad(loc.line_of("audio", None, "seed"), "seed must be a whole number >= 0")
        seed = None
    telephone = raw_audio.get("telephone", False)
    if not isinstance(telephone, bool):
        bad(loc.line_of("audio", None, "telephone"), "telephone must be true or false")
        telephone = False
    lead_in, tail = raw_audio.get("lead_in", 0.5), raw_audio.get("tail", 1.5)
    for key, val in (("lead_in", lead_in), ("tail", tail)):
        if not _num(val) or val < 0:
            bad(loc.line_of("audio", None, key), f"{key} must be seconds >= 0")
    if not problems:
        audio = AudioSettings(
            snr_db=None if snr is None else float(snr),
            telephone=telephone,
            rate_hz=rate_hz,
            seed=seed,
            lead_in=float(lead_in),
            tail=float(tail),
        )

    voices = {who: Voice(**DEFAULT_VOICES[lang][who]) for who in ("caller", "agent")}
    raw_voices = data.get("voices", {})
    if not isinstance(raw_voices, dict):
        bad(top("voices"), "voices must be a table with [voices.caller] / [voices.agent]")
        raw_voices = {}
    for who, spec in raw_voices.items():
        line = loc.line_of(f"voices.{who}", None)
        if who not in voices or not isinstance(spec, dict):
            bad(line, f"unknown voice table 'voices.{who}' (use voices.caller / voices.agent)")
            continue
        v = _voice(spec, voices[who], line, bad)
        if v:
            voices[who] = v

    turns: list[Turn] = []
    raw_turns = data.get("turn", [])
    script = data.get("script")
    if script is not None:
        if "turn" in data:
            bad(top("script"), 'use either script = """...""" or [[turn]] tables, not both')
        elif not isinstance(script, str):
            bad(top("script"), "script must be a multi-line string")
        else:
            raw_turns = _script_turns(script, top("script"), bad)
    if not isinstance(raw_turns, list) or not raw_turns or not all(isinstance(t, dict) for t in raw_turns):
        bad(top("turn") if "turn" in data else 1, "a dialogue needs at least one [[turn]] or a script")
        raw_turns = []
    for i, t in enumerate(raw_turns):
        fixed_line = t.pop("_line", None)
        line = fixed_line or loc.line_of("turn", i)

        def tline(_table: str, index: int, key: str | None = None, _fixed: int | None = fixed_line) -> int:
            return _fixed if _fixed else loc.line_of("turn", index, key)

        for key in sorted(set(t) - _TURN):
            bad(tline("turn", i, key), f"unknown key '{key}' in [[turn]]")
        speaker = t.get("speaker")
        if speaker not in ("caller", "agent"):
            bad(tline("turn", i, "speaker"), 'speaker must be "caller" or "agent"')
            speaker = "caller"
        ttext = t.get("text")
        if not isinstance(ttext, str) or not ttext.strip():
            bad(tline("turn", i, "text"), "text must be a non-empty string")
            ttext = "x"
        pause = t.get("pause", 0.6)
        if not _num(pause) or not -1.5 <= pause <= 60:
            bad(tline("turn", i, "pause"), "pause must be seconds between -1.5 and 60")
            pause = 0.6
        tq = t.get("quiet", False)
        if not isinstance(tq, bool):
            bad(tline("turn", i, "quiet"), "quiet must be true or false")
            tq = False
        voice = (
            _voice({k: t[k] for k in _VOICE if k in t}, voices[speaker], tline("turn", i, "voice"), bad)
            or voices[speaker]
        )
        expects: list[TurnExpect] = []
        raw_exp = t.get("expect", [])
        eline = tline("turn", i, "expect")
        if not isinstance(raw_exp, list):
            bad(eline, "expect must be a list of cue ids or {cue = ...} tables")
            raw_exp = []
        for item in raw_exp:
            te = _turn_expect(item, eline, bad, category)
            if te:
                expects.append(te)
        if expects and tq:
            bad(line, "a turn cannot both expect cues and be quiet")
        turns.append(Turn(speaker, ttext.strip(), float(pause), voice, tuple(expects), tq, line))

    if benign and (any(t.expect for t in turns) or after_call):
        bad(top("benign"), "a benign dialogue cannot expect cues")
    if problems:
        raise DialogueError(problems)
    return Dialogue(
        path=source,
        lang=lang,
        title=title.strip(),
        turns=tuple(turns),
        category=category,
        section=section,
        benign=benign,
        max_cues=max_cues,
        forbid=tuple(forbid),
        strict=strict,
        slack=float(slack),
        quiet=tuple(quiet),
        after_call=tuple(after_call),
        audio=audio,
        digest=digest,
    )


_SCRIPT_LINE = re.compile(r"^(?:\[(-?[0-9.]+)\]\s*)?(\w+)\s*:\s*(.+?)\s*(?:=>\s*(.+))?$")


def _script_turns(script: str, key_line: int, bad: Any) -> list[dict[str, Any]]:
    """Turns of the compact form: one ``[pause] speaker: text => cue, cue/category@trigger`` per line."""
    turns: list[dict[str, Any]] = []
    for offset, raw in enumerate(script.splitlines()):
        line = key_line + 1 + offset
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        m = _SCRIPT_LINE.match(text)
        if not m or m.group(2) not in ("caller", "agent"):
            bad(line, "script lines look like '[1.5] caller: text => cue_id' (pause and cues optional)")
            continue
        turn: dict[str, Any] = {"speaker": m.group(2), "text": m.group(3), "_line": line}
        if m.group(1):
            try:
                turn["pause"] = float(m.group(1))
            except ValueError:
                bad(line, f"bad pause {m.group(1)!r}")
        if m.group(4):
            items: list[Any] = []
            for part in m.group(4).split(","):
                head, _, trigger = part.strip().partition("@")
                cue, _, category = head.partition("/")
                item: dict[str, str] = {"cue": cue.strip()}
                if category.strip():
                    item["category"] = category.strip()
                if trigger.strip():
                    item["trigger"] = trigger.strip()
                items.append(item)
            turn["expect"] = items
        turns.append(turn)
    return turns


def _voice(spec: dict[str, Any], base: Voice, line: int, bad: Any) -> Voice | None:
    unknown = set(spec) - _VOICE
    if unknown:
        bad(line, f"unknown voice keys: {', '.join(sorted(unknown))}")
        return None
    name = spec.get("voice", base.voice)
    rate = spec.get("rate", base.rate)
    pitch = spec.get("pitch", base.pitch)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)?(\+[A-Za-z0-9_-]+)?", name):
        bad(line, f"voice must look like 'en-us+m3', got {name!r}")
        return None
    if not isinstance(rate, int) or not 80 <= rate <= 450:
        bad(line, "rate must be words per minute, 80-450")
        return None
    if not isinstance(pitch, int) or not 0 <= pitch <= 99:
        bad(line, "pitch must be 0-99")
        return None
    return Voice(name, rate, pitch)


def _turn_expect(item: Any, line: int, bad: Any, default_category: str | None) -> TurnExpect | None:
    if isinstance(item, str):
        item = {"cue": item}
    if not isinstance(item, dict):
        bad(line, "expect items are cue ids or {cue = ...} tables")
        return None
    unknown = set(item) - _EXPECT
    if unknown:
        bad(line, f"unknown keys in expect item: {', '.join(sorted(unknown))}")
        return None
    cue = item.get("cue")
    if cue not in KNOWN_CUES:
        bad(line, f"unknown cue id {cue!r} (see docs/rules-format.md)")
        return None
    category = item.get("category", default_category)
    if category is not None and category not in KNOWN_CATEGORIES:
        bad(line, f"unknown category {category!r}")
        return None
    trigger = item.get("trigger")
    if trigger is not None and (not isinstance(trigger, str) or not trigger.strip()):
        bad(line, "trigger must be a word of the turn")
        return None
    slack = item.get("slack")
    if slack is not None and (not _num(slack) or slack < 0):
        bad(line, "slack must be seconds >= 0")
        return None
    between = item.get("between")
    if between is not None:
        if not (isinstance(between, list) and len(between) == 2 and all(_num(v) for v in between)) or not (
            0 <= between[0] <= between[1]
        ):
            bad(line, "between must be [start, end] in seconds")
            return None
        between = (float(between[0]), float(between[1]))
    return TurnExpect(cue, category, trigger, None if slack is None else float(slack), between)


def load_dialogue(path: Path) -> Dialogue:
    """Read and validate a dialogue script (see :func:`parse_dialogue`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read dialogue: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DialogueError([f"{path}:1: not UTF-8 text"]) from None
    return parse_dialogue(text, source=str(path), digest=hashlib.sha256(raw).hexdigest())


# --------------------------------------------------------------------------------------------
# Speech synthesis (espeak-ng), cached by content hash


def espeak_version() -> str:
    """``espeak-ng --version`` first line (part of the cache key)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise ConfigError("espeak-ng is not installed", hint="apt-get install espeak-ng")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().splitlines()[0] if out.stdout else "unknown"


def synthesize(text: str, voice: Voice, cache_dir: Path | None, version: str) -> Float:
    """Speech for ``text`` at :data:`WORK_RATE`, float32 in [-1, 1], leading/trailing silence trimmed.

    The espeak-ng output is cached in ``cache_dir`` under a hash of (text, voice, version).
    """
    key = hashlib.sha256(
        json.dumps([text, voice.voice, voice.rate, voice.pitch, version]).encode()
    ).hexdigest()
    cached = cache_dir / f"{key[:2]}/{key}.wav" if cache_dir else None
    if cached is not None and cached.exists():
        data, rate = sf.read(str(cached), dtype="float32", always_2d=False)
    else:
        with tempfile.TemporaryDirectory(prefix="callsynth-") as tmp:
            wav = Path(tmp) / "turn.wav"
            cmd = [
                "espeak-ng",
                "-v",
                voice.voice,
                "-s",
                str(voice.rate),
                "-p",
                str(voice.pitch),
                "-w",
                str(wav),
                "--stdin",
            ]
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, check=False)
            if proc.returncode != 0 or not wav.exists():
                raise ConfigError(
                    f"espeak-ng failed for voice {voice.voice}: "
                    f"{proc.stderr.decode(errors='replace').strip()}"
                )
            data, rate = sf.read(str(wav), dtype="float32", always_2d=False)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                part = cached.with_suffix(".part.wav")
                shutil.copyfile(wav, part)
                part.replace(cached)
    if data.ndim > 1:
        data = data.mean(axis=1)
    out = soxr.resample(data, rate, WORK_RATE).astype(np.float32) if rate != WORK_RATE else data
    return _trim(out)


def _trim(x: Float, threshold: float = 0.01) -> Float:
    loud = np.flatnonzero(np.abs(x) > threshold)
    if loud.size == 0:
        return x[:0]
    return x[loud[0] : loud[-1] + 1]


def voiced_runs(x: Float, rate: int = WORK_RATE, min_gap_ms: int = 120) -> list[tuple[int, int]]:
    """Voiced stretches of a turn, as ``(start, end)`` sample indices; gaps under ``min_gap_ms``
    are bridged. Frames of 10 ms with an RMS over 2 % of the turn's peak RMS count as voiced."""
    hop = rate // 100
    n = len(x) // hop
    if n == 0:
        return [(0, len(x))] if len(x) else []
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    on = rms > max(1e-4, 0.02 * float(rms.max()))
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if on[i]:
            j = i
            while j < n and on[j]:
                j += 1
            runs.append((i * hop, j * hop))
            i = j
        else:
            i += 1
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_gap_ms * rate // 1000:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if merged:
        merged[-1] = (merged[-1][0], len(x))
        merged[0] = (0, merged[0][1])
    return merged


def word_spans(text: str, x: Float, rate: int = WORK_RATE) -> list[tuple[str, int, int]]:
    """Estimated ``(word, start, end)`` sample spans of the words of ``text`` inside turn audio ``x``.

    Words are laid over the voiced runs (pauses skipped) in proportion to their length in letters
    plus one: a few hundred ms of error inside a turn, exact at the turn's edges.
    """
    words = text.split()
    runs = voiced_runs(x, rate) or [(0, len(x))]
    total = sum(b - a for a, b in runs)
    weights = [len(re.sub(r"\W", "", w)) + 1 for w in words]
    wsum = sum(weights)

    def at(voiced: float) -> int:
        # map a position on the voiced time line to a sample index of the turn
        for a, b in runs:
            if voiced <= b - a:
                return int(a + voiced)
            voiced -= b - a
        return len(x)

    spans: list[tuple[str, int, int]] = []
    cum = 0.0
    for w, wt in zip(words, weights, strict=True):
        start = at(cum * total / wsum)
        cum += wt
        end = at(cum * total / wsum)
        # do not let a word run over a pause: end at the run's end when it crosses one
        for a, b in runs:
            if a <= start < b and end > b:
                end = b
        spans.append((w, start, max(end, start + 1)))
    return spans


# --------------------------------------------------------------------------------------------
# Channel effects


def band_pass(x: Float, rate: int, low_hz: float = 300.0, high_hz: float = 3400.0) -> Float:
    """Telephone band: zero-phase FFT band-pass with 100 Hz cosine skirts."""
    if len(x) == 0:
        return x
    spec = np.fft.rfft(x.astype(np.float64))
    f = np.fft.rfftfreq(len(x), 1.0 / rate)
    gain = np.ones_like(f)
    skirt = 100.0
    gain[f < low_hz - skirt] = 0.0
    lo = (f >= low_hz - skirt) & (f < low_hz)
    gain[lo] = 0.5 - 0.5 * np.cos(np.pi * (f[lo] - (low_hz - skirt)) / skirt)
    gain[f > high_hz + skirt] = 0.0
    hi = (f > high_hz) & (f <= high_hz + skirt)
    gain[hi] = 0.5 + 0.5 * np.cos(np.pi * (f[hi] - high_hz) / skirt)
    return np.fft.irfft(spec * gain, n=len(x)).astype(np.float32)


def office_noise(n: int, rng: np.random.Generator) -> Float:
    """Seeded background noise: pink-ish (1/f) noise plus a faint mains hum, unit RMS."""
    if n == 0:
        return np.zeros(0, np.float32)
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1.0 / WORK_RATE)
    f[0] = f[1] if n > 1 else 1.0
    pink = np.fft.irfft(spec / np.sqrt(f), n=n)
    t = np.arange(n) / WORK_RATE
    hum = 0.1 * np.sin(2 * np.pi * 50 * t) * np.std(pink)
    noise = pink + hum
    return (noise / (np.sqrt(np.mean(noise**2)) or 1.0)).astype(np.float32)


def speech_power(x: Float, mask: npt.NDArray[np.bool_]) -> float:
    """Mean power of ``x`` where ``mask`` (speech placed) is true."""
    return float(np.mean(x[mask].astype(np.float64) ** 2)) if mask.any() else 0.0


# --------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class RenderOptions:
    """Command-line overrides of a dialogue's ``[audio]`` table (None = keep the dialogue's)."""

    mono: bool = False
    rate_hz: int | None = None
    telephone: bool | None = None
    snr_db: float | None = None
    seed: int | None = None
    cache_dir: Path | None = None


@dataclass(frozen=True)
class PlacedTurn:
    turn: Turn
    #: Turn audio start / end, samples at WORK_RATE.
    start: int
    end: int
    #: (word, start, end) in samples of call time.
    words: tuple[tuple[str, int, int], ...]


@dataclass
class RenderedCall:
    """The result of :func:`render_dialogue` (before writing)."""

    dialogue: Dialogue
    #: (samples, channels) float32 at ``rate_hz``.
    audio: Float
    rate_hz: int
    subtype: str
    turns: list[PlacedTurn]
    duration_ms: int
    vtt: str
    expectations: Expectations


def _ms(samples: int) -> int:
    return samples * 1000 // WORK_RATE


def render_dialogue(
    dlg: Dialogue, opts: RenderOptions | None = None, version: str | None = None
) -> RenderedCall:
    """Synthesise and lay out a dialogue; deterministic for the same script and options."""
    opts = opts or RenderOptions()
    version = version or espeak_version()
    a = dlg.audio
    telephone = a.telephone if opts.telephone is None else opts.telephone
    rate_hz = 8000 if telephone else (opts.rate_hz or a.rate_hz)
    snr = opts.snr_db if opts.snr_db is not None else a.snr_db
    seed = opts.seed if opts.seed is not None else a.seed
    if seed is None:
        seed = int((dlg.digest or hashlib.sha256(dlg.path.encode()).hexdigest())[:8], 16)

    placed: list[PlacedTurn] = []
    clips: list[Float] = []
    cursor = round(a.lead_in * WORK_RATE)
    for turn in dlg.turns:
        clip = synthesize(turn.text, turn.voice, opts.cache_dir, version)
        start = max(0, cursor + round(turn.pause * WORK_RATE)) if placed else cursor
        end = start + len(clip)
        words = tuple((w, start + s, start + e) for w, s, e in word_spans(turn.text, clip))
        placed.append(PlacedTurn(turn, start, end, words))
        clips.append(clip)
        cursor = max(cursor, end)
    total = cursor + round(a.tail * WORK_RATE)

    chans = np.zeros((total, 2), np.float32)
    for p, clip in zip(placed, clips, strict=True):
        ch = 0 if p.turn.speaker == "caller" else 1
        chans[p.start : p.end, ch] += clip * 0.5
    if snr is not None:
        rng = np.random.Generator(np.random.PCG64(seed))
        for ch, who in enumerate(("caller", "agent")):
            mask = np.zeros(total, bool)
            for p in placed:
                if p.turn.speaker == who:
                    mask[p.start : p.end] = True
            power = speech_power(chans[:, ch], mask) or 1e-4
            noise = office_noise(total, rng)
            chans[:, ch] += noise * np.float32(math.sqrt(power / 10 ** (snr / 10)))
    out = chans[:, :1] if opts.mono else chans
    if telephone:
        out = np.stack([band_pass(out[:, c], WORK_RATE) for c in range(out.shape[1])], axis=1)
    if rate_hz != WORK_RATE:
        out = soxr.resample(out, WORK_RATE, rate_hz).astype(np.float32)
    out = np.clip(out, -1.0, 1.0)
    duration_ms = _ms(total)
    return RenderedCall(
        dialogue=dlg,
        audio=out,
        rate_hz=rate_hz,
        subtype="ULAW" if telephone else "PCM_16",
        turns=placed,
        duration_ms=duration_ms,
        vtt=make_vtt(dlg, placed),
        expectations=make_expectations(dlg, placed, duration_ms),
    )


def _ts(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{milli:03d}"


def _vtt_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def make_vtt(dlg: Dialogue, placed: list[PlacedTurn]) -> str:
    """WebVTT: one cue per turn, ``<v speaker>`` voice tag, a timestamp tag before every word but the
    first (whose start is the cue's start)."""
    lines = ["WEBVTT", "", f"NOTE {dlg.lang}: {_vtt_escape(dlg.title)}", ""]
    for i, p in enumerate(placed, start=1):
        parts: list[str] = []
        for k, (w, s, _e) in enumerate(p.words):
            parts.append(
                _vtt_escape(w) if k == 0 else f"<{_ts(max(_ms(s), _ms(p.start) + 1))}>{_vtt_escape(w)}"
            )
        lines += [
            str(i),
            f"{_ts(_ms(p.start))} --> {_ts(_ms(p.end))}",
            f"<v {p.turn.speaker}>{' '.join(parts)}</v>",
            "",
        ]
    return "\n".join(lines)


def _trigger_end(p: PlacedTurn, trigger: str | None) -> int:
    if trigger:
        want = re.sub(r"\W", "", trigger.casefold())
        for w, _s, e in p.words:
            parts = [re.sub(r"\W", "", part) for part in re.split(r"['’-]", w.casefold())]
            if any(part.startswith(want) for part in parts if part):
                return e
        raise ConfigError(f"{p.turn.line}: trigger {trigger!r} is not a word of the turn: {p.turn.text!r}")
    return p.words[-1][2] if p.words else p.end


def make_expectations(dlg: Dialogue, placed: list[PlacedTurn], duration_ms: int) -> Expectations:
    """The expectation file for the rendered layout (windows: turn start to turn end + slack)."""
    expected: list[Expected] = []
    quiet: list[tuple[int, int]] = [(round(a * 1000), round(b * 1000)) for a, b in dlg.quiet]
    for n, p in enumerate(placed):
        if p.turn.quiet:
            quiet.append((_ms(p.start), _ms(placed[n + 1].start) if n + 1 < len(placed) else duration_ms))
        for te in p.turn.expect:
            slack = dlg.slack if te.slack is None else te.slack
            if te.between:
                lo, hi = round(te.between[0] * 1000), round(te.between[1] * 1000)
            else:
                lo, hi = _ms(p.start), min(duration_ms, _ms(p.end) + round(slack * 1000))
            try:
                anchor = _ms(_trigger_end(p, te.trigger))
            except ConfigError as exc:
                raise DialogueError([f"{dlg.path}:{exc.message}"]) from None
            anchor = min(max(anchor, lo - 5000), hi)
            expected.append(
                Expected(
                    cue=te.cue,
                    start_ms=lo,
                    end_ms=hi,
                    category=te.category,
                    anchor_ms=anchor,
                    name=f"turn {n + 1}",
                )
            )
    if placed:
        last_end = max(_ms(p.end) for p in placed)
        for cue in dlg.after_call:
            # take_a_breath is about the agent (wellbeing); caller_flagged may carry any category
            # (caller_flagged names the worst category of the call, which need not be the dialogue's)
            cat = "wellbeing" if cue == "take_a_breath" else None
            expected.append(
                Expected(
                    cue=cue, start_ms=last_end, end_ms=duration_ms + 1000, category=cat, name="after the call"
                )
            )
    if dlg.benign:
        quiet = [(0, duration_ms)]
    max_cues = 0 if dlg.benign else dlg.max_cues
    return Expectations(
        source="",
        lang=dlg.lang,
        expected=tuple(expected),
        forbid=dlg.forbid,
        quiet=tuple(sorted(quiet)),
        max_cues=max_cues,
        strict=dlg.strict,
        coaching=dlg.category == "coaching",
    )


def render_key(dlg: Dialogue, opts: RenderOptions, version: str) -> str:
    """Hash of everything that determines the rendered files (for skipping unchanged calls)."""
    snr = None if opts.snr_db is None else float(opts.snr_db)
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # any change to this renderer
    parts = [
        RENDER_VERSION,
        code,
        version,
        dlg.digest,
        opts.mono,
        opts.rate_hz,
        opts.telephone,
        snr,
        opts.seed,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def write_call(call: RenderedCall, out_dir: Path, stem: str) -> list[Path]:
    """Write ``STEM.wav``, ``STEM.vtt`` and ``STEM.expect.toml`` into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wav = out_dir / f"{stem}.wav"
    vtt = out_dir / f"{stem}.vtt"
    exp = out_dir / f"{stem}.expect.toml"
    tmp = out_dir / f".{stem}.tmp.wav"
    sf.write(str(tmp), call.audio, call.rate_hz, subtype=call.subtype, format="WAV")
    tmp.replace(wav)
    vtt.write_text(call.vtt, encoding="utf-8")
    header = f"# Generated by scripts/make_calls.py from {call.dialogue.path}: {call.dialogue.title}\n"
    exp.write_text(header + dump_expectations(call.expectations), encoding="utf-8")
    return [wav, vtt, exp]
