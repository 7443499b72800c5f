"""Expectation files (``CALL.expect.toml`` beside ``CALL.wav``): which cues a call should produce,
when, and where it must stay quiet. Format: ``docs/testing.md`` section 2; JSON Schema:
``schemas/expect.schema.json``.

Files use **seconds** of call time (people write them); :class:`Expectations` holds **ms** of call
time like the rest of the product. Loading validates everything and reports each problem as
``file:line: message`` (:class:`ExpectationError`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError, InputFileError
from voiceassist.tomlfile import TomlLocator, TomlSyntaxError, parse_toml

#: Cue ids of the contract in ``docs/rules-format.md`` (every language defines all of them).
KNOWN_CUES: frozenset[str] = frozenset(
    [
        "calm_first",
        "acknowledge",
        "ask_details",
        "apologize_no_blame",
        "explain_why",
        "offer_alternative",
        "agree_and_escalate",
        "use_their_name",
        "state_boundary",
        "last_warning",
        "offer_transfer",
        "offer_supervisor",
        "end_call",
        "call_security",
        "report_threat",
        "legal_threat",
        "ask_what_they_mean",
        "name_prejudice",
        "mutual_respect",
        "refuse_request",
        "cite_policy",
        "report_to_manager",
        "deflect",
        "steer_back",
        "stress_professionalism",
        "business_only",
        "real_question",
        "stop_feeding",
        "plain_words",
        "do_it_for_them",
        "suggest_expert",
        "speak_clearly",
        "take_a_breath",
        "dont_interrupt",
        "slow_down",
        "ask_personal_question",
        "stay_with_them",
        "caller_flagged",
    ]
)

#: Categories a cue can carry (``docs/rules-format.md`` plus the agent-side ones).
KNOWN_CATEGORIES: frozenset[str] = frozenset(
    [
        "abuse",
        "threat",
        "racism",
        "sexism",
        "hate",
        "flirting",
        "troll",
        "anger",
        "policy_complaint",
        "struggling",
        "calm",
        "coaching",
        "wellbeing",
    ]
)

#: Suffix of the sidecar file: ``call.wav`` -> ``call.expect.toml``.
SUFFIX = ".expect.toml"


@dataclass(frozen=True)
class Expected:
    """One expected cue: its id must fire inside ``[start_ms, end_ms]`` (ms of call time)."""

    cue: str
    start_ms: int
    end_ms: int
    #: The category the cue must carry, or None for any.
    category: str | None = None
    #: End of the trigger word, ms of call time: detection latency = cue time - anchor.
    anchor_ms: int | None = None
    #: Label for tables and JUnit ("" = generated from cue and window).
    name: str = ""
    #: Line of the ``[[expect]]`` header in the file (0 when built in code).
    line: int = 0

    @property
    def label(self) -> str:
        """Human name: the given ``name`` or ``cue in [a, b]`` in seconds."""
        window = f"{self.cue} in [{self.start_ms / 1000:.2f}, {self.end_ms / 1000:.2f}]"
        return f"{window} ({self.name})" if self.name else window


@dataclass(frozen=True)
class Expectations:
    """Everything one expectation file asks of one call. Times in ms of call time."""

    #: Where it came from (for messages); "" when built in code.
    source: str = ""
    lang: str | None = None
    expected: tuple[Expected, ...] = ()
    #: Cue ids that must never fire.
    forbid: tuple[str, ...] = ()
    #: Spans ``(start_ms, end_ms)`` where no cue at all may fire.
    quiet: tuple[tuple[int, int], ...] = ()
    #: At most this many cues in the whole call (None = no limit).
    max_cues: int | None = None
    #: Every cue must match an expectation.
    strict: bool = False
    #: Judge the agent-side coaching cues in this call too (a coaching dialogue). Otherwise
    #: coaching cues are reported but neither matched nor counted as false cues.
    coaching: bool = False
    #: Line numbers of top-level keys (for JUnit ``file:line`` hints).
    lines: dict[str, int] = field(default_factory=dict, compare=False)


class ExpectationError(ConfigError):
    """An expectation file is invalid; ``problems`` lists every ``file:line: message``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{problems[0]}{more}",
            hint="fix the expectation file; the format is in docs/testing.md",
        )


# --------------------------------------------------------------------------------------------
# Line numbers for TOML keys (tomllib does not give them)


