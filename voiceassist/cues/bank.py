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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voiceassist.cues.cache import CueCache
from voiceassist.cues.earcons import GAP_MS, earcon, earcon_for
from voiceassist.cues.level import Samples, fade, normalize_peak, resample, silence, trim_silence
from voiceassist.cues.tts import TtsError, TtsRenderer
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
            self._notice(f"cue voices unavailable ({exc.message}); cues will be tones only")
            return None
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
        choice = self.voice()
        if choice is None:
            raise TtsError(self._voice_error or "text-to-speech unavailable")
        raw, raw_rate = self.cache.load(say, choice.voice_id, self.rate_wpm)
        words = trim_silence(raw, raw_rate)
        if words.size == 0 or float(np.max(np.abs(words))) < 1e-4:
            raise TtsError(f"text-to-speech produced silence for {say!r}")
        words = fade(resample(words, raw_rate, self.rate_hz), self.rate_hz)
        return normalize_peak(words, self.gain_dbfs)

    def sound_for(self, say: str, severity: str = "warn") -> CueSound:
        """The sound for a cue; never raises (TTS failure -> earcon alone, ``speech=False``)."""
        key = (say, "urgent" if severity == "urgent" else "routine")
        with self._lock:
            cached = self._sounds.get(key)
            if cached is not None:
                return cached
            kind = earcon_for(severity)
            parts: list[Samples] = []
            if kind == "urgent" or self.soft_earcon:
                parts += [earcon(kind, self.rate_hz, self.gain_dbfs), silence(GAP_MS, self.rate_hz)]
            error = ""
            try:
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
                self._sounds[key] = sound
            return sound

    def prepare(self, texts: Iterable[str]) -> PrepareReport:
        """Render every phrase ahead of time (cached ones are only checked). Never raises."""
        report = PrepareReport()
        choice = self.voice()
        for say in dict.fromkeys(texts):
            if choice is None:
                report.failed.append(f"{say}: {self._voice_error}")
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
