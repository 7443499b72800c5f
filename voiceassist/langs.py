"""The product's languages: the folders of the shipped rule folder (``rules/`` in a checkout,
``voiceassist/_rules`` in a wheel) that hold a language pack (``<lang>/cues.toml``).

This is the one list: the ``call.lang`` / ``--lang`` choices, the models ``models download``
fetches, the eval harness's language folders, the demo calls and the benchmarks all read it.
Adding a language is adding its rule folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from voiceassist.paths import shipped_rules_dir

#: A language folder's name: an ISO 639 code (two or three lower-case letters).
LANG_DIR_NAME = re.compile(r"^[a-z]{2,3}$")


def pack_langs(rules_dir: Path | None = None) -> tuple[str, ...]:
    """The languages of ``rules_dir`` (default: the shipped rules), sorted: every sub-folder named
    like a language code that holds a ``cues.toml``."""
    base = shipped_rules_dir() if rules_dir is None else rules_dir
    if not base.is_dir():
        return ()
    return tuple(sorted(d.name for d in base.iterdir()
                        if d.is_dir() and LANG_DIR_NAME.match(d.name) and (d / "cues.toml").is_file()))


def cue_lang(lang: str, agent_lang: str | None) -> str:
    """The language of the cue texts the agent hears and reads: ``call.agent_lang`` when set,
    else the caller's language (the one place that says so)."""
    return agent_lang or lang


#: The shipped languages, sorted (``en``, ``es``, ``it``, ``ko``, ``pl``).
LANGS: tuple[str, ...] = pack_langs()

__all__ = ["LANGS", "LANG_DIR_NAME", "cue_lang", "pack_langs"]
