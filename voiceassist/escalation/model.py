"""Typed, validated rule data: policy, lexicon entries, language packs, the loaded rule set.

Built by :mod:`voiceassist.escalation.loader`; read by the engine. Times are ms of call time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voiceassist.escalation.matcher import Matcher
from voiceassist.escalation.normalize import Normaliser
from voiceassist.escalation.patterns import Pattern

SEVERITIES = ("info", "warn", "urgent")
DIRECTED = ("agent", "any", "none")
GUARDS = ("negation", "reported", "self")
MARKERS = (
    "second_person", "address", "objects", "negation", "reported", "counter", "name_intro", "self",
    "apology", "calm",
)
#: Marker lists that act as calm-category lexicon entries (form in the ``calm`` category).
CALM_MARKERS = {"apology": "apology", "calm": "calming"}
#: Categories of statements about groups: the ``counter`` markers (quoting to condemn:
#: "saying immigrants are criminals is racist") guard their ``reported``-guarded entries only, so
#: the same verbs around an insult at the agent ("what are you saying, you idiot") do not.
GROUP_CATEGORIES = frozenset({"racism", "sexism", "hate"})


def severity_rank(severity: str) -> int:
    """0 info, 1 warn, 2 urgent."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Source:
    """Where something is written: ``file:line``."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One rule-file problem, printed as ``file:line: message``."""

    file: str
    line: int
    message: str
    #: Language folder the problem belongs to ("" for policy / global problems).
    lang: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


Rung = tuple[str, ...]


@dataclass(frozen=True)
class FormPolicy:
    name: str
    #: Own ladder, or None for the category ladder.
    ladder: tuple[Rung, ...] | None = None
    start_rung: int = 1
    severity: str | None = None
    #: Upper bound on the weight of one signal of this form, or None (see
    #: :attr:`CategoryPolicy.signal_cap`; legal threats: one "I will sue" is a complaint).
    signal_cap: float | None = None


@dataclass(frozen=True)
class CategoryPolicy:
    name: str
    #: "ladder" (cues) or "calm" (lowers the others).
    kind: str
    window_ms: int
    ladder: tuple[Rung, ...]
    forms: dict[str, FormPolicy]
    calm_lowers: bool = True
    source: Source = Source("policy.toml", 1)
    #: Upper bound on the weight of any one signal of this category, or None. Below 1 every
    #: signal is ambiguous, so a first cue needs a pattern inside ``window_ms`` (anger: one angry
    #: sentence is venting, not yet a reason to whisper).
    signal_cap: float | None = None

    def cap_for(self, form: str) -> float | None:
        """The lower of the category's and the form's ``signal_cap`` (None: no cap)."""
        fp = self.forms.get(form)
        caps = [c for c in (self.signal_cap, fp.signal_cap if fp else None) if c is not None]
        return min(caps) if caps else None

    def ladder_for(self, form: str) -> tuple[Rung, ...]:
        fp = self.forms.get(form)
        if fp is not None and fp.ladder is not None:
            return fp.ladder
        return self.ladder

    @property
    def max_rung(self) -> int:
        lengths = [len(self.ladder)] + [len(f.ladder) for f in self.forms.values() if f.ladder]
        return max(lengths) if lengths else 0


@dataclass(frozen=True)
class CuePolicy:
    id: str
    severity: str
    priority: int
    cooldown_ms: int


@dataclass(frozen=True)
class EngineParams:
    pace_ms: int = 6000
    default_cooldown_ms: int = 20000
    undirected_factor: float = 0.3
    unaddressed_factor: float = 0.5
    negation_gap: int = 1
    reported_window: int = 6
    direct_window_before: int = 4
    direct_window_after: int = 2
    bare_max_tokens: int = 4
    lookahead_tokens: int = 2
    ambiguous_threshold: float = 1.0
    active_min_weight: float = 0.5
    calm_step: int = 1


@dataclass(frozen=True)
class AfterCall:
    take_a_breath_min_severity: str = "warn"
    flag_min_severity: str = "warn"
    flag_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    hostile_call_ms: int = 0


@dataclass(frozen=True)
class Policy:
    engine: EngineParams
    after_call: AfterCall
    limits: Limits
    categories: dict[str, CategoryPolicy]
    cues: dict[str, CuePolicy]


@dataclass(frozen=True)
class Entry:
    """One lexicon entry (``[[entry]]``)."""

    id: str
    category: str
    form: str
    patterns: tuple[str, ...]
    weight: float
    directed: str
    guards: frozenset[str]
    source: Source
    note: str = ""
    #: True: the match is never a signal on its own (no weight, no pattern); it only lets the
    #: learned scorer corroborate its category in the same utterance (a group mentioned at all).
    corroborate_only: bool = False


@dataclass(frozen=True)
class CueText:
    say: str
    script: str
    script_no_name: str | None
    source: Source


@dataclass
class LangPack:
    """One language, compiled: normaliser, entry matcher, marker matchers, cue texts."""

    lang: str
    normaliser: Normaliser
    entries: list[Entry]
    matcher: Matcher[Entry]
    markers: dict[str, Matcher[str]]
    cues: dict[str, CueText]
    name_suffixes: tuple[str, ...] = ()
    #: The compiled patterns of every entry, for the naive benchmark baseline.
    compiled: list[tuple[Entry, Pattern]] = field(default_factory=list)


@dataclass
class RuleSet:
    """Everything loaded from the rule folders; ``problems`` is empty when all is valid."""

    dirs: tuple[str, ...]
    policy: Policy | None
    packs: dict[str, LangPack]
    problems: list[Problem]

    def problems_for(self, *langs: str) -> list[Problem]:
        """Problems that stop an engine for these languages (policy + their folders)."""
        return [p for p in self.problems if p.lang == "" or p.lang in langs]
