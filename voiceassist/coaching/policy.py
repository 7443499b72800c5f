"""Coaching policy: thresholds, windows and cooldowns of agent-side coaching, read from
``rules/coaching_policy.toml`` (the escalation loader's ``policy.toml`` has a closed set of top
tables, so coaching keeps its own file) and validated with ``file:line`` problems.

Every time is in ms of call time; rates are syllables per second. Each table maps to one frozen
dataclass; a key missing from the file keeps the dataclass default, an unknown key or a value of
the wrong type or range is a problem. See ``docs/coaching.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voiceassist.escalation.model import Problem
from voiceassist.qa.expectations import KNOWN_CUES
from voiceassist.tomlfile import TomlLocator, TomlSyntaxError, parse_toml

POLICY_FILE = "coaching_policy.toml"

#: Every coaching signal, and the cue it whispers unless the policy says otherwise.
SIGNALS: dict[str, str] = {
    "talk_over": "dont_interrupt",
    "rushing": "slow_down",
    "monologue": "slow_down",
    "jargon": "plain_words",
    "condescension": "plain_words",
    "rulebook": "explain_why",
    "dead_end": "offer_alternative",
    "brush_off": "stay_with_them",
    "robotic": "ask_personal_question",
    "data_first": "ask_personal_question",
    "apathy": "acknowledge",
}


@dataclass(frozen=True)
class GeneralPolicy:
    """``[coaching]``: what holds coaching cues back."""

    #: Least time between two coaching cues of any kind, ms.
    pace_ms: int = 30_000
    #: No coaching cue this long after a caller-side cue, ms (the caller-side cue comes first).
    after_caller_cue_ms: int = 10_000
    #: The caller counts as angry this long after a caller-side cue of ``angry_categories``, ms.
    angry_window_ms: int = 120_000
    angry_categories: tuple[str, ...] = ("anger", "abuse", "threat", "troll")
    #: After a deadline, wait this long (and for the agent to pause) so late transcripts count, ms.
    settle_ms: int = 1_500


@dataclass(frozen=True)
class TalkOverPolicy:
    """``[talk_over]``: agent speech that starts while the caller is speaking."""

    #: Added to VAD start times to undo the pre-roll, ms; -1 = derive from the VAD settings.
    onset_shift_ms: int = -1
    #: Taken from VAD end times to undo the hangover, ms; -1 = derive from the VAD settings.
    end_shift_ms: int = -1
    #: The caller must have been speaking this long before the agent's onset, ms.
    min_caller_ms: int = 400
    #: ... and go on speaking at least this long after it, ms.
    min_overlap_ms: int = 300
    #: The agent's speech must last this long (shorter is a back-channel, "mhm"), ms.
    min_agent_ms: int = 700
    #: Interruptions are counted inside this window, ms.
    window_ms: int = 60_000
    #: Interruptions inside the window that make a cue, calm caller.
    per_window: int = 2
    #: ... while the caller is angry (PLAYBOOK 1: let them vent).
    per_window_angry: int = 1
    #: One continuous talk-over (both speaking) this long counts on its own, ms; 0 = off.
    long_overlap_ms: int = 3_000


@dataclass(frozen=True)
class PacePolicy:
    """``[pace]``: agent speech rate from the agent channel audio."""

    #: Syllables per second above which the agent is rushing.
    max_rate: float = 6.5
    #: Sliding window of the rate, ms.
    window_ms: int = 30_000
    #: Agent speech time needed inside the window before a rate counts, ms.
    min_speech_ms: int = 10_000
    #: How often the rate is looked at, ms of audio.
    check_every_ms: int = 1_000
    #: The rate must stay high this long (consecutive checks) before a cue, ms.
    sustain_ms: int = 5_000


@dataclass(frozen=True)
class MonologuePolicy:
    """``[monologue]``: the agent talks on and on while the caller is silent."""

    #: A monologue longer than this makes a cue, ms.
    max_ms: int = 30_000
    #: Agent pauses shorter than this do not end the monologue, ms.
    gap_ms: int = 2_000


@dataclass(frozen=True)
class LexiconPolicy:
    """``[lexicon]``: jargon and condescension in the agent's words."""

    #: Hit weights add up inside this window, ms.
    window_ms: int = 90_000
    #: A cue needs the sum of weights inside the window to reach this.
    threshold: float = 1.0
    #: Default weight per kind (an entry's own ``weight`` wins).
    jargon_weight: float = 0.5
    condescension_weight: float = 1.0


