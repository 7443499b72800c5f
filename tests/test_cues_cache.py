"""The cue cache: a phrase is rendered once, reused on the next start, re-rendered when its text
(or voice, or rate) changes. Uses the real pyttsx3 + espeak-ng engine (it renders in ms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.tts import TtsRenderer


@pytest.fixture(scope="module")
def renderer() -> TtsRenderer:
    return TtsRenderer()


def test_rendered_once_then_reused_across_starts(tmp_path: Path, renderer: TtsRenderer) -> None:
    first = CueBank("en", cache=CueCache(renderer, tmp_path))
    report = first.prepare(["Set the boundary", "Breathe", "Set the boundary"])
    assert (report.rendered, report.reused, report.failed) == (2, 0, [])
    before = renderer.renders
    # A second start (new bank, new cache object, same folder) renders nothing.
    second = CueBank("en", cache=CueCache(renderer, tmp_path))
    report2 = second.prepare(["Set the boundary", "Breathe"])
    assert (report2.rendered, report2.reused) == (0, 2)
    snd = second.sound_for("Set the boundary")
    assert snd.speech
    assert renderer.renders == before
    assert len(list(tmp_path.glob("*.wav"))) == 2


def test_changed_text_invalidates(tmp_path: Path, renderer: TtsRenderer) -> None:
    cache = CueCache(renderer, tmp_path)
    voice = CueBank("en", cache=cache).voice()
    assert voice is not None
    old = cache.get("Stay calm", voice.voice_id, 185)
    new = cache.get("Stay calm now", voice.voice_id, 185)
    faster = cache.get("Stay calm", voice.voice_id, 220)
    assert len({old, new, faster}) == 3
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (old, new, faster)), "cue audio is private"
    assert cache.rendered == 3
    assert cache.get("Stay calm", voice.voice_id, 185) == old
    assert cache.rendered == 3


def test_corrupt_cache_entry_is_rerendered(tmp_path: Path, renderer: TtsRenderer) -> None:
    bank = CueBank("en", cache=CueCache(renderer, tmp_path))
    bank.prepare(["Slow down"])
    voice = bank.voice()
    assert voice is not None
    path = bank.cache.path_for("Slow down", voice.voice_id, bank.rate_wpm)
    path.write_bytes(b"not a wav")
    broken = bank.sound_for("Slow down")
    assert not broken.speech  # tone only this time, no crash ...
    again = bank.sound_for("Slow down")
    assert again.speech  # ... and the bad entry was replaced by a fresh render
