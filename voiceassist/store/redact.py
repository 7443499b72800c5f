"""Redaction of stored transcript text: numbers of 4+ digits (card, account, phone numbers,
also written with spaces or dashes) become ``[number]`` and e-mail addresses ``[email]``.
Words are kept, so threats and insults stay readable as evidence."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d(?:[\s\-./]?\d){3,}")


def redact(text: str) -> str:
    """``text`` with e-mail addresses and long numbers masked."""
    return _NUMBER.sub("[number]", _EMAIL.sub("[email]", text))
