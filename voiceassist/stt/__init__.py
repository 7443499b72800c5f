"""Speech-to-text: the recogniser interface, the vosk adapter (vosk imported lazily), the
reference-transcript recogniser, and vosk model resolution/download."""

from voiceassist.stt.base import Recognizer, TimeMap

__all__ = ["Recognizer", "TimeMap"]
