"""The rule-folder layering, resolved once for every loader (rule packs, coaching, cue texts).

The shipped rules come first (``rules/`` in a checkout, ``voiceassist/_rules`` in a wheel), then
the deployment's ``rules.extra_dirs``, then the folders of the command line (``--rules``), each
extending or overriding the ones before it. A folder given twice, or the shipped folder given
again, is one layer (at its first place). A layer is ``(folder, display name)``: the name is
what ``file:line`` messages show (``rules`` for the shipped folder, else the folder as given).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from voiceassist import paths
from voiceassist.langs import LANG_DIR_NAME

Layer = tuple[Path, str]
#: Display name of the shipped folder in messages.
SHIPPED = "rules"


def extra_rule_dirs(settings: Mapping[str, Any], cli_dirs: Iterable[Path] = ()) -> tuple[Path, ...]:
    """The extra folders of a call: ``rules.extra_dirs`` of the settings, then ``cli_dirs``."""
    return (*(Path(d) for d in settings.get("rules.extra_dirs", ())), *(Path(d) for d in cli_dirs))


def rule_layers(extra_dirs: Sequence[Path] = (), *, include_shipped: bool = True) -> list[Layer]:
    """The layers, in override order: the shipped rules (when included), then ``extra_dirs``."""
    layers: list[Layer] = []
    if include_shipped:
        layers.append((paths.shipped_rules_dir(), SHIPPED))
    for d in extra_dirs:
        p = Path(d)
        if any(p.resolve() == b.resolve() for b, _ in layers):
            continue  # already a layer (the shipped folder itself, or given twice)
        layers.append((p, str(d).rstrip("/") or "."))
    return layers


def layer_files(layers: Sequence[Layer], relative: str) -> list[tuple[Path, str]]:
    """``(file, display name)`` of ``relative`` (``en/cues.toml``) in every layer that has it."""
    return [(base / relative, f"{shown}/{relative}") for base, shown in layers if (base / relative).is_file()]


def layer_langs(layers: Sequence[Layer], holding: str | None = None) -> list[str]:
    """Language folders of the layers (named like a language code), first seen first; with
    ``holding``, only folders holding that file (``coaching.toml``)."""
    langs: list[str] = []
    for base, _ in layers:
        if not base.is_dir():
            continue
        for d in sorted(base.iterdir()):
            if (d.is_dir() and LANG_DIR_NAME.match(d.name) and d.name not in langs
                    and (holding is None or (d / holding).is_file())):
                langs.append(d.name)
    return langs


__all__ = ["SHIPPED", "Layer", "extra_rule_dirs", "layer_files", "layer_langs", "rule_layers"]