class KeyLines:
    """Lines (1-based) of keys in an expectation file, for ``file:line`` errors.

    ``line_of("expect", 2, "between")`` is the line of ``between`` inside the third
    ``[[expect]]`` table; ``line_of(None, None, "quiet")`` a top-level key. Falls back to the
    table header, then to line 1. A thin view of the rule files' TOML locator.
    """

    def __init__(self, text: str):
        self._loc = TomlLocator(text)

    def line_of(self, table: str | None, index: int | None, key: str | None = None) -> int:
        """Line of ``key`` in the table (or of the table header when ``key`` is None)."""
        return self._loc.line(tuple(p for p in (table, index, key) if p is not None))


# --------------------------------------------------------------------------------------------
# Loading


_TOP_KEYS = {"lang", "max_cues", "forbid", "quiet", "strict", "coaching", "expect"}
_EXPECT_KEYS = {"cue", "between", "category", "anchor", "name"}


def sidecar_path(audio: Path) -> Path:
    """``call.wav`` -> ``call.expect.toml`` (same folder)."""
    return audio.with_name(audio.stem + SUFFIX)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def parse_expectations(
    text: str, source: str = "<expect>", known_cues: frozenset[str] | None = None
) -> Expectations:
    """Parse and validate the text of an expectation file.

    ``source`` names the file in messages; ``known_cues`` are the accepted cue ids (default
    :data:`KNOWN_CUES`). Raises :class:`ExpectationError` listing every problem.
    """
    cues_ok = KNOWN_CUES if known_cues is None else known_cues
    loc = KeyLines(text)
    problems: list[str] = []

    def bad(line: int, message: str) -> None:
        problems.append(f"{source}:{line}: {message}")

    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        raise ExpectationError([f"{source}:{exc.line}: not valid TOML: {exc}"]) from None

    for key in sorted(set(data) - _TOP_KEYS):
        bad(loc.line_of(None, None, key), f"unknown key '{key}' (allowed: {', '.join(sorted(_TOP_KEYS))})")

    lang = data.get("lang")
    if lang is not None and not (isinstance(lang, str) and re.fullmatch(r"[a-z]{2}", lang)):
        bad(loc.line_of(None, None, "lang"), 'lang must be a two-letter language code such as "en"')
        lang = None

    max_cues = data.get("max_cues")
    if max_cues is not None and (not isinstance(max_cues, int) or isinstance(max_cues, bool) or max_cues < 0):
        bad(loc.line_of(None, None, "max_cues"), "max_cues must be a whole number >= 0")
        max_cues = None

    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        bad(loc.line_of(None, None, "strict"), "strict must be true or false")
        strict = False
    coaching = data.get("coaching", False)
    if not isinstance(coaching, bool):
        bad(loc.line_of(None, None, "coaching"), "coaching must be true or false")
        coaching = False

    forbid: list[str] = []
    raw_forbid = data.get("forbid", [])
    if not isinstance(raw_forbid, list) or not all(isinstance(c, str) for c in raw_forbid):
        bad(loc.line_of(None, None, "forbid"), "forbid must be a list of cue ids")
    else:
        for cue in raw_forbid:
            if cue not in cues_ok:
                bad(loc.line_of(None, None, "forbid"), f"unknown cue id '{cue}' in forbid")
            elif cue not in forbid:
                forbid.append(cue)

    quiet: list[tuple[int, int]] = []
    raw_quiet = data.get("quiet", [])
    if not isinstance(raw_quiet, list):
        bad(loc.line_of(None, None, "quiet"), "quiet must be a list of [start, end] spans in seconds")
    else:
        for i, span in enumerate(raw_quiet):
            if not (isinstance(span, list) and len(span) == 2 and all(_is_number(v) for v in span)):
                bad(loc.line_of(None, None, "quiet"), f"quiet span {i + 1} must be [start, end] in seconds")
            elif span[0] < 0 or span[1] < span[0]:
                bad(
                    loc.line_of(None, None, "quiet"),
                    f"quiet span {i + 1} needs 0 <= start <= end, got {span}",
                )
            else:
                quiet.append((_ms(span[0]), _ms(span[1])))

    expected: list[Expected] = []
    raw_expect = data.get("expect", [])
    if not isinstance(raw_expect, list) or not all(isinstance(e, dict) for e in raw_expect):
        bad(loc.line_of(None, None, "expect"), "expect must be written as [[expect]] tables")
        raw_expect = []
    for i, item in enumerate(raw_expect):
        exp = _parse_one(item, i, loc, bad, cues_ok)
        if exp is not None:
            expected.append(exp)

    if problems:
        raise ExpectationError(problems)
    lines = {key: loc.line_of(None, None, key) for key in ("forbid", "quiet", "max_cues", "strict")}
    return Expectations(
        source=source,
        lang=lang,
        expected=tuple(expected),
        forbid=tuple(forbid),
        quiet=tuple(sorted(quiet)),
        max_cues=max_cues,
        strict=strict,
        coaching=coaching,
        lines=lines,
    )


