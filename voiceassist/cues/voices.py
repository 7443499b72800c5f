"""Choosing a text-to-speech voice for a cue language (pure: works on a list of voices).

espeak-ng (through pyttsx3) names voices by identifier (``roa/it``, ``zlw/pl``, ``roa/es``,
``gmw/en-us``, ``ko``) and lists language codes for each. We pick the voice whose language code
is the wanted one (a preferred regional variant first), and fall back to English when the
language has no voice, telling the caller so (``fallback=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Language codes tried in order for each cue language (first match wins).
PREFERRED_CODES: dict[str, tuple[str, ...]] = {
    "it": ("it",),
    "pl": ("pl",),
    "es": ("es", "es-419"),
    "en": ("en-us", "en-gb", "en"),
    "ko": ("ko",),
}
FALLBACK_LANG = "en"


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the TTS engine offers: its identifier and language codes (lower case)."""

    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class VoiceChoice:
    """The voice used for ``wanted_lang``; ``fallback`` is True when it is not that language."""

    voice_id: str
    voice_name: str
    wanted_lang: str
    lang: str
    fallback: bool


def _match(lang: str, voices: Sequence[VoiceInfo]) -> VoiceInfo | None:
    codes = PREFERRED_CODES.get(lang, (lang,))
    for code in codes:
        for v in voices:
            if code in v.languages:
                return v
    for v in voices:  # any regional variant, e.g. "en-029"
        if any(code == lang or code.startswith(lang + "-") for code in v.languages):
            return v
    return None


def choose_voice(lang: str, voices: Sequence[VoiceInfo]) -> VoiceChoice | None:
    """The voice for ``lang``, or an English one (``fallback=True``); ``None`` if neither exists."""
    found = _match(lang, voices)
    if found is not None:
        return VoiceChoice(found.id, found.name, lang, lang, False)
    english = _match(FALLBACK_LANG, voices)
    if english is not None:
        return VoiceChoice(english.id, english.name, lang, FALLBACK_LANG, True)
    return None


__all__ = ["FALLBACK_LANG", "PREFERRED_CODES", "VoiceChoice", "VoiceInfo", "choose_voice"]
