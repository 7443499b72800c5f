"""Per-language coaching lexicons: ``rules/<lang>/coaching.toml``, compiled with the escalation
engine's normaliser and pattern syntax (``docs/rules-format.md``) and validated with
``file:line`` problems. Format in ``docs/coaching.md``.

A file holds agent-side entries (``[[entry]]`` with a ``kind``: jargon, condescension,
rulebook, dead_end, brush_off, data_first), marker lists (acknowledgement, explanation,
alternative, human_question on the agent side; caller_problem, caller_feeling on the caller
side), the whispered / on-screen texts per signal (``[texts.SIGNAL]``) and the after-call
summary phrases (``[summary]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceassist.coaching.policy import SIGNALS
from voiceassist.escalation.loader import SPLIT_APOSTROPHE_LANGS
from voiceassist.escalation.matcher import Match, Matcher
from voiceassist.escalation.model import Problem, Source
from voiceassist.escalation.normalize import Normaliser
from voiceassist.escalation.patterns import Pattern, PatternError, parse_exclude, parse_pattern
from voiceassist.rule_layers import layer_files
from voiceassist.tomlfile import TomlLocator, TomlSyntaxError, parse_toml

LEXICON_FILE = "coaching.toml"
#: Entry kinds, each the name of the signal it raises.
KINDS = ("jargon", "condescension", "rulebook", "dead_end", "brush_off", "data_first")
MARKERS = (
    "acknowledgement", "explanation", "alternative", "human_question", "caller_problem", "caller_feeling",
)  # fmt: skip
#: Summary phrases; ``{n}`` is a count, ``{minutes}`` a list of minute numbers.
SUMMARY_KEYS = (
    "title", "none", "interruptions", "pace_high", "monologue", "jargon", "rulebook", "apathy",
    "robotic",
)  # fmt: skip
TOP_KEYS = {"lang", "note", "entry", "markers", "texts", "summary"}
ENTRY_KEYS = {"id", "kind", "patterns", "weight", "exclude", "note", "enabled"}
TEXT_KEYS = {"say", "script", "note"}
MAX_SAY_WORDS = 4


@dataclass(frozen=True)
class LexEntry:
    """One ``[[entry]]``: phrases of one kind."""

    id: str
    kind: str
    patterns: tuple[str, ...]
    #: None = the policy's default weight for the kind.
    weight: float | None
    source: Source


@dataclass(frozen=True)
class CueWords:
    """What a signal whispers (1-4 words) and shows (one sentence)."""

    say: str
    script: str


@dataclass
class CoachingLexicon:
    """One language's compiled coaching lexicon."""

    lang: str
    normaliser: Normaliser
    entries: Matcher[LexEntry]
    markers: dict[str, Matcher[str]]
    texts: dict[str, CueWords]
    summary: dict[str, str]
    file: str = ""
    problems: list[Problem] = field(default_factory=list)

    def tokens(self, text: str) -> list[str]:
        """Normalised tokens of ``text``."""
        return self.normaliser.tokens(text)

    def find(self, tokens: Sequence[str]) -> list[Match[LexEntry]]:
        """Every entry match in ``tokens`` (sorted by end)."""
        return self.entries.find(tokens)

    def has(self, marker: str, tokens: Sequence[str]) -> list[Match[str]]:
        """Matches of one marker list in ``tokens``."""
        m = self.markers.get(marker)
        return m.find(tokens) if m is not None else []


def normaliser_for(lang: str) -> Normaliser:
    """The normaliser the escalation rules use for ``lang`` (apostrophes split for Italian)."""
    return Normaliser(apostrophe="split" if lang in SPLIT_APOSTROPHE_LANGS else "drop")


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


@dataclass
class _Layer:
    """One file's content, compiled but not yet merged with other rule folders."""

    display: str
    entries: dict[str, list[tuple[LexEntry, Pattern]]] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    markers: dict[str, list[tuple[str, Pattern]]] = field(default_factory=dict)
    texts: dict[str, CueWords] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)


