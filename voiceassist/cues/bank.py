"""Ready-to-play cue sounds: earcon + whispered phrase at the whisper level, at the player's rate.

:class:`CueBank` turns a cue's ``say`` text and severity into a :class:`CueSound`. The phrase is
rendered once (through :class:`~voiceassist.cues.cache.CueCache`), trimmed, faded, normalised to
``gain_dbfs`` peak and resampled; the earcon (soft, or the distinct urgent one) goes in front.
:meth:`CueBank.sound_for` never raises: when text-to-speech fails the sound is the earcon alone
(``speech=False``, ``error`` says why) so the agent still hears that something needs attention.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voiceassist.cues.cache import CueCache
from voiceassist.cues.earcons import GAP_MS, earcon, earcon_for
from voiceassist.cues.level import Samples, fade, normalize_peak, resample, silence, trim_silence
from voiceassist.cues.tts import DEFAULT_VOICE, TtsError, TtsRenderer
from voiceassist.cues.voices import VoiceChoice, choose_voice

log = logging.getLogger(__name__)

#: Languages whose missing voice was already announced in this process ("say so once").
_ANNOUNCED: set[str] = set()
_ANNOUNCED_LOCK = threading.Lock()

LANG_NAMES = {"it": "Italian", "pl": "Polish", "es": "Spanish", "en": "English", "ko": "Korean"}


@dataclass(frozen=True)
class CueSound:
    """One playable cue: mono float32 ``samples`` at ``rate_hz``."""

    say: str
    severity: str
    samples: Samples = field(repr=False)
    rate_hz: int
    #: False when the phrase could not be rendered (the sound is the earcon alone).
    speech: bool = True
    #: Why speech is missing (empty when ``speech`` is True).
    error: str = ""

    @property
    def duration_ms(self) -> int:
        """Length of the sound, ms."""
        return self.samples.size * 1000 // self.rate_hz


@dataclass
class PrepareReport:
    """What :meth:`CueBank.prepare` did."""

    rendered: int = 0
    reused: int = 0
    failed: list[str] = field(default_factory=list)


class CueBank:
    """Cue sounds for one agent language.

    ``rate_hz``: output rate of the player. ``gain_dbfs``: peak of the whispered words.
    ``soft_earcon``: put the soft earcon before routine cues (urgent cues always get theirs).
    ``rate_wpm``: speaking rate. ``notices`` collects one-line messages for the screen (e.g. the
    English fallback), each once.
    """

    def __init__(
        self,
        lang: str,
        *,
        cache: CueCache,
        rate_hz: int = 16000,
        gain_dbfs: float = -20.0,
        soft_earcon: bool = True,
        rate_wpm: int = 185,
    ) -> None:
        self.lang = lang
        self.cache = cache
        self.rate_hz = rate_hz
        self.gain_dbfs = gain_dbfs
        self.soft_earcon = soft_earcon
        self.rate_wpm = rate_wpm
        self.notices: list[str] = []
        self._voice: VoiceChoice | None = None
        self._voice_error: str = ""
        self._voice_done = False
        self._sounds: dict[tuple[str, str], CueSound] = {}
        #: Whispered words per phrase, shared by the routine and the urgent sound.
        self._words: dict[str, Samples] = {}
        self._preparing = False
        self._lock = threading.Lock()

    @property
    def renderer(self) -> TtsRenderer:
        return self.cache.renderer

    def voice(self) -> VoiceChoice | None:
        """The voice used for this language (chosen once; ``None`` when TTS is unavailable)."""
        if self._voice_done:
            return self._voice
        self._voice_done = True
        try:
            self._voice = choose_voice(self.lang, self.renderer.voices())
        except TtsError as exc:
            self._voice_error = exc.message
            self._voice_done = False  # asked again next time: the engine may come back
            self._notice(f"cue voices unavailable ({exc.message}); cues will be tones only")
            return None
        except Exception as exc:  # a broken voice list, e.g. a voice file with a non-UTF-8 name
            self._voice = VoiceChoice(DEFAULT_VOICE, "the engine's default voice", self.lang, "", True)
            self._notice(f"could not read the text-to-speech voice list ({type(exc).__name__}: {exc}); "
                         "cues use the engine's default voice")
            return self._voice
        if self._voice is None:
            self._voice_error = "no text-to-speech voice installed"
            self._notice("no text-to-speech voice installed; cues will be tones only "
                         "(install espeak-ng)")
        elif self._voice.fallback:
            name = LANG_NAMES.get(self.lang, self.lang)
            with _ANNOUNCED_LOCK:
                first = self.lang not in _ANNOUNCED
                _ANNOUNCED.add(self.lang)
            if first:
                msg = (f"no {name} voice for cues; whispering them with the English voice "
                       f"{self._voice.voice_name!r} (install espeak-ng's {self.lang} voice)")
                log.warning("%s", msg)
                self.notices.append(msg)
        return self._voice

    def _notice(self, msg: str) -> None:
        log.warning("%s", msg)
        if msg not in self.notices:
            self.notices.append(msg)

    def _speech(self, say: str) -> Samples:
        """The whispered words of ``say`` (built once per phrase, shared by both earcons)."""
        with self._lock:
            ready = self._words.get(say)
        if ready is not None:
            return ready
        choice = self.voice()
        if choice is None:
            raise TtsError(self._voice_error or "text-to-speech unavailable")
        raw, raw_rate = self.cache.load(say, choice.voice_id, self.rate_wpm)
        words = trim_silence(raw, raw_rate)
        if words.size == 0 or float(np.max(np.abs(words))) < 1e-4:
            raise TtsError(f"text-to-speech produced silence for {say!r}")
        words = normalize_peak(fade(resample(words, raw_rate, self.rate_hz), self.rate_hz), self.gain_dbfs)
        with self._lock:
            self._words[say] = words
        return words

    def sound_for(self, say: str, severity: str = "warn") -> CueSound:
        """The sound for a cue; never raises (TTS failure -> earcon alone, ``speech=False``).
        While :meth:`prepare_in_background` runs, a phrase it has not reached yet is the earcon
        alone at once (the call never waits for the renderer)."""
        key = (say, "urgent" if severity == "urgent" else "routine")
        with self._lock:
            cached = self._sounds.get(key)
            if cached is not None:
                return cached
            waiting = self._preparing and say not in self._words
        kind = earcon_for(severity)
        parts: list[Samples] = []
        if kind == "urgent" or self.soft_earcon:
            parts += [earcon(kind, self.rate_hz, self.gain_dbfs), silence(GAP_MS, self.rate_hz)]
        error = ""
        try:
            if waiting:
                raise TtsError("cue voices are still being prepared")
            parts.append(self._speech(say))
        except TtsError as exc:
            error = exc.message
            log.warning("cue %r: %s; playing the tone only", say, error)
            # Earcon alone: make sure even the soft-earcon-off setting gives a sound.
            if not parts:
                parts = [earcon(kind, self.rate_hz, self.gain_dbfs)]
        sound = CueSound(say, severity, np.concatenate(parts).astype(np.float32), self.rate_hz,
                         speech=not error, error=error)
        if not error:  # failures are retried next time (the engine may come back)
            with self._lock:
                self._sounds[key] = sound
        return sound

    def prepare(self, texts: Iterable[str], *, deadline_s: float | None = None) -> PrepareReport:
        """Render every phrase ahead of time (cached ones are only checked), within one overall
        ``deadline_s`` (None: no limit); stops at the first failure of a hung engine (the rest
        would fail the same way). Never raises."""
        report = PrepareReport()
        choice = self.voice()
        end = None if deadline_s is None else time.monotonic() + deadline_s
        for say in dict.fromkeys(texts):
            if choice is None or self.renderer.hung or (end is not None and time.monotonic() > end):
                why = self._voice_error if choice is None else (
                    "text-to-speech engine stopped responding" if self.renderer.hung
                    else "start-up render deadline passed")
                report.failed.append(f"{say}: {why}")
                continue
            if self.cache.has(say, choice.voice_id, self.rate_wpm):
                report.reused += 1
                continue
            try:
                self.cache.get(say, choice.voice_id, self.rate_wpm)
                report.rendered += 1
            except TtsError as exc:
                report.failed.append(f"{say}: {exc.message}")
        return report

    def prepare_in_background(self, texts: Iterable[str], *, deadline_s: float = 120.0) -> threading.Thread:
        """Render and build every phrase on a daemon thread (one overall ``deadline_s``) while
        the call starts listening; returns the thread (``join`` it to wait)."""
        phrases = list(dict.fromkeys(texts))
        with self._lock:
            self._preparing = True

        def work() -> None:
            try:
                report = self.prepare(phrases, deadline_s=deadline_s)
                if report.rendered:
                    log.info("rendered %d cue phrases", report.rendered)
                if report.failed:
                    log.warning("%d cue phrases not prepared (first: %s); they are tried again when "
                                "they are needed", len(report.failed), report.failed[0])
                with self._lock:
                    self._preparing = False
                for say in phrases:  # ready-to-play sounds: no work when a cue fires
                    if self.renderer.hung:
                        break
                    self.sound_for(say, "warn")
                    self.sound_for(say, "urgent")
            finally:
                with self._lock:
                    self._preparing = False

        thread = threading.Thread(target=work, name="cue-prepare", daemon=True)
        thread.start()
        return thread


def reset_announcements() -> None:
    """Forget which fallbacks were announced (tests)."""
    with _ANNOUNCED_LOCK:
        _ANNOUNCED.clear()




def bank_from_settings(lang: str, settings: Mapping[str, Any], *, rate_hz: int,
                       renderer: TtsRenderer | None = None) -> CueBank:
    """A :class:`CueBank` for ``lang`` with the ``cues.*`` settings (gain, earcon, rate)."""
    cache = CueCache(renderer or TtsRenderer())
    return CueBank(lang, cache=cache, rate_hz=rate_hz, gain_dbfs=float(settings["cues.gain_dbfs"]),
                   soft_earcon=bool(settings["cues.earcon"]), rate_wpm=int(settings["cues.rate_wpm"]))


__all__ = ["LANG_NAMES", "CueBank", "CueSound", "PrepareReport", "bank_from_settings", "reset_announcements"]
