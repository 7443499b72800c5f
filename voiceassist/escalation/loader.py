"""Load, merge, validate and compile rule folders (``docs/rules-format.md``).

``load_rules(extra_dirs)`` reads the shipped folder (:func:`voiceassist.paths.shipped_rules_dir`)
and then each extra folder, which extends or overrides it: a later entry with the same ``id``
replaces the earlier one (``enabled = false`` removes it), cue texts merge per key, marker lists
extend, policy tables merge key by key. Every problem is collected as ``file:line: message``;
patterns are compiled once per language. Results are cached per folder set and file mtimes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceassist.escalation.matcher import Matcher
from voiceassist.escalation.model import (
    CALM_MARKERS,
    DIRECTED,
    GUARDS,
    MARKERS,
    CueText,
    Entry,
    LangPack,
    Policy,
    Problem,
    RuleSet,
    Source,
)
from voiceassist.escalation.normalize import Normaliser
from voiceassist.escalation.patterns import Pattern, PatternError, parse_exclude, parse_pattern
from voiceassist.escalation.policy import KeyPath, build_policy
from voiceassist.escalation.slots import SlotError, check_slots, expand
from voiceassist.rule_layers import layer_langs, rule_layers
from voiceassist.tomlfile import TOO_DEEP, TomlLocator, TomlSyntaxError, parse_toml

ENTRY_KEYS = {
    "id", "category", "form", "patterns", "weight", "directed", "guards", "note",
    "exclude", "masked", "enabled", "corroborate_only",
}  # fmt: skip
LANG_KEYS = {"lang", "apostrophe", "markers", "numbers", "name_suffixes", "note"}
CUE_TEXT_KEYS = {"say", "script", "script_no_name", "note"}
SPLIT_APOSTROPHE_LANGS = {"it", "fr", "ca"}
#: Categories whose pattern words a masked transcript token (f***) may fit; other entries
#: match masked forms only through their explicit ``masked`` list.
MASKABLE_CATEGORIES = {"abuse"}
MAX_SAY_WORDS = 4


@dataclass
class _Doc:
    path: Path
    display: str
    data: dict[str, Any]
    loc: TomlLocator

    def src(self, path: KeyPath) -> Source:
        return Source(self.display, self.loc.line(path))


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, message: str, lang: str = "") -> None:
        self.problems.append(Problem(file, line, message, lang))


def _display(base: Path, base_display: str, path: Path) -> str:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return str(path)
    return f"{base_display}/{rel}" if base_display else rel


def _read(path: Path, display: str, col: _Collector, lang: str) -> _Doc | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        col.add(display, 1, f"not UTF-8 text ({exc.reason})", lang)
        return None
    except OSError as exc:
        col.add(display, 1, f"cannot read: {exc.strerror}", lang)
        return None
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        msg = exc.reason if exc.reason == TOO_DEEP else f"TOML syntax error: {exc.reason}"
        col.add(display, exc.line, msg, lang)
        return None
    return _Doc(path, display, data, TomlLocator(text))


# --------------------------------------------------------------------------------------- policy


def _walk(value: Any, prefix: KeyPath) -> Iterable[KeyPath]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*prefix, k))


def _merge(dst: dict[str, Any], src: Mapping[str, Any], origins: dict[KeyPath, Source], doc: _Doc | None,
           prefix: KeyPath = ()) -> None:  # fmt: skip
    for k, v in src.items():
        p = (*prefix, k)
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            if doc is not None:
                origins.setdefault(p, doc.src(p))
            _merge(dst[k], v, origins, doc, p)
        else:
            dst[k] = copy.deepcopy(v)
            for sub in _walk(v, p):
                origins[sub] = doc.src(sub) if doc is not None else Source("<policy override>", 0)


def _load_policy(layers: Sequence[tuple[Path, str]], overrides: Mapping[str, Any] | None,
                 col: _Collector) -> Policy | None:  # fmt: skip
    merged: dict[str, Any] = {}
    origins: dict[KeyPath, Source] = {}
    found = False
    for base, disp in layers:
        f = base / "policy.toml"
        if f.is_file():
            found = True
            doc = _read(f, _display(base, disp, f), col, "")
            if doc is not None:
                _merge(merged, doc.data, origins, doc)
    if not found:
        first = layers[0]
        col.add(_display(first[0], first[1], first[0] / "policy.toml"), 1, "missing policy.toml")
        return None
    if overrides:
        _merge(merged, overrides, origins, None)

    def source(path: KeyPath) -> Source:
        p = tuple(path)
        while p:
            if p in origins:
                return origins[p]
            p = p[:-1]
        return Source(_display(layers[0][0], layers[0][1], layers[0][0] / "policy.toml"), 1)

    def report(path: KeyPath, message: str) -> None:
        s = source(path)
        col.add(s.file, s.line, message)

    return build_policy(merged, report, source)


# ------------------------------------------------------------------------------------ languages


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _compile(text: str, norm: Normaliser, doc: _Doc, path: KeyPath, col: _Collector, lang: str,
             shown: str | None = None, **kw: Any) -> list[Pattern]:  # fmt: skip
    """Compile ``text``; ``shown`` is the pattern as written when ``text`` is a slot expansion."""
    try:
        return parse_pattern(text, norm, **kw)
    except PatternError as exc:
        written = shown if shown is not None else text
        where = f" (as {text!r})" if shown is not None and shown != text else ""
        message = f"bad pattern {written!r}{where}: {exc}"
        col.add(doc.display, doc.loc.value_line(path, written), message, lang)
        return []


def _load_slots(docs: Sequence[_Doc], lang: str, col: _Collector) -> dict[str, list[str]]:
    """``[slots]`` tables of every lexicon file of a language; a later layer's slot extends."""
    slots: dict[str, list[str]] = {}
    where: dict[str, Source] = {}
    for doc in docs:
        table = doc.data.get("slots", {})
        if not isinstance(table, dict):
            col.add(doc.display, doc.loc.line(("slots",)), "slots must be a table of name = [words]", lang)
            continue
        for name, items in table.items():
            if not _str_list(items) or any(not str(x).strip() for x in items):
                col.add(doc.display, doc.loc.line(("slots", name)),
                        f"slot {name!r} must be a list of non-empty strings", lang)  # fmt: skip
                continue
            slots.setdefault(name, []).extend(x.strip() for x in items)
            where.setdefault(name, doc.src(("slots", name)))
    bad = set()
    for name, message in check_slots(slots):
        src = where[name]
        col.add(src.file, src.line, message, lang)
        bad.add(name)
    return {k: v for k, v in slots.items() if k not in bad}


