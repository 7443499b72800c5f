"""pyttsx3 in ONE owner thread: renders cue phrases to WAV files with ``save_to_file``.

pyttsx3's run loop is not re-entrant and its espeak driver keeps process-wide state (one synth
callback), so every pyttsx3 call happens on a single daemon thread started on first use; other
threads hand it jobs through a queue and wait for the result with a timeout (a hung engine turns
into :class:`TtsError`, never a hung call).

Quirks of pyttsx3 2.99's espeak driver handled here:

* ``setProperty`` is queued and only runs inside ``runAndWait``; an unknown voice id makes the
  driver raise inside that loop. We only set ids taken from the engine's own voice list and
  check after rendering that the voice really was in effect.
* ``save_to_file`` keeps only the last file before ``runAndWait``: one phrase per run.
* Empty text never finishes the loop: rejected before it reaches the engine.
* The driver prints ``Audio saved to ...`` on stdout: routed to the debug log instead.
* The driver's synth callback writes the WAV file when it sees espeak's "message terminated"
  event, *before* appending that callback's samples: a phrase whose audio arrives in the same
  (last) callback was saved empty or cut short, at random. And every driver instance registers
  itself as espeak's one process-wide callback, so a second renderer in the process silently
  took the callback from the first. :func:`_install_callback` registers, before every render, a
  callback that appends the samples first and then lets the driver handle the events.
* Output is 22050 Hz mono int16 (espeak-ng's native rate); the driver plays nothing when saving,
  so no sound card is needed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from voiceassist.cues.voices import VoiceInfo
from voiceassist.errors import ExitCode, VoiceAssistError
from voiceassist.jobloop import serve_jobs

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Longest wait for one render (or for engine start-up), seconds.
DEFAULT_TIMEOUT_S = 20.0
#: Voice id meaning "whatever voice the engine starts with" (the voice list could not be read).
DEFAULT_VOICE = ""


class TtsError(VoiceAssistError):
    """Text-to-speech is unavailable or failed for a phrase."""

    code = ExitCode.CHECK_FAILED


def _install_callback(engine: Any) -> None:
    """Make espeak deliver audio to this engine's driver, samples before events (see above)."""
    import ctypes

    from pyttsx3.drivers import _espeak

    driver = engine.proxy._driver

    def callback(wav: Any, numsamples: int, events: Any) -> int:
        if numsamples > 0 and driver._speaking:
            driver._data_buffer += ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short))
        return int(driver._onSynth(wav, 0, events))

    _espeak.SetSynthCallback(callback)  # keeps a reference to the ctypes callback itself


def _quiet_print(*args: Any, **_kwargs: Any) -> None:
    log.debug("pyttsx3: %s", " ".join(str(a) for a in args))


