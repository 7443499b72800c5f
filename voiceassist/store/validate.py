"""Input checks for the store: caller ids and field sizes.

A caller id is either

* a phone number, E.164-ish: ``+`` then 6 to 15 digits. Spaces, dashes, dots and brackets are
  visual separators and are removed (``+39 333-123 4567`` -> ``+393331234567``), or
* an opaque id from a telephony integration: 1 to 64 characters from ``A-Z a-z 0-9 . _ : @ -``,
  starting with a letter or digit (``crm:48213``, ``4711``).

Anything else (control characters, quotes, spaces inside opaque ids, a ``+`` with letters, too
long) is rejected with :class:`~voiceassist.errors.UsageError` (exit code 2). Oversized record
fields raise :class:`RecordRejected` (a :class:`~voiceassist.errors.StoreError`, exit code 10).
"""

from __future__ import annotations

import re

from voiceassist.errors import StoreError, UsageError

#: Longest opaque caller id, characters.
CALLER_ID_MAX = 64
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_PHONE = re.compile(r"^\+[0-9]{6,15}$")
_OPAQUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,63}$")

#: Largest size of each free-text field, characters.
FIELD_LIMITS: dict[str, int] = {
    "call_ref": 200,
    "lang": 16,
    "agent": 100,
    "workstation": 255,
    "source": 1000,
    "cue": 64,
    "category": 64,
    "form": 64,
    "severity": 16,
    "say": 200,
    "script": 1000,
    "rule": 500,
    "why": 2000,
    "speaker": 16,
    "matched": 2000,
    "text": 20000,
    "reason": 200,
    "message": 2000,
    "kind": 32,
}


class RecordRejected(StoreError):
    """A record field is too large or malformed; the record is not stored."""


def normalize_caller_id(raw: str) -> str:
    """Return the canonical caller id for ``raw`` or raise :class:`UsageError`."""
    if not isinstance(raw, str):
        raise UsageError(f"caller id must be text, not {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise UsageError("caller id is empty", hint="give a phone number like +393331234567 or an id")
    if text.startswith("+"):
        compact = _PHONE_SEPARATORS.sub("", text)
        if _PHONE.match(compact):
            return compact
        raise UsageError(
            f"malformed caller id {_show(raw)}: a phone number is + and 6-15 digits",
            hint="for example +393331234567 (spaces and dashes are allowed)",
        )
    if len(text) > CALLER_ID_MAX:
        raise UsageError(f"caller id is {len(text)} characters long, the limit is {CALLER_ID_MAX}")
    if not _OPAQUE.match(text):
        raise UsageError(
            f"malformed caller id {_show(raw)}: use + and digits, or letters, digits and . _ : @ -",
        )
    return text


def _show(raw: str) -> str:
    """A printable, short rendering of a rejected value for error messages."""
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    return repr(shown)


def check_field(name: str, value: str, limit: int | None = None) -> str:
    """Return ``value`` if it fits ``FIELD_LIMITS[name]`` (or ``limit``); else raise RecordRejected."""
    top = limit if limit is not None else FIELD_LIMITS.get(name, 1000)
    if not isinstance(value, str):
        raise RecordRejected(f"field {name} must be text, not {type(value).__name__}")
    if len(value) > top:
        raise RecordRejected(
            f"field {name} is {len(value)} characters, the limit is {top}: record not stored"
        )
    if "\x00" in value:
        raise RecordRejected(f"field {name} contains a NUL character: record not stored")
    return value