def _load_lang(lang: str, layers: Sequence[tuple[Path, str]], policy: Policy | None,
               col: _Collector) -> LangPack | None:  # fmt: skip
    # ---- lang.toml (merged: scalars replace, marker lists extend, numbers merge)
    markers_raw: dict[str, list[tuple[str, _Doc, KeyPath]]] = {m: [] for m in MARKERS}
    numbers: dict[int, str] = {}
    apostrophe = "split" if lang in SPLIT_APOSTROPHE_LANGS else "drop"
    suffixes: list[str] = []
    have_lang = False
    lang_docs: list[_Doc] = []
    for base, disp in layers:
        f = base / lang / "lang.toml"
        if not f.is_file():
            continue
        have_lang = True
        doc = _read(f, _display(base, disp, f), col, lang)
        if doc is None:
            continue
        lang_docs.append(doc)
        d = doc.data
        for k in d:
            if k not in LANG_KEYS:
                col.add(doc.display, doc.loc.line((k,)), f"unknown key {k!r}", lang)
        if "lang" in d and d["lang"] != lang:
            col.add(
                doc.display, doc.loc.line(("lang",)), f"lang = {d['lang']!r} but the folder is {lang!r}", lang
            )
        if "apostrophe" in d:
            if d["apostrophe"] in ("drop", "split"):
                apostrophe = d["apostrophe"]
            else:
                col.add(
                    doc.display, doc.loc.line(("apostrophe",)), "apostrophe must be 'drop' or 'split'", lang
                )
        if "name_suffixes" in d:
            if _str_list(d["name_suffixes"]):
                suffixes = list(d["name_suffixes"])
            else:
                col.add(
                    doc.display,
                    doc.loc.line(("name_suffixes",)),
                    "name_suffixes must be a list of strings",
                    lang,
                )
        mk = d.get("markers", {})
        if not isinstance(mk, dict):
            col.add(doc.display, doc.loc.line(("markers",)), "markers must be a table", lang)
            mk = {}
        for name, items in mk.items():
            if name not in MARKERS:
                col.add(doc.display, doc.loc.line(("markers", name)),
                        f"unknown marker list {name!r} (known: {', '.join(MARKERS)})", lang)  # fmt: skip
                continue
            if not _str_list(items):
                col.add(
                    doc.display,
                    doc.loc.line(("markers", name)),
                    f"markers.{name} must be a list of strings",
                    lang,
                )
                continue
            markers_raw[name].extend((t, doc, ("markers", name)) for t in items)
        nums = d.get("numbers", {})
        if not isinstance(nums, dict):
            col.add(
                doc.display, doc.loc.line(("numbers",)), "numbers must be a table of word = integer", lang
            )
            nums = {}
        for word, val in nums.items():
            if not isinstance(val, int) or isinstance(val, bool) or val < 0:
                col.add(
                    doc.display,
                    doc.loc.line(("numbers", word)),
                    f"number word {word!r} needs an integer >= 0",
                    lang,
                )
                continue
            numbers.setdefault(val, word)
    if not have_lang:
        base, disp = layers[0]
        col.add(_display(base, disp, base / lang / "lang.toml"), 1, "missing lang.toml", lang)
    norm = Normaliser(
        apostrophe=apostrophe, numbers={k: " ".join(Normaliser().tokens(v)) for k, v in numbers.items()}
    )

    markers: dict[str, Matcher[str]] = {}
    calm_entries: list[tuple[Entry, list[Pattern]]] = []
    for name, items in markers_raw.items():
        if name in CALM_MARKERS:
            form = CALM_MARKERS[name]
            calm = policy.categories.get("calm") if policy is not None else None
            if calm is None or form not in calm.forms:
                continue
            for idx, (text, doc, path) in enumerate(items):
                pats = _compile(text, norm, doc, path, col, lang)
                if pats:
                    src = Source(doc.display, doc.loc.value_line(path, text))
                    e = Entry(f"markers.{name}.{idx}", "calm", form, (text,), 1.0, "any",
                              frozenset(("negation", "reported")), src)  # fmt: skip
                    calm_entries.append((e, pats))
            continue
        compiled: list[tuple[str, Pattern]] = []
        for text, doc, path in items:
            for pat in _compile(text, norm, doc, path, col, lang):
                compiled.append((text, pat))
        markers[name] = Matcher(compiled)

    # ---- lexicon/*.toml
    entries: dict[str, tuple[Entry, list[Pattern]]] = {}
    lex_layers: list[list[_Doc]] = []
    for base, disp in layers:
        lexdir = base / lang / "lexicon"
        if not lexdir.is_dir():
            continue
        read = [_read(f, _display(base, disp, f), col, lang) for f in sorted(lexdir.glob("*.toml"))]
        lex_layers.append([d for d in read if d is not None])
    slots = _load_slots([d for layer in lex_layers for d in layer], lang, col)
    for layer in lex_layers:
        seen_here: dict[str, Source] = {}
        for doc in layer:
            _load_lexicon(doc, lang, norm, policy, col, entries, seen_here, slots)
    if not entries and have_lang:
        base, disp = layers[0]
        col.add(
            _display(base, disp, base / lang / "lexicon"), 1, "no lexicon entries (add lexicon/*.toml)", lang
        )

    # ---- cues.toml (merged per cue id and key)
    raw_cues: dict[str, dict[str, tuple[Any, Source]]] = {}
    cue_docs: list[_Doc] = []
    for base, disp in layers:
        f = base / lang / "cues.toml"
        if not f.is_file():
            continue
        doc = _read(f, _display(base, disp, f), col, lang)
        if doc is None:
            continue
        cue_docs.append(doc)
        for cid, t in doc.data.items():
            if policy is not None and cid not in policy.cues:
                col.add(
                    doc.display,
                    doc.loc.line((cid,)),
                    f"unknown cue id {cid!r} (not in policy.toml [cues])",
                    lang,
                )
                continue
            if not isinstance(t, dict):
                col.add(
                    doc.display,
                    doc.loc.line((cid,)),
                    f"cue {cid!r} must be a table with say and script",
                    lang,
                )
                continue
            slot = raw_cues.setdefault(cid, {})
            for k, v in t.items():
                if k not in CUE_TEXT_KEYS:
                    col.add(doc.display, doc.loc.line((cid, k)), f"unknown key {k!r}", lang)
                    continue
                slot[k] = (v, doc.src((cid, k)))
            slot.setdefault("__table__", (None, doc.src((cid,))))
    cues: dict[str, CueText] = {}
    for cid, slot in raw_cues.items():
        where = slot["__table__"][1]
        say, say_src = slot.get("say", (None, where))
        script, _script_src = slot.get("script", (None, where))
        no_name = slot.get("script_no_name", (None, where))[0]
        ok = True
        if not isinstance(say, str) or not say.strip():
            col.add(where.file, where.line, f"cue {cid!r} needs a say text", lang)
            ok = False
        elif not 1 <= len(say.split()) <= MAX_SAY_WORDS:
            col.add(
                say_src.file,
                say_src.line,
                f"say of {cid!r} has {len(say.split())} words (1-{MAX_SAY_WORDS} allowed)",
                lang,
            )
            ok = False
        if not isinstance(script, str) or not script.strip():
            col.add(where.file, where.line, f"cue {cid!r} needs a script sentence", lang)
            ok = False
        if no_name is not None and not isinstance(no_name, str):
            col.add(where.file, where.line, f"script_no_name of {cid!r} must be a string", lang)
            no_name = None
        if ok:
            cues[cid] = CueText(str(say).strip(), str(script).strip(), no_name, where)
    if policy is not None:
        if not cue_docs and have_lang:
            base, disp = layers[0]
            col.add(_display(base, disp, base / lang / "cues.toml"), 1, "missing cues.toml", lang)
        elif cue_docs:
            missing = [c for c in policy.cues if c not in raw_cues]
            if missing:
                d0 = cue_docs[0]
                col.add(d0.display, 1, f"missing cue texts for: {', '.join(missing)}", lang)

    ordered = calm_entries + list(entries.values())
    items = [(e, p) for e, pats in ordered for p in pats]
    return LangPack(
        lang=lang,
        normaliser=norm,
        entries=[e for e, _ in ordered],
        matcher=Matcher(items),
        markers=markers,
        cues=cues,
        name_suffixes=tuple(
            sorted(
                (Normaliser().tokens(s)[0] for s in suffixes if Normaliser().tokens(s)), key=len, reverse=True
            )
        ),
        compiled=items,
    )


