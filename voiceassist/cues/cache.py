"""Rendered cue phrases on disk, keyed by a hash of text + voice + rate.

Files live in ``<user cache dir>/cues/<key>.wav`` (the raw TTS output); a second start finds
them and renders nothing, and a changed text (or voice, or rate) gives a new key, so stale audio
is never played. Writes are atomic (render to a temporary name, then rename).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceassist.cues.level import Samples
from voiceassist.cues.tts import TtsError, TtsRenderer
from voiceassist.errors import ExitCode, VoiceAssistError
from voiceassist.paths import ensure_private_dir, user_cache_dir

#: Bump when the rendering recipe changes in a way the key does not capture.
FORMAT_VERSION = "1"


def default_cache_dir() -> Path:
    """``<user cache dir>/cues``."""
    return user_cache_dir() / "cues"


def cache_key(text: str, voice_id: str, rate_wpm: int) -> str:
    """Stable hex key for one rendering of ``text``."""
    raw = "\x00".join((FORMAT_VERSION, text, voice_id, str(int(rate_wpm))))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class CueCache:
    """Looks up or renders the WAV of a phrase; ``rendered`` counts renders done by this cache."""

    def __init__(self, renderer: TtsRenderer, directory: Path | None = None) -> None:
        self.renderer = renderer
        self.directory = directory if directory is not None else default_cache_dir()
        self.rendered = 0

    def path_for(self, text: str, voice_id: str, rate_wpm: int) -> Path:
        """Where the rendering of ``text`` is (or would be) stored."""
        return self.directory / f"{cache_key(text, voice_id, rate_wpm)}.wav"

    def has(self, text: str, voice_id: str, rate_wpm: int) -> bool:
        """Whether ``text`` is already rendered for this voice and rate."""
        return self.path_for(text, voice_id, rate_wpm).is_file()

    def get(self, text: str, voice_id: str, rate_wpm: int) -> Path:
        """The cached WAV for ``text``, rendering it first when missing. Raises ``TtsError``."""
        path = self.path_for(text, voice_id, rate_wpm)
        if path.is_file():
            return path
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            raise VoiceAssistError(
                f"cannot create the cue cache folder {self.directory}: {exc}",
                hint="set VOICEASSIST_CACHE_DIR to a writable folder",
                code=ExitCode.CONFIG,
            ) from None
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.wav")
        try:
            self.renderer.render(text, voice_id, rate_wpm, tmp)
            tmp.chmod(0o600)  # the renderer wrote it with the umask's mode
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        self.rendered += 1
        return path

    def load(self, text: str, voice_id: str, rate_wpm: int) -> tuple[Samples, int]:
        """The phrase as mono float32 samples and their rate, Hz (renders when missing)."""
        path = self.get(text, voice_id, rate_wpm)
        try:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, sf.LibsndfileError) as exc:
            path.unlink(missing_ok=True)  # corrupt entry: drop it so the next start re-renders
            raise TtsError(f"cached cue audio {path} was unreadable: {exc}") from None
        return np.ascontiguousarray(data[:, 0], dtype=np.float32), int(rate)


__all__ = ["FORMAT_VERSION", "CueCache", "cache_key", "default_cache_dir"]
