"""Streaming vosk recogniser: partials and finals with word times and confidences in call time.

vosk is imported lazily (inside functions), and its Kaldi logging is silenced unless verbose.
Never ``vosk.Model(lang=...)``: it prints, may exit the process and downloads; always a path.

Audio is fed to vosk in fixed chunks of ``chunk_samples`` counted on the recogniser's own
(speech-only) stream, and a partial is polled after each chunk, so the events do not depend on
how the caller cut the audio into blocks.

Determinism: Kaldi dithers every feature frame with noise seeded from the C library's global
``rand()``, so two recognisers given the same audio can disagree (the Korean model's
``mfcc.conf`` does not turn dither off). With ``deterministic=True`` (the default) the
recogniser seeds ``srand`` from its own stream position before every call into vosk, which makes
results reproducible for any block size and any number of recognisers in one thread.

Memory: a ``KaldiRecognizer`` keeps caches of the decoding graph it has expanded, and they only
grow, quickly at first and then more slowly (with the Korean model about +150 MB after one minute
of audio, +290 MB after eight and a half), without bound on long calls. The ``KaldiRecognizer``
is therefore replaced at the first utterance end after it has decoded ``recycle_after_samples``
of speech (default :data:`DEFAULT_RECYCLE_AFTER_S`, 5 minutes; 0 = after every utterance, None
= never), and freed memory is handed back to the OS (glibc ``malloc_trim``). Each replacement
starts with cold caches, which is what recognition speed pays: on a 10-minute call (about 4
minutes of caller speech) recycling every 30 s of speech took 63 s of CPU against 44 s with
one recogniser, for a peak only 70 MB lower. Five minutes keeps ordinary calls at full speed
and still bounds a 2-hour call. Counting samples (not measuring memory) keeps results
deterministic.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from voiceassist.audio.block import RATE_HZ, Pcm16, samples_to_ms
from voiceassist.errors import ModelError
from voiceassist.events import Speaker, Transcript, Word
from voiceassist.stt.base import TimeMap

log = logging.getLogger(__name__)

#: Samples given to vosk per AcceptWaveform call (200 ms at 16 kHz).
DEFAULT_CHUNK_SAMPLES = 3200

#: Seconds of decoded speech after which the KaldiRecognizer is replaced at an utterance end.
DEFAULT_RECYCLE_AFTER_S = 300


_SRAND: Callable[[int], Any] | None = None


def _srand() -> Callable[[int], Any] | None:
    """The C library's ``srand`` (None where it cannot be found)."""
    global _SRAND
    if _SRAND is None:
        import ctypes
        import ctypes.util

        try:
            libc = ctypes.CDLL(None) if sys.platform != "win32" else ctypes.cdll.msvcrt
            _SRAND = libc.srand
        except (OSError, AttributeError):
            try:
                _SRAND = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").srand
            except (OSError, AttributeError):
                return None
    return _SRAND