def _parse_layer(text: str, lang: str, display: str, problems: list[Problem]) -> _Layer:
    layer = _Layer(display)
    norm = normaliser_for(lang)
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        problems.append(Problem(display, exc.line, f"TOML syntax error: {exc}", lang))
        return layer
    loc = TomlLocator(text)

    def bad(path: tuple[str | int, ...], message: str, line: int | None = None) -> None:
        problems.append(Problem(display, line if line is not None else loc.line(path), message, lang))

    def compile_one(text: str, path: tuple[str | int, ...], **kw: Any) -> list[Pattern]:
        try:
            return parse_pattern(text, norm, **kw)
        except PatternError as exc:
            bad(path, f"bad pattern {text!r}: {exc}", loc.value_line(path, text))
            return []

    for k in data:
        if k not in TOP_KEYS:
            bad((k,), f"unknown key {k!r} (known: {', '.join(sorted(TOP_KEYS))})")
    if data.get("lang", lang) != lang:
        bad(("lang",), f"lang = {data.get('lang')!r} but the folder is {lang!r}")

    # ---- entries
    seen: dict[str, int] = {}
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list):
        bad(("entry",), "entry must be an array of tables ([[entry]])")
        raw_entries = []
    for i, e in enumerate(raw_entries):
        base: tuple[str | int, ...] = ("entry", i)
        if not isinstance(e, dict):
            bad(base, "entry must be a table")
            continue
        ok = True
        for key in e:
            if key not in ENTRY_KEYS:
                bad((*base, key), f"unknown key {key!r} (known: {', '.join(sorted(ENTRY_KEYS))})")
        eid = e.get("id")
        if not isinstance(eid, str) or not eid.strip():
            bad(base, "entry needs an id")
            continue
        if eid in seen:
            bad((*base, "id"), f"duplicate id {eid!r} (first at line {seen[eid]})")
            continue
        seen[eid] = loc.line((*base, "id"))
        enabled = e.get("enabled", True)
        if not isinstance(enabled, bool):
            bad((*base, "enabled"), "enabled must be true or false")
        elif not enabled:
            layer.disabled.add(eid)
            continue
        kind = e.get("kind")
        if kind not in KINDS:
            bad((*base, "kind"), f"kind must be one of {', '.join(KINDS)}")
            ok = False
        weight = e.get("weight")
        if weight is not None and (
            isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 10
        ):
            bad((*base, "weight"), "weight must be a number > 0 (1.0 = a cue on its own)")
            ok = False
        exclude = None
        if "exclude" in e:
            if not _str_list(e["exclude"]):
                bad((*base, "exclude"), "exclude must be a list of words or stems")
                ok = False
            else:
                try:
                    exclude = parse_exclude(e["exclude"], norm)
                except PatternError as exc:
                    bad((*base, "exclude"), str(exc))
                    ok = False
        pats = e.get("patterns")
        compiled: list[Pattern] = []
        if not _str_list(pats) or not pats:
            bad((*base, "patterns"), "patterns must be a non-empty list of strings")
            ok = False
        else:
            for p in pats:
                got = compile_one(p, (*base, "patterns"), exclude=exclude)
                ok = ok and bool(got)
                compiled.extend(got)
        if not ok or not isinstance(pats, list):
            continue
        entry = LexEntry(eid, str(kind), tuple(pats), None if weight is None else float(weight),
                         Source(display, loc.line(base)))  # fmt: skip
        layer.entries[eid] = [(entry, p) for p in compiled]

    # ---- markers
    raw_markers = data.get("markers", {})
    if not isinstance(raw_markers, dict):
        bad(("markers",), "markers must be a table of lists")
        raw_markers = {}
    for name, lst in raw_markers.items():
        path: tuple[str | int, ...] = ("markers", name)
        if name not in MARKERS:
            bad(path, f"unknown marker list {name!r} (known: {', '.join(MARKERS)})")
            continue
        if not _str_list(lst):
            bad(path, f"markers.{name} must be a list of strings")
            continue
        out = layer.markers.setdefault(name, [])
        for p in lst:
            out.extend((p, pat) for pat in compile_one(p, path))

    # ---- texts
    raw_texts = data.get("texts", {})
    if not isinstance(raw_texts, dict):
        bad(("texts",), "texts must be a table of [texts.SIGNAL] tables")
        raw_texts = {}
    for sig, t in raw_texts.items():
        path = ("texts", sig)
        if sig not in SIGNALS:
            bad(path, f"unknown signal {sig!r} (known: {', '.join(SIGNALS)})")
            continue
        if not isinstance(t, dict):
            bad(path, f"texts.{sig} must be a table with say and script")
            continue
        for k in t:
            if k not in TEXT_KEYS:
                bad((*path, k), f"unknown key {k!r}")
        say, script = t.get("say"), t.get("script")
        if not isinstance(say, str) or not 1 <= len(say.split()) <= MAX_SAY_WORDS:
            bad((*path, "say"), f"say of {sig!r} must be 1-{MAX_SAY_WORDS} words")
            continue
        if not isinstance(script, str) or not script.strip():
            bad((*path, "script"), f"texts.{sig} needs a script sentence")
            continue
        layer.texts[sig] = CueWords(say.strip(), script.strip())

    # ---- summary
    raw_summary = data.get("summary", {})
    if not isinstance(raw_summary, dict):
        bad(("summary",), "summary must be a table of phrases")
        raw_summary = {}
    for k, v in raw_summary.items():
        if k not in SUMMARY_KEYS:
            bad(("summary", k), f"unknown summary phrase {k!r} (known: {', '.join(SUMMARY_KEYS)})")
        elif not isinstance(v, str) or not v.strip():
            bad(("summary", k), f"summary.{k} must be a non-empty string")
        else:
            try:
                v.format(n=1, minutes="1")
            except (KeyError, IndexError, ValueError):
                bad(("summary", k), f"summary.{k} may only use {{n}} and {{minutes}}")
                continue
            layer.summary[k] = v
    return layer