@dataclass(frozen=True)
class RescuePolicy:
    """``[rescue]``: a rulebook, dead-end or brush-off phrase is fine when an explanation or an
    alternative follows."""

    #: The explanation / alternative must start within this long after the phrase, ms.
    window_ms: int = 8_000


@dataclass(frozen=True)
class ApathyPolicy:
    """``[apathy]``: the caller states a problem or a feeling; the agent must acknowledge it."""

    #: The acknowledgement must start within this long after the caller's utterance, ms.
    window_ms: int = 10_000
    #: Only when the agent said at least this many words in the window (silence is not apathy).
    min_agent_words: int = 4
    #: Caller-side cue categories that count as a stated problem or feeling.
    caller_categories: tuple[str, ...] = ("anger", "struggling", "policy_complaint")


@dataclass(frozen=True)
class RoboticPolicy:
    """``[robotic]``: the same scripted opening on every call, or data before a human question."""

    #: Openings kept per agent.
    history: int = 5
    #: The opening must match this many of the kept openings.
    min_repeats: int = 3
    #: Words of the agent's first speech that make the opening.
    opening_words: int = 12
    #: Only agent speech starting this early in the call is the opening, ms.
    opening_ms: int = 20_000
    #: Word-level similarity (0..1) that counts as the same opening.
    similarity: float = 0.9
    #: Also coach an opening that asks for data before any human question.
    data_first: bool = True


@dataclass(frozen=True)
class SignalPolicy:
    """``[signals.NAME]``: the cue a signal whispers and how long it then stays quiet."""

    cue: str
    #: After this signal cued, it stays quiet this long, ms.
    cooldown_ms: int = 180_000
    enabled: bool = True


def _default_signals() -> dict[str, SignalPolicy]:
    return {name: SignalPolicy(cue) for name, cue in SIGNALS.items()}


@dataclass(frozen=True)
class CoachingPolicy:
    """The whole coaching policy."""

    general: GeneralPolicy = GeneralPolicy()
    talk_over: TalkOverPolicy = TalkOverPolicy()
    pace: PacePolicy = PacePolicy()
    monologue: MonologuePolicy = MonologuePolicy()
    lexicon: LexiconPolicy = LexiconPolicy()
    rescue: RescuePolicy = RescuePolicy()
    apathy: ApathyPolicy = ApathyPolicy()
    robotic: RoboticPolicy = RoboticPolicy()
    signals: dict[str, SignalPolicy] = field(default_factory=_default_signals)


_TABLES: dict[str, str] = {
    "coaching": "general",
    "talk_over": "talk_over",
    "pace": "pace",
    "monologue": "monologue",
    "lexicon": "lexicon",
    "rescue": "rescue",
    "apathy": "apathy",
    "robotic": "robotic",
}
_SIGNAL_KEYS = {"cue", "cooldown_ms", "enabled", "note"}
#: Keys that may be negative (-1 = derive from the VAD).
_AUTO = {"onset_shift_ms", "end_shift_ms"}


def _check_value(name: str, default: Any, v: Any) -> tuple[Any, str | None]:
    """Convert ``v`` to the type of ``default``; returns (value, problem)."""
    if isinstance(default, bool):
        return (v, None) if isinstance(v, bool) else (default, f"{name} must be true or false")
    if isinstance(default, int):
        low = -1 if name in _AUTO else 0
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            unit = " (ms)" if name.endswith("_ms") else ""
            return default, f"{name} must be an integer >= {low}{unit}"
        return v, None
    if isinstance(default, float):
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            return default, f"{name} must be a number >= 0"
        if name == "similarity" and v > 1:
            return default, "similarity must be between 0 and 1"
        return float(v), None
    if isinstance(default, tuple):
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return default, f"{name} must be a list of strings"
        return tuple(v), None
    return v, None


