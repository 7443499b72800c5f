"""The settings a call needs, converted once into typed, frozen sections.

``voiceassist.settings.SCHEMA`` stays the source of truth (names, types, ranges and the
``file:line`` validation of config files); this module only derives, in one place, what several
front-ends used to derive on their own: the cue language ("no agent language means the
caller's"), the rule folders, the VAD configuration and the store configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from voiceassist.langs import cue_lang
from voiceassist.rule_layers import extra_rule_dirs
from voiceassist.vad.config import VadConfig


@dataclass(frozen=True)
class CallSection:
    """``call.*``: who is on the call."""

    #: The caller's language (rule pack and speech model).
    lang: str = "en"
    #: The language the agent reads and hears cues in; "" = the caller's.
    agent_lang: str = ""
    agent_name: str = ""

    @property
    def cue_lang(self) -> str:
        """Language of the cue texts: the agent's, else the caller's."""
        return cue_lang(self.lang, self.agent_lang)

    def for_lang(self, lang: str) -> CallSection:
        """The same agent on a call in ``lang`` (a replayed file's own language)."""
        return replace(self, lang=lang)


@dataclass(frozen=True)
class SttSection:
    """``stt.*``: speech models ("" = looked up by language)."""

    model: str = ""
    agent_model: str = ""


@dataclass(frozen=True)
class CoachingSection:
    """``cues.coaching*``: agent-side coaching."""

    enabled: bool = True
    off: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionConfig:
    """Everything the assembly needs, frozen. Build with :meth:`from_settings`."""

    call: CallSection = field(default_factory=CallSection)
    #: Extra rule folders layered on the shipped rules (``rules.extra_dirs``), in override order.
    rule_dirs: tuple[Path, ...] = ()
    vad: VadConfig = field(default_factory=VadConfig)
    stt: SttSection = field(default_factory=SttSection)
    coaching: CoachingSection = field(default_factory=CoachingSection)
    #: The effective settings themselves (read-only), for the adapters that take them whole
    #: (cue bank, store configuration).
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_settings(cls, s: Mapping[str, Any]) -> SessionConfig:
        """From :func:`voiceassist.settings.load_settings` values."""
        return cls(
            call=CallSection(lang=str(s.get("call.lang", "en")),
                             agent_lang=str(s.get("call.agent_lang", "") or ""),
                             agent_name=str(s.get("call.agent_name", "") or "")),
            rule_dirs=extra_rule_dirs(s),
            vad=VadConfig.from_settings(s),
            stt=SttSection(model=str(s.get("stt.model", "") or ""),
                           agent_model=str(s.get("stt.agent_model", "") or "")),
            coaching=CoachingSection(enabled=bool(s.get("cues.coaching", True)),
                                     off=tuple(s.get("cues.coaching_off", ()))),
            settings=MappingProxyType(dict(s)),
        )

    def store_config(self) -> Any:
        """The :class:`voiceassist.store.config.StoreConfig` of these settings (raises
        :class:`~voiceassist.errors.ConfigError` for a bad value)."""
        from voiceassist.store.config import StoreConfig

        return StoreConfig.from_settings(self.settings)

    def with_call(self, **changes: Any) -> SessionConfig:
        """A copy with some ``call.*`` values changed."""
        return replace(self, call=replace(self.call, **changes))


__all__ = ["CallSection", "CoachingSection", "SessionConfig", "SttSection"]