def _load_lexicon(
    doc: _Doc,
    lang: str,
    norm: Normaliser,
    policy: Policy | None,
    col: _Collector,
    entries: dict[str, tuple[Entry, list[Pattern]]],
    seen_here: dict[str, Source],
    slots: Mapping[str, Sequence[str]],
) -> None:
    data = doc.data
    for k in data:
        if k not in ("entry", "slots"):
            col.add(
                doc.display,
                doc.loc.line((k,)),
                f"unknown key {k!r} (lexicon files hold [slots] and [[entry]] tables)",
                lang,
            )
    items = data.get("entry", [])
    if not isinstance(items, list):
        col.add(doc.display, doc.loc.line(("entry",)), "entry must be an array of tables ([[entry]])", lang)
        return
    for n, e in enumerate(items):
        base: KeyPath = ("entry", n)
        line = doc.loc.line(base)

        def bad(key: str, message: str, _base: KeyPath = base) -> None:
            col.add(doc.display, doc.loc.line((*_base, key)), message, lang)

        if not isinstance(e, dict):
            col.add(doc.display, line, "entry must be a table", lang)
            continue
        for key in e:
            if key not in ENTRY_KEYS:
                bad(key, f"unknown key {key!r}")
        eid = e.get("id")
        if not isinstance(eid, str) or not eid.strip():
            col.add(doc.display, line, "entry needs an id", lang)
            continue
        if eid in seen_here:
            bad("id", f"duplicate id {eid!r} (first at {seen_here[eid]})")
            continue
        seen_here[eid] = Source(doc.display, doc.loc.line((*base, "id")))
        enabled = e.get("enabled", True)
        if not isinstance(enabled, bool):
            bad("enabled", "enabled must be true or false")
        if enabled is False:
            entries.pop(eid, None)
            continue
        ok = True
        cat = e.get("category")
        form = e.get("form")
        if not isinstance(cat, str):
            bad("category", "category must be a string")
            ok, cat = False, ""
        if not isinstance(form, str):
            bad("form", "form must be a string")
            ok, form = False, ""
        if policy is not None and ok:
            if cat not in policy.categories:
                bad("category", f"unknown category {cat!r} (known: {', '.join(policy.categories)})")
                ok = False
            elif form not in policy.categories[cat].forms:
                bad(
                    "form",
                    f"unknown form {form!r} for {cat} (known: {', '.join(policy.categories[cat].forms)})",
                )
                ok = False
        weight = e.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 10:
            bad("weight", "weight must be a number > 0 (>= 1.0 clear, < 1.0 ambiguous)")
            ok = False
        directed = e.get("directed", "any")
        if directed not in DIRECTED:
            bad("directed", f"directed must be one of {', '.join(DIRECTED)}")
            ok = False
        guards = e.get("guards", list(GUARDS))
        if not _str_list(guards) or any(g not in GUARDS for g in guards):
            bad("guards", f"guards must be a list drawn from {', '.join(GUARDS)}")
            ok = False
        note = e.get("note", "")
        if not isinstance(note, str):
            bad("note", "note must be a string")
        corroborate_only = e.get("corroborate_only", False)
        if not isinstance(corroborate_only, bool):
            bad("corroborate_only", "corroborate_only must be true or false")
            ok = False
        exclude = None
        if "exclude" in e:
            if not _str_list(e["exclude"]):
                bad("exclude", "exclude must be a list of words or stems")
                ok = False
            else:
                try:
                    exclude = parse_exclude(e["exclude"], norm)
                except PatternError as exc:
                    bad("exclude", str(exc))
                    ok = False
        pats = e.get("patterns")
        compiled: list[Pattern] = []
        if not _str_list(pats) or not pats:
            bad("patterns", "patterns must be a non-empty list of strings")
            ok = False
        else:
            for text in pats:
                try:
                    texts = expand(text, slots)
                except SlotError as exc:
                    col.add(doc.display, doc.loc.value_line((*base, "patterns"), text),
                            f"bad pattern {text!r}: {exc}", lang)  # fmt: skip
                    ok = False
                    continue
                for one in texts:
                    got = _compile(one, norm, doc, (*base, "patterns"), col, lang, exclude=exclude,
                                   mask_ok=cat in MASKABLE_CATEGORIES, shown=text)  # fmt: skip
                    ok = ok and bool(got)
                    compiled.extend(got)
        masked = e.get("masked", [])
        if not _str_list(masked):
            bad("masked", "masked must be a list of strings like 'f**k'")
            ok = False
        else:
            for text in masked:
                got = _compile(
                    text, norm, doc, (*base, "masked"), col, lang, exclude=exclude, literal_mask=True
                )
                ok = ok and bool(got)
                compiled.extend(got)
        if not ok:
            continue
        entry = Entry(
            id=eid,
            category=str(cat),
            form=str(form),
            patterns=tuple(pats or ()) + tuple(masked),
            weight=float(weight),
            directed=str(directed),
            guards=frozenset(guards),
            source=Source(doc.display, line),
            note=str(note) if isinstance(note, str) else "",
            corroborate_only=bool(corroborate_only),
        )
        entries.pop(eid, None)
        entries[eid] = (entry, compiled)