def build_policy(data: Mapping[str, Any], file: str, loc: TomlLocator | None, problems: list[Problem],
                 base: CoachingPolicy | None = None) -> CoachingPolicy:  # fmt: skip
    """Validate parsed TOML data on top of ``base`` (default: the built-in defaults); problems are
    appended as ``file:line: message``."""

    def bad(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(file, loc.line(path) if loc else 1, message))

    policy = base or CoachingPolicy()
    values: dict[str, Any] = {}
    for key, table in data.items():
        if key == "signals":
            continue
        attr = _TABLES.get(key)
        if attr is None:
            bad((key,), f"unknown table {key!r} (known: {', '.join([*_TABLES, 'signals'])})")
            continue
        if not isinstance(table, dict):
            bad((key,), f"{key!r} must be a table")
            continue
        current = getattr(policy, attr)
        defaults = {f.name: getattr(current, f.name) for f in fields(current)}
        changes: dict[str, Any] = {}
        for name, v in table.items():
            if name == "note":
                continue
            if name not in defaults:
                bad((key, name), f"unknown key {name!r} in [{key}]")
                continue
            conv, problem = _check_value(name, defaults[name], v)
            if problem:
                bad((key, name), problem)
            else:
                changes[name] = conv
        values[attr] = replace(current, **changes)
    signals = dict(policy.signals)
    raw = data.get("signals", {})
    if not isinstance(raw, dict):
        bad(("signals",), "signals must be a table of [signals.NAME] tables")
        raw = {}
    for name, t in raw.items():
        path: tuple[str | int, ...] = ("signals", name)
        if name not in SIGNALS:
            bad(path, f"unknown signal {name!r} (known: {', '.join(SIGNALS)})")
            continue
        if not isinstance(t, dict):
            bad(path, f"signals.{name} must be a table")
            continue
        sp = signals[name]
        for k, v in t.items():
            if k not in _SIGNAL_KEYS:
                bad((*path, k), f"unknown key {k!r} in [signals.{name}]")
            elif k == "cue":
                if not isinstance(v, str) or v not in KNOWN_CUES:
                    bad((*path, k), f"unknown cue id {v!r} (see docs/rules-format.md)")
                else:
                    sp = replace(sp, cue=v)
            elif k == "cooldown_ms":
                conv, problem = _check_value(k, sp.cooldown_ms, v)
                if problem:
                    bad((*path, k), problem)
                else:
                    sp = replace(sp, cooldown_ms=conv)
            elif k == "enabled":
                if not isinstance(v, bool):
                    bad((*path, k), "enabled must be true or false")
                else:
                    sp = replace(sp, enabled=v)
        signals[name] = sp
    values["signals"] = signals
    out = replace(policy, **values)
    to = out.talk_over
    if to.per_window < 1 or to.per_window_angry < 1:
        bad(("talk_over",), "per_window and per_window_angry must be at least 1")
    if out.robotic.min_repeats > out.robotic.history:
        bad(("robotic", "min_repeats"), "min_repeats cannot be larger than history")
    if out.lexicon.threshold <= 0:
        bad(("lexicon", "threshold"), "threshold must be > 0")
    return out


def load_policy(path: Path, display: str | None = None, base: CoachingPolicy | None = None,
                ) -> tuple[CoachingPolicy, list[Problem]]:  # fmt: skip
    """Read and validate one policy file on top of ``base``; a missing file changes nothing."""
    problems: list[Problem] = []
    shown = display or str(path)
    start = base or CoachingPolicy()
    if not path.is_file():
        return start, problems
    try:
        text = path.read_text(encoding="utf-8")
        data = parse_toml(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(shown, 1, f"cannot read: {exc}"))
        return start, problems
    except TomlSyntaxError as exc:
        problems.append(Problem(shown, exc.line, f"TOML syntax error: {exc}"))
        return start, problems
    return build_policy(data, shown, TomlLocator(text), problems, start), problems


__all__ = [
    "POLICY_FILE",
    "SIGNALS",
    "ApathyPolicy",
    "CoachingPolicy",
    "GeneralPolicy",
    "LexiconPolicy",
    "MonologuePolicy",
    "PacePolicy",
    "RescuePolicy",
    "RoboticPolicy",
    "SignalPolicy",
    "TalkOverPolicy",
    "build_policy",
    "load_policy",
]