def _malloc_trim() -> None:
    """Return freed heap memory to the OS (glibc only; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def set_vosk_log_level(verbose: bool) -> None:
    """Quiet vosk/Kaldi logging (level -2: errors only) unless ``verbose`` (level 0)."""
    import vosk

    vosk.SetLogLevel(0 if verbose else -2)  # -1 still lets Kaldi warnings through


def load_vosk_model(path: Path | str, *, verbose: bool = False) -> Any:
    """Load a vosk model from a folder (check it first with ``stt.models.check_model_dir``).

    Raises :class:`ModelError` when vosk cannot load it.
    """
    set_vosk_log_level(verbose)
    import vosk

    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelError(
            f"vosk could not load the model in {path}: {exc}",
            hint="the folder may be incomplete or corrupt; download it again with "
            "`voiceassist models download LANG`",
        ) from None


class VoskRecognizer:
    """:class:`voiceassist.stt.base.Recognizer` backed by a vosk ``KaldiRecognizer``.

    ``model`` is a loaded ``vosk.Model`` (share one between recognisers and files).
    """

    def __init__(
        self,
        model: Any,
        speaker: Speaker = "caller",
        *,
        chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
        partials: bool = True,
        deterministic: bool = True,
        recycle_after_samples: int | None = DEFAULT_RECYCLE_AFTER_S * RATE_HZ,
    ) -> None:
        if chunk_samples <= 0:
            raise ValueError("chunk_samples must be positive")
        self.speaker: Speaker = speaker
        self._model = model
        self._recycle_after = recycle_after_samples
        self._rec_base = 0  # recogniser sample where the current KaldiRecognizer started
        self._rec = self._new_kaldi()
        self._chunk = chunk_samples
        self._partials = partials
        self._srand = _srand() if deterministic else None
        self._buf: list[Pcm16] = []
        self._buf_len = 0
        self._received = 0  # recogniser samples accepted (fed + buffered)
        self._fed = 0  # recogniser samples given to vosk
        self._map = TimeMap()
        self._utterance = 0
        self._last_partial = ""
        self._utt_start: int | None = None  # call sample of the utterance's first audio
        self._utt_rec_start = 0

    def _new_kaldi(self) -> Any:
        from vosk import KaldiRecognizer

        rec = KaldiRecognizer(self._model, float(RATE_HZ))
        rec.SetWords(True)
        rec.SetPartialWords(True)
        return rec

    # Recognizer protocol ------------------------------------------------------------------------
    def accept(self, pcm: Pcm16, start_sample: int) -> list[Transcript]:
        if len(pcm) == 0:
            return []
        if self._received == 0 or self._map.to_call(self._received) != start_sample:
            self._map.add(self._received, start_sample)
        if self._utt_start is None:
            self._utt_start = start_sample
            self._utt_rec_start = self._received
        self._buf.append(np.asarray(pcm, dtype=np.int16))
        self._buf_len += len(pcm)
        self._received += len(pcm)
        out: list[Transcript] = []
        while self._buf_len >= self._chunk:
            out.extend(self._feed(self._take(self._chunk)))
        return out

    def advance(self, now_sample: int) -> list[Transcript]:
        return []

    def end_utterance(self, at_sample: int) -> list[Transcript]:
        out: list[Transcript] = []
        if self._buf_len:
            out.extend(self._feed(self._take(self._buf_len)))
        if self._utt_start is None and not out:
            return out
        self._seed()
        result = json.loads(self._rec.FinalResult())
        out.extend(self._final(result))
        self._utt_start = None
        if self._recycle_after is not None and self._fed - self._rec_base >= self._recycle_after:
            self._rec = None
            _malloc_trim()
            self._rec = self._new_kaldi()
            self._rec_base = self._fed
        return out

    def flush(self, at_sample: int) -> list[Transcript]:
        return self.end_utterance(at_sample)

    # ------------------------------------------------------------------------------------------
    def _take(self, n: int) -> Pcm16:
        data = self._buf[0] if len(self._buf) == 1 else np.concatenate(self._buf)
        head, rest = data[:n], data[n:]
        self._buf = [rest] if len(rest) else []
        self._buf_len = len(rest)
        return head

    def _feed(self, pcm: Pcm16) -> list[Transcript]:
        self._seed()
        self._fed += len(pcm)
        if self._rec.AcceptWaveform(pcm.tobytes()):
            # vosk's own endpointing settled a result inside our utterance.
            out = self._final(json.loads(self._rec.Result()))
            if self._buf_len or self._fed < self._received:
                self._utt_start = self._map.to_call(self._fed)
                self._utt_rec_start = self._fed
            else:
                self._utt_start = None
            return out
        if not self._partials:
            return []
        partial = json.loads(self._rec.PartialResult())
        text = str(partial.get("partial", "")).strip()
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        words = self._words(partial.get("partial_result", []))
        start = words[0].start_ms if words else samples_to_ms(self._utt_call_start())
        end = samples_to_ms(self._map.to_call_end(self._fed))
        return [
            Transcript(
                speaker=self.speaker,
                kind="partial",
                text=text,
                start_ms=start,
                end_ms=max(end, start),
                words=words,
                utterance=self._utterance,
            )
        ]

    def _final(self, result: dict[str, Any]) -> list[Transcript]:
        text = str(result.get("text", "")).strip()
        words = self._words(result.get("result", []))
        self._last_partial = ""
        if not text:
            return []
        start = words[0].start_ms if words else samples_to_ms(self._utt_call_start())
        end = words[-1].end_ms if words else samples_to_ms(self._map.to_call_end(self._fed))
        event = Transcript(
            speaker=self.speaker,
            kind="final",
            text=text,
            start_ms=start,
            end_ms=max(end, start),
            words=words,
            utterance=self._utterance,
        )
        self._utterance += 1
        self._map.drop_before(self._utt_rec_start)
        return [event]

    def _seed(self) -> None:
        if self._srand is not None:
            self._srand((self._fed * 2654435761 + 1) & 0x7FFFFFFF)

    def _utt_call_start(self) -> int:
        return self._utt_start if self._utt_start is not None else self._map.to_call(self._fed)

    def _words(self, items: Any) -> tuple[Word, ...]:
        words: list[Word] = []
        if not isinstance(items, list):
            return ()
        for item in items:
            try:
                text = str(item["word"])
                rec_start = self._rec_base + round(float(item["start"]) * RATE_HZ)
                rec_end = self._rec_base + round(float(item["end"]) * RATE_HZ)
                conf = float(item.get("conf", 1.0))
            except (KeyError, TypeError, ValueError):
                continue
            start = samples_to_ms(self._map.to_call(rec_start))
            end = samples_to_ms(self._map.to_call_end(max(rec_end, rec_start)))
            words.append(Word(text=text, start_ms=start, end_ms=max(end, start), conf=round(conf, 4)))
        return tuple(words)
