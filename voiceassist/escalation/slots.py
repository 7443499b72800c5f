"""Slots: named word sets that rule patterns compose from (``docs/rules-format.md``, "Slots").

A lexicon file may hold a ``[slots]`` table: ``group_plural = ["muslims", "jews", "immigrant*"]``.
A pattern writes ``@group_plural`` at a position (alone or among alternatives:
``@group_plural|they``), and the loader expands it before compiling. A slot member may be a word,
a ``stem*``, another ``@slot``, or several words ("people like you"): a multi-word member turns
the pattern into one variant per such member (a position holds single words only).

So a grammar is written once as *target x predicate* (``@target ?@adverb @copula ..2
@derogatory``) and every combination of the members fires, including those no sentence in the
dev set spells out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

SLOT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Variants one pattern may expand into (multi-word slot members multiply).
MAX_VARIANTS = 256
_MAX_DEPTH = 8


class SlotError(ValueError):
    """A slot reference cannot be expanded; the message says why."""


def _members(name: str, slots: Mapping[str, Sequence[str]], depth: int = 0) -> list[str]:
    """Flat members of ``@name`` (nested ``@other`` members resolved), order kept, no repeats."""
    if name not in slots:
        known = ", ".join(sorted(slots)) or "none"
        raise SlotError(f"unknown slot @{name} (defined: {known})")
    if depth > _MAX_DEPTH:
        raise SlotError(f"slot @{name} refers to itself (directly or through other slots)")
    out: list[str] = []
    for m in slots[name]:
        if m.startswith("@") and len(m.split()) == 1:
            got = _members(m[1:], slots, depth + 1)
        elif "@" in m:
            got = expand(m, slots, depth + 1)  # "@race_adj people": one member per adjective
        else:
            got = [m]
        out.extend(x for x in got if x not in out)
    return out


def _alternatives(piece: str, slots: Mapping[str, Sequence[str]], depth: int) -> tuple[bool, list[str]]:
    optional = piece.startswith("?")
    body = piece[1:] if optional else piece
    alts: list[str] = []
    for alt in body.split("|"):
        got = _members(alt[1:], slots, depth) if alt.startswith("@") and len(alt) > 1 else [alt]
        alts.extend(a for a in got if a not in alts)
    return optional, alts


def expand(text: str, slots: Mapping[str, Sequence[str]], depth: int = 0) -> list[str]:
    """The pattern strings ``text`` stands for once its ``@slot`` references are expanded.

    A pattern without ``@`` is returned unchanged. Raises :class:`SlotError`.
    """
    if "@" not in text:
        return [text]
    variants: list[list[str]] = [[]]
    for piece in text.split():
        if "@" not in piece:
            for v in variants:
                v.append(piece)
            continue
        optional, alts = _alternatives(piece, slots, depth)
        single = [a for a in alts if len(a.split()) == 1]
        multi = [a.split() for a in alts if len(a.split()) > 1]
        q = "?" if optional else ""
        choices: list[list[str]] = [[q + "|".join(single)]] if single else []
        if multi and optional:
            raise SlotError(
                f"'{piece}' has members of several words; write the pattern with and without it"
            )
        choices.extend(multi)
        variants = [v + c for v in variants for c in choices]
        if len(variants) > MAX_VARIANTS:
            raise SlotError(
                f"pattern expands into more than {MAX_VARIANTS} variants (too many multi-word slot members)"
            )
    return [" ".join(v) for v in variants]


def check_slots(slots: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """Problems of a slot table as (slot name, message): bad names, empty or circular slots."""
    problems: list[tuple[str, str]] = []
    for name, items in slots.items():
        if not SLOT_NAME.match(name):
            problems.append((name, f"slot name {name!r} must be lower-case letters, digits and _"))
            continue
        if not items:
            problems.append((name, f"slot @{name} is empty"))
            continue
        try:
            _members(name, slots)
        except SlotError as exc:
            problems.append((name, str(exc)))
    return problems


__all__ = ["MAX_VARIANTS", "SlotError", "check_slots", "expand"]
