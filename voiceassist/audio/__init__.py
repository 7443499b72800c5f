"""Audio in: files, raw PCM and live devices, all as 16 kHz :class:`AudioBlock` streams.

Entry points (heavy libraries are imported only when used):

- :func:`open_audio_file` (WAV/FLAC/OGG via soundfile), :func:`open_raw` (s16le/mulaw/alaw from a
  stream), :class:`LiveSource` (sounddevice), all with ``.info`` (:class:`AudioInfo`) and
  ``.blocks()``;
- :func:`find_device` / :func:`list_devices` for choosing devices.

See ``docs/audio.md``.
"""

from voiceassist.audio.block import RATE_HZ, AudioBlock
from voiceassist.audio.devices import DeviceInfo, find_device, list_devices
from voiceassist.audio.files import AudioFile, open_audio_file
from voiceassist.audio.live import LiveSource, stop_on_signals
from voiceassist.audio.raw import RawAudio, open_raw, open_raw_file
from voiceassist.audio.source import AudioInfo, AudioSource

__all__ = [
    "RATE_HZ",
    "AudioBlock",
    "AudioFile",
    "AudioInfo",
    "AudioSource",
    "DeviceInfo",
    "LiveSource",
    "RawAudio",
    "find_device",
    "list_devices",
    "open_audio_file",
    "open_raw",
    "open_raw_file",
    "stop_on_signals",
]