# ----------------------------------------------------------------------------------- public API


def _signature(layers: Sequence[tuple[Path, str]]) -> tuple[Any, ...]:
    sig: list[Any] = []
    for base, disp in layers:
        sig.append((str(base.resolve()), disp))
        if base.is_dir():
            for f in sorted(base.rglob("*.toml")):
                try:
                    st = f.stat()
                except OSError:
                    continue
                sig.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(sig)


_CACHE: dict[tuple[Any, ...], RuleSet] = {}


def _freeze(v: Any) -> Any:
    if isinstance(v, Mapping):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    return v


def load_rules(extra_dirs: Sequence[Path] = (), *, include_shipped: bool = True,
               policy_overrides: Mapping[str, Any] | None = None) -> RuleSet:  # fmt: skip
    """Load every language of the shipped rules plus ``extra_dirs`` (later folders override).

    Never raises for rule problems: they are in ``RuleSet.problems``. Missing folders are
    problems too.
    """
    layers = rule_layers(extra_dirs, include_shipped=include_shipped)
    key = (_signature(layers), _freeze(policy_overrides or {}))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    col = _Collector()
    for base, disp in layers:
        if not base.is_dir():
            col.add(disp, 1, "rule folder not found")
    good = [(b, d) for b, d in layers if b.is_dir()]
    policy = _load_policy(good, policy_overrides, col) if good else None
    packs: dict[str, LangPack] = {}
    for lang in layer_langs(good):
        pack = _load_lang(lang, good, policy, col)
        if pack is not None:
            packs[lang] = pack
    rs = RuleSet(tuple(d for _, d in layers), policy, packs, col.problems)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = rs
    return rs


def check_rules(extra_dirs: Sequence[Path] = (), *, include_shipped: bool = True) -> list[Problem]:
    """Every problem of the shipped rules plus ``extra_dirs``, sorted by file and line."""
    rs = load_rules(extra_dirs, include_shipped=include_shipped)
    return sorted(rs.problems, key=lambda p: (p.file, p.line, p.message))


__all__ = ["check_rules", "load_rules"]
