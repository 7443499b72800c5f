"""``voiceassist panel``: open the agent's panel of the running ``run`` (or service) in the
default browser, or print its address (``--print``). The address, with its per-start token, is
read from the owner-only file the running ``run`` writes (docs/panel.md)."""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from typing import Any

from voiceassist.errors import ExitCode, InputFileError


def register(sub: Any) -> None:
    p = sub.add_parser("panel", help="open the agent's panel of the running `run` in the browser",
                       description="Open the agent's panel (cues, script lines, mute) of the running "
                       "`voiceassist run` or service in the default browser. Exit 3 when none runs.")
    p.add_argument("--print", action="store_true", help="print the address (with its token) instead")
    p.set_defaults(func=run)


def reachable(url: str, timeout_s: float = 2.0) -> bool:
    """True when the panel at ``url`` answers (its token accepted)."""
    base, _, query = url.partition("?")
    try:
        with urllib.request.urlopen(base.rstrip("/") + "/api/ping?" + query, timeout=timeout_s) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    from voiceassist.panel.urlfile import read_url, url_file

    url = read_url()
    if url is None or not reachable(url):
        raise InputFileError(
            "no panel is running" + ("" if url is None else f" (stale address in {url_file()})"),
            hint="start `voiceassist run` (or the service: `voiceassist service install`); "
                 "panel.enabled must be true")
    if args.print:
        print(url)
        return int(ExitCode.OK)
    import webbrowser

    if not webbrowser.open(url):
        print(url)
        print("voiceassist: no browser found; open the address above", file=sys.stderr)
    return int(ExitCode.OK)
