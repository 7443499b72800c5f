"""Store URLs with their secrets masked, for anything printed or logged.

PostgreSQL takes a password in three places: the URL's user part (``postgresql://u:pw@host/db``),
the query string (``?password=pw``, also ``sslpassword``), and libpq ``key=value`` strings
(``host=h password=pw``). Every form is masked as ``***``; the rest stays readable.
"""

from __future__ import annotations

import re

MASK = "***"
_SECRET_KEYS = ("password", "sslpassword")
# user:password@ in a URL authority (the password may itself hold ':' or '@' before the last '@').
_AUTHORITY = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@?#]*):(?P<pw>[^/?#]*)@", re.IGNORECASE
)
# password=value in a query string or a libpq conninfo (quoted values allowed).
_KEYVALUE = re.compile(
    r"(?P<key>(?<![a-z_])(?:" + "|".join(_SECRET_KEYS) + r"))\s*=\s*(?P<val>'(?:\\'|[^'])*'|[^&\s;#]*)",
    re.IGNORECASE,
)


def mask_url(url: str) -> str:
    """``url`` with every password masked (see the module docstring); other text unchanged."""
    masked = _AUTHORITY.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url, count=1)
    return _KEYVALUE.sub(lambda m: f"{m['key']}={MASK}", masked)
