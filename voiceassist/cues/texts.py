"""The whispered phrases of one language: the ``say`` texts of ``rules/<lang>/cues.toml``.

Only what the cue renderer needs (cue id -> ``say``); the escalation engine owns the full rule
loading and validation (``voiceassist rules check``). Later folders override earlier ones, the
same as for the engine (see docs/rules-format.md).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from voiceassist.errors import ConfigError
from voiceassist.langs import LANGS
from voiceassist.rule_layers import layer_files, rule_layers


def cue_files(lang: str, extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """``cues.toml`` of ``lang`` in the shipped rules and in each extra folder, in override order."""
    return [path for path, _ in layer_files(rule_layers(extra_dirs), f"{lang}/cues.toml")]


def load_say_texts(lang: str, extra_dirs: Sequence[Path] = ()) -> dict[str, str]:
    """Cue id -> whispered text for ``lang``. Raises :class:`ConfigError` when there is none."""
    files = cue_files(lang, extra_dirs)
    if not files:
        raise ConfigError(
            f"no cue texts for language {lang!r} (rules/{lang}/cues.toml is missing)",
            hint=f"choose one of {', '.join(LANGS)}, or add the language's rule pack",
        )
    out: dict[str, str] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read cue texts: {exc}",
                              hint="run `voiceassist rules check`") from None
        for cue_id, table in data.items():
            if isinstance(table, dict) and isinstance(table.get("say"), str) and table["say"].strip():
                out[cue_id] = table["say"].strip()
    return out


__all__ = ["cue_files", "load_say_texts"]
