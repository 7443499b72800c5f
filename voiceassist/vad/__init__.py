"""Voice activity detection: a pure webrtcvad segmenter advanced by audio time."""

from voiceassist.vad.config import VadConfig
from voiceassist.vad.segmenter import SpeechAudio, UtteranceEnd, VadOutput, VadSegmenter

__all__ = ["SpeechAudio", "UtteranceEnd", "VadConfig", "VadOutput", "VadSegmenter"]