def _combine(lang: str, layers: Sequence[_Layer], problems: list[Problem]) -> CoachingLexicon:
    """Merge layers: a later entry with the same id replaces (``enabled = false`` removes it),
    marker lists extend, texts and summary phrases are replaced key by key."""
    entries: dict[str, list[tuple[LexEntry, Pattern]]] = {}
    markers: dict[str, list[tuple[str, Pattern]]] = {}
    texts: dict[str, CueWords] = {}
    summary: dict[str, str] = {}
    for layer in layers:
        for eid in layer.disabled:
            entries.pop(eid, None)
        for eid, items in layer.entries.items():
            entries.pop(eid, None)
            entries[eid] = items
        for name, lst in layer.markers.items():
            markers.setdefault(name, []).extend(lst)
        texts.update(layer.texts)
        summary.update(layer.summary)
    first = layers[0].display if layers else f"rules/{lang}/{LEXICON_FILE}"
    if layers:
        missing_m = [m for m in MARKERS if m not in markers]
        if missing_m:
            problems.append(Problem(first, 1, f"missing marker lists: {', '.join(missing_m)}", lang))
        missing_t = [s for s in SIGNALS if s not in texts]
        if missing_t:
            problems.append(Problem(first, 1, f"missing texts for: {', '.join(missing_t)}", lang))
        missing_s = [k for k in SUMMARY_KEYS if k not in summary]
        if missing_s:
            problems.append(Problem(first, 1, f"missing summary phrases: {', '.join(missing_s)}", lang))
    return CoachingLexicon(
        lang=lang,
        normaliser=normaliser_for(lang),
        entries=Matcher([item for items in entries.values() for item in items]),
        markers={name: Matcher(lst) for name, lst in markers.items()},
        texts=texts,
        summary=summary,
        file=first,
        problems=problems,
    )


def parse_lexicon(text: str, lang: str, display: str) -> CoachingLexicon:
    """Compile the text of one ``coaching.toml``; problems are in ``.problems``."""
    problems: list[Problem] = []
    layer = _parse_layer(text, lang, display, problems)
    return _combine(lang, [layer], problems)


def load_lexicon(lang: str, rule_dirs: Sequence[tuple[Path, str]]) -> CoachingLexicon:
    """Read ``<dir>/<lang>/coaching.toml`` from each ``(folder, display name)`` in order (later
    folders override) and compile them; problems (including "no file at all") are in
    ``.problems``."""
    problems: list[Problem] = []
    layers: list[_Layer] = []
    for path, display in layer_files(rule_dirs, f"{lang}/{LEXICON_FILE}"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(display, 1, f"cannot read coaching lexicon: {exc}", lang))
            continue
        layers.append(_parse_layer(text, lang, display, problems))
    if not layers and not problems:
        where = f"{rule_dirs[0][1]}/{lang}/{LEXICON_FILE}" if rule_dirs else f"rules/{lang}/{LEXICON_FILE}"
        problems.append(Problem(where, 1, f"no coaching lexicon for {lang!r} (add {LEXICON_FILE})", lang))
    return _combine(lang, layers, problems)


__all__ = [
    "KINDS",
    "LEXICON_FILE",
    "MARKERS",
    "SUMMARY_KEYS",
    "CoachingLexicon",
    "CueWords",
    "LexEntry",
    "load_lexicon",
    "normaliser_for",
    "parse_lexicon",
]