def _parse_one(
    item: dict[str, Any],
    i: int,
    loc: KeyLines,
    bad: Any,
    cues_ok: frozenset[str],
) -> Expected | None:
    ok = True
    header = loc.line_of("expect", i)
    for key in sorted(set(item) - _EXPECT_KEYS):
        bad(
            loc.line_of("expect", i, key),
            f"unknown key '{key}' in [[expect]] (allowed: {', '.join(sorted(_EXPECT_KEYS))})",
        )
        ok = False
    cue = item.get("cue")
    if not isinstance(cue, str):
        bad(loc.line_of("expect", i, "cue") if "cue" in item else header, '[[expect]] needs cue = "<cue id>"')
        ok = False
    elif cue not in cues_ok:
        bad(loc.line_of("expect", i, "cue"), f"unknown cue id '{cue}' (see docs/rules-format.md)")
        ok = False
    between = item.get("between")
    start = end = 0.0
    if between is None:
        bad(header, "[[expect]] needs between = [start, end] in seconds")
        ok = False
    elif not (isinstance(between, list) and len(between) == 2 and all(_is_number(v) for v in between)):
        bad(loc.line_of("expect", i, "between"), "between must be [start, end] in seconds")
        ok = False
    else:
        start, end = float(between[0]), float(between[1])
        if start < 0 or end < start:
            bad(loc.line_of("expect", i, "between"), f"between needs 0 <= start <= end, got {between}")
            ok = False
    category = item.get("category")
    if category is not None and (not isinstance(category, str) or category not in KNOWN_CATEGORIES):
        bad(
            loc.line_of("expect", i, "category"),
            f"unknown category {category!r} (one of: {', '.join(sorted(KNOWN_CATEGORIES))})",
        )
        ok = False
    anchor = item.get("anchor")
    if anchor is not None:
        if not _is_number(anchor):
            bad(loc.line_of("expect", i, "anchor"), "anchor must be a time in seconds")
            ok = False
        elif ok and not (start - 5.0 <= anchor <= end):
            bad(
                loc.line_of("expect", i, "anchor"),
                f"anchor {anchor} is outside the window [{start - 5.0}, {end}]",
            )
            ok = False
    name = item.get("name", "")
    if not isinstance(name, str):
        bad(loc.line_of("expect", i, "name"), "name must be a string")
        ok = False
    if not ok:
        return None
    assert isinstance(cue, str)
    return Expected(
        cue=cue,
        start_ms=_ms(start),
        end_ms=_ms(end),
        category=category,
        anchor_ms=None if anchor is None else _ms(float(anchor)),
        name=name,
        line=header,
    )


def load_expectations(path: Path, known_cues: frozenset[str] | None = None) -> Expectations:
    """Read and validate an expectation file (see :func:`parse_expectations`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such expectation file", hint="see docs/testing.md") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read expectation file: {exc}") from None
    return parse_expectations(text, source=str(path), known_cues=known_cues)


def dump_expectations(exp: Expectations) -> str:
    """TOML text of ``exp`` (times in seconds, 3 decimals), readable by :func:`parse_expectations`."""

    def sec(ms: int) -> str:
        return f"{ms / 1000:.3f}"

    out: list[str] = []
    if exp.lang:
        out.append(f'lang = "{exp.lang}"')
    if exp.max_cues is not None:
        out.append(f"max_cues = {exp.max_cues}")
    if exp.forbid:
        out.append("forbid = [" + ", ".join(f'"{c}"' for c in exp.forbid) + "]")
    if exp.quiet:
        out.append("quiet = [" + ", ".join(f"[{sec(a)}, {sec(b)}]" for a, b in exp.quiet) + "]")
    if exp.strict:
        out.append("strict = true")
    if exp.coaching:
        out.append("coaching = true")
    for e in exp.expected:
        out.append("")
        out.append("[[expect]]")
        out.append(f'cue = "{e.cue}"')
        out.append(f"between = [{sec(e.start_ms)}, {sec(e.end_ms)}]")
        if e.category:
            out.append(f'category = "{e.category}"')
        if e.anchor_ms is not None:
            out.append(f"anchor = {sec(e.anchor_ms)}")
        if e.name:
            out.append("name = " + _toml_str(e.name))
    return "\n".join(out) + "\n"


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


__all__ = [
    "KNOWN_CATEGORIES",
    "KNOWN_CUES",
    "SUFFIX",
    "ExpectationError",
    "Expectations",
    "Expected",
    "KeyLines",
    "dump_expectations",
    "load_expectations",
    "parse_expectations",
    "sidecar_path",
]