class TtsRenderer:
    """Owns the pyttsx3 engine on one thread; thread-safe, blocking-with-timeout API.

    ``renders`` counts phrases actually synthesised (the cache tests use it).
    """

    def __init__(self, *, driver: str = "espeak", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.driver = driver
        self.timeout_s = timeout_s
        self.renders = 0
        #: Jobs given up after waiting ``timeout_s`` (a hung engine costs one, then renders fail fast).
        self.timeouts = 0
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._broken: str | None = None
        #: The job that passed its timeout, until it returns.
        self._stuck: Future[Any] | None = None

    # -- owner thread ---------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._owner, name="tts-owner", daemon=True)
                self._thread.start()

    def _owner(self) -> None:
        engine = self._init_engine()
        retry_at, backoff = time.monotonic() + 1.0, 1.0

        def execute(func: Callable[[Any], Any]) -> Any:
            nonlocal engine, retry_at, backoff
            if engine is None and time.monotonic() >= retry_at:  # probe again, with backoff
                engine = self._init_engine()
                backoff = min(backoff * 2, 60.0)
                retry_at = time.monotonic() + backoff
            if engine is None:
                raise TtsError(self._broken or "text-to-speech unavailable",
                               hint="install espeak-ng (scripts/setup.sh does)")
            return func(engine)

        serve_jobs(self._jobs, execute, catch=Exception)

    def _init_engine(self) -> Any:
        engine: Any = None
        try:
            import pyttsx3

            if self.driver == "espeak":
                from pyttsx3.drivers import espeak as espeak_driver

                # The driver prints on stdout after every save; keep the screen clean.
                espeak_driver.print = _quiet_print
            engine = pyttsx3.init(self.driver)
            self._broken = None
        except Exception as exc:  # any engine failure becomes a TtsError
            self._broken = f"text-to-speech engine {self.driver!r} failed to start: {exc}"
            log.warning("%s", self._broken)
        return engine

    def _call(self, func: Callable[[Any], T]) -> T:
        if self._broken and self._thread is not None and not self._thread.is_alive():
            raise TtsError(self._broken)
        with self._lock:
            stuck = self._stuck
            if stuck is not None and stuck.done():
                self._stuck = stuck = None
                self._broken = None
                log.warning("text-to-speech engine answers again; cue voices are back")
        if stuck is not None:  # fail fast: never queue behind a render that does not return
            raise TtsError("text-to-speech engine stopped responding; cues are tones only until it "
                           "answers again")
        self._start()
        fut: Future[T] = Future()
        self._jobs.put((func, fut))
        try:
            return fut.result(timeout=self.timeout_s)
        except TimeoutError:
            with self._lock:
                self._stuck = fut
                self.timeouts += 1
            self._broken = "text-to-speech engine stopped responding"
            log.warning("%s (no answer in %g s); cues are tones only until it answers again",
                        self._broken, self.timeout_s)
            raise TtsError(self._broken) from None

    @property
    def hung(self) -> bool:
        """True while a job that passed its timeout has not returned (renders fail fast)."""
        with self._lock:
            return self._stuck is not None and not self._stuck.done()

    # -- public API -----------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        """The engine's voices (id, name, lower-case language codes)."""

        def job(engine: Any) -> list[VoiceInfo]:
            out = []
            for v in engine.getProperty("voices"):
                langs = tuple(str(code).lower() for code in (v.languages or ()))
                out.append(VoiceInfo(str(v.id), str(v.name), langs))
            return out

        return self._call(job)

    def render(self, text: str, voice_id: str, rate_wpm: int, out_path: Path) -> None:
        """Synthesise ``text`` with ``voice_id`` at ``rate_wpm`` words/minute into ``out_path``
        (WAV, 22050 Hz mono int16). Raises :class:`TtsError` on any failure."""
        if not text.strip():
            raise TtsError("cannot render an empty cue phrase")

        def job(engine: Any) -> None:
            if self.driver == "espeak":
                _install_callback(engine)
            if voice_id != DEFAULT_VOICE:
                engine.setProperty("voice", voice_id)
            engine.setProperty("rate", int(rate_wpm))
            engine.setProperty("volume", 1.0)
            engine.save_to_file(text, str(out_path))
            engine.runAndWait()
            current = str(engine.getProperty("voice") or "").lower()
            if voice_id != DEFAULT_VOICE and current != voice_id.lower():
                raise TtsError(f"voice {voice_id!r} was not applied (engine used {current!r})")
            self.renders += 1

        for attempt in (1, 2, 3):  # espeak's callback thread can still lose a phrase under load
            out_path.unlink(missing_ok=True)
            try:
                self._call(job)
            except TtsError:
                raise
            except Exception as exc:
                raise TtsError(f"text-to-speech failed for {text!r}: {exc}") from exc
            if out_path.is_file() and out_path.stat().st_size > 44:
                return
            log.debug("render %d of %r produced no audio", attempt, text)
        raise TtsError(f"text-to-speech produced no audio for {text!r}")

    def close(self) -> None:
        """Stop the owner thread (it is a daemon, so this is optional)."""
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout=2.0)


__all__ = ["DEFAULT_TIMEOUT_S", "DEFAULT_VOICE", "TtsError", "TtsRenderer"]
