"""Validation of the merged ``policy.toml`` data into a typed :class:`Policy`.

Problems are reported through a callback with the key path, so the loader can turn them into
``file:line`` messages (the path is located in whichever file set that key last).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from voiceassist.escalation.model import (
    SEVERITIES,
    AfterCall,
    CategoryPolicy,
    CuePolicy,
    EngineParams,
    FormPolicy,
    Limits,
    Policy,
    Rung,
    Source,
)

KeyPath = tuple[str | int, ...]
Report = Callable[[KeyPath, str], None]

TOP_KEYS = {"engine", "after_call", "limits", "categories", "cues"}
CATEGORY_KEYS = {"kind", "window_ms", "ladder", "calm_lowers", "signal_cap", "forms", "note"}
FORM_KEYS = {"ladder", "start_rung", "severity", "signal_cap", "note"}
CUE_KEYS = {"severity", "priority", "cooldown_ms", "note"}
AFTER_KEYS = {"take_a_breath_min_severity", "flag_min_severity", "flag_categories"}
LIMIT_KEYS = {"hostile_call_ms"}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _unknown(table: Mapping[str, Any], allowed: set[str], path: KeyPath, report: Report) -> None:
    for k in table:
        if k not in allowed:
            report((*path, k), f"unknown key {k!r}" + _hint(k, allowed))


def _hint(k: str, allowed: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(k, sorted(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _table(data: Mapping[str, Any], key: str, path: KeyPath, report: Report) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        report((*path, key), f"{key!r} must be a table")
        return {}
    return v


def build_policy(data: Mapping[str, Any], report: Report, source: Callable[[KeyPath], Source]) -> Policy:
    """Validate merged policy data; every problem goes to ``report(path, message)``."""
    _unknown(data, TOP_KEYS, (), report)
    cues = _build_cues(_table(data, "cues", (), report), report)
    engine = _build_engine(_table(data, "engine", (), report), report)
    cats = _build_categories(_table(data, "categories", (), report), set(cues), report, source)
    after = _build_after(_table(data, "after_call", (), report), set(cats), report)
    limits_t = _table(data, "limits", (), report)
    _unknown(limits_t, LIMIT_KEYS, ("limits",), report)
    hostile = limits_t.get("hostile_call_ms", 0)
    if not _is_int(hostile) or hostile < 0:
        report(("limits", "hostile_call_ms"), "hostile_call_ms must be an integer >= 0 (ms)")
        hostile = 0
    for needed in ("offer_transfer", "take_a_breath", "caller_flagged", "end_call"):
        if needed not in cues:
            report(("cues",), f"cue {needed!r} must be defined (the engine uses it)")
    return Policy(engine, after, Limits(int(hostile)), cats, cues)


def _build_cues(table: Mapping[str, Any], report: Report) -> dict[str, CuePolicy]:
    out: dict[str, CuePolicy] = {}
    for cid, t in table.items():
        path: KeyPath = ("cues", cid)
        if not isinstance(t, dict):
            report(path, f"cue {cid!r} must be a table")
            continue
        _unknown(t, CUE_KEYS, path, report)
        sev = t.get("severity")
        if sev not in SEVERITIES:
            report((*path, "severity"), f"severity of {cid!r} must be one of {', '.join(SEVERITIES)}")
            sev = "info"
        prio = t.get("priority", 0)
        if not _is_int(prio):
            report((*path, "priority"), "priority must be an integer")
            prio = 0
        cool = t.get("cooldown_ms", -1)
        if not _is_int(cool) or (cool < 0 and "cooldown_ms" in t):
            report((*path, "cooldown_ms"), "cooldown_ms must be an integer >= 0 (ms)")
            cool = -1
        out[cid] = CuePolicy(cid, str(sev), int(prio), int(cool))
    return out


def _build_engine(table: Mapping[str, Any], report: Report) -> EngineParams:
    names = {f.name: f for f in fields(EngineParams)}
    _unknown(table, set(names), ("engine",), report)
    values: dict[str, Any] = {}
    defaults = EngineParams()
    for name in names:
        if name not in table:
            continue
        v = table[name]
        default = getattr(defaults, name)
        path: KeyPath = ("engine", name)
        if isinstance(default, int):
            if not _is_int(v) or v < 0:
                report(path, f"{name} must be an integer >= 0")
                continue
        else:
            if not _is_num(v) or v < 0:
                report(path, f"{name} must be a number >= 0")
                continue
            if name.endswith("_factor") and v > 1:
                report(path, f"{name} must be between 0 and 1")
                continue
            v = float(v)
        values[name] = v
    params = EngineParams(**values)
    if params.ambiguous_threshold <= 0:
        report(("engine", "ambiguous_threshold"), "ambiguous_threshold must be > 0")
    return params


def _rungs(v: Any, path: KeyPath, cue_ids: set[str], report: Report) -> tuple[Rung, ...] | None:
    if not isinstance(v, list) or not v:
        report(path, "ladder must be a non-empty list of cue ids (a rung may be a list of cue ids)")
        return None
    out: list[Rung] = []
    for rung in v:
        ids = rung if isinstance(rung, list) else [rung]
        if not ids or not all(isinstance(c, str) for c in ids):
            report(path, f"bad rung {rung!r}: a cue id or a list of cue ids")
            return None
        for c in ids:
            if c not in cue_ids:
                report(path, f"unknown cue id {c!r} in ladder (define it under [cues.{c}])")
        out.append(tuple(ids))
    return tuple(out)


def _cap(t: Mapping[str, Any], path: KeyPath, report: Report) -> float | None:
    """A category's or form's ``signal_cap``: a number in (0, 1], else reported and None."""
    cap = t.get("signal_cap")
    if cap is None:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not 0 < cap <= 1:
        report((*path, "signal_cap"), "signal_cap must be a number > 0 and <= 1")
        return None
    return float(cap)


def _build_categories(
    table: Mapping[str, Any], cue_ids: set[str], report: Report, source: Callable[[KeyPath], Source]
) -> dict[str, CategoryPolicy]:
    out: dict[str, CategoryPolicy] = {}
    for name, t in table.items():
        path: KeyPath = ("categories", name)
        if not isinstance(t, dict):
            report(path, f"category {name!r} must be a table")
            continue
        _unknown(t, CATEGORY_KEYS, path, report)
        kind = t.get("kind", "ladder")
        if kind not in ("ladder", "calm"):
            report((*path, "kind"), "kind must be 'ladder' or 'calm'")
            kind = "ladder"
        window = t.get("window_ms", 60000)
        if not _is_int(window) or window <= 0:
            report((*path, "window_ms"), "window_ms must be an integer > 0 (ms)")
            window = 60000
        ladder: tuple[Rung, ...] = ()
        if kind == "ladder":
            got = _rungs(t.get("ladder"), (*path, "ladder"), cue_ids, report)
            ladder = got or ()
        elif "ladder" in t:
            report((*path, "ladder"), "a calm category has no ladder")
        calm_lowers = t.get("calm_lowers", True)
        if not isinstance(calm_lowers, bool):
            report((*path, "calm_lowers"), "calm_lowers must be true or false")
            calm_lowers = True
        cap = _cap(t, path, report)
        forms_t = t.get("forms", {})
        forms: dict[str, FormPolicy] = {}
        if not isinstance(forms_t, dict) or not forms_t:
            report(
                (*path, "forms"),
                f"category {name!r} needs at least one form ([{'.'.join(map(str, path))}.forms.NAME])",
            )
            forms_t = {}
        for fname, ft in forms_t.items():
            fpath: KeyPath = (*path, "forms", fname)
            if not isinstance(ft, dict):
                report(fpath, f"form {fname!r} must be a table")
                continue
            _unknown(ft, FORM_KEYS, fpath, report)
            fl = None
            if "ladder" in ft:
                fl = _rungs(ft["ladder"], (*fpath, "ladder"), cue_ids, report)
            start = ft.get("start_rung", 1)
            if not _is_int(start) or start < 1:
                report((*fpath, "start_rung"), "start_rung must be an integer >= 1")
                start = 1
            sev = ft.get("severity")
            if sev is not None and sev not in SEVERITIES:
                report((*fpath, "severity"), f"severity must be one of {', '.join(SEVERITIES)}")
                sev = None
            forms[fname] = FormPolicy(fname, fl, int(start), sev, _cap(ft, fpath, report))
        cat = CategoryPolicy(
            name, str(kind), int(window), ladder, forms, bool(calm_lowers), source(path),
            cap,
        )
        for f in forms.values():
            if kind == "ladder" and f.start_rung > cat.max_rung:
                report(
                    (*path, "forms", f.name, "start_rung"),
                    f"start_rung {f.start_rung} is above the top of the ladder",
                )
        out[name] = cat
    return out


def _build_after(table: Mapping[str, Any], categories: set[str], report: Report) -> AfterCall:
    _unknown(table, AFTER_KEYS, ("after_call",), report)
    vals: dict[str, Any] = {}
    for k in ("take_a_breath_min_severity", "flag_min_severity"):
        if k in table:
            if table[k] not in SEVERITIES:
                report(("after_call", k), f"{k} must be one of {', '.join(SEVERITIES)}")
            else:
                vals[k] = table[k]
    fc = table.get("flag_categories", [])
    if not isinstance(fc, list) or not all(isinstance(c, str) for c in fc):
        report(("after_call", "flag_categories"), "flag_categories must be a list of category names")
        fc = []
    for c in fc:
        if c not in categories:
            report(("after_call", "flag_categories"), f"unknown category {c!r}")
    vals["flag_categories"] = tuple(fc)
    return AfterCall(**vals)
