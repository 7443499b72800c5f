"""``voiceassist service install | uninstall | show``: the per-user systemd service."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ExitCode
from voiceassist.ops import service


def register(sub: Any) -> None:
    parser = sub.add_parser("service", help="install the per-user background service (systemd)")
    ssub = parser.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    inst = ssub.add_parser("install", help="write the user unit and enable it")
    inst.add_argument("--config", type=Path, help="config file the service runs with")
    inst.add_argument("--no-enable", action="store_true", help="only write the unit file")
    inst.set_defaults(func=run_install)
    ssub.add_parser("uninstall", help="stop, disable and remove the user unit").set_defaults(
        func=run_uninstall
    )
    show = ssub.add_parser("show", help="print the unit file that install would write")
    show.add_argument("--config", type=Path)
    show.set_defaults(func=run_show)


def run_install(args: argparse.Namespace) -> int:
    _path, message = service.install(config=args.config, enable=not args.no_enable)
    if not service.enabled(message):  # the service would not start at login: say so, fail
        print(f"voiceassist: error: service {message}", file=sys.stderr)
        return int(ExitCode.CHECK_FAILED)
    print(message)
    return int(ExitCode.OK)


def run_uninstall(args: argparse.Namespace) -> int:
    print(service.uninstall())
    return int(ExitCode.OK)


def run_show(args: argparse.Namespace) -> int:
    print(service.unit_text(config=args.config), end="")
    return int(ExitCode.OK)
