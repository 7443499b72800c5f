"""``voiceassist config show | check FILE | schema``: the effective configuration and its origins."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from voiceassist.commands.output import print_json
from voiceassist.errors import ExitCode
from voiceassist.settings import (
    SCHEMA,
    check_config_file,
    load_settings,
    schema_markdown,
    system_config_file,
    unknown_env_vars,
    user_config_file,
)
from voiceassist.store.urlmask import mask_url


def register(sub: Any) -> None:
    parser = sub.add_parser("config", help="show or check the configuration")
    csub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = csub.add_parser("show", help="effective settings and where each came from")
    show.add_argument("--config", type=Path, help="config file to use instead of the per-user one")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)
    check = csub.add_parser("check", help="validate config files (file:line errors) and VOICEASSIST_* "
                            "variables (a misspelt one is warned about)")  # fmt: skip
    check.add_argument("files", nargs="*", type=Path,
                       help="config files (default: the system and user files that exist)")  # fmt: skip
    check.set_defaults(func=run_check)
    schema = csub.add_parser("schema", help="print the configuration reference (Markdown)")
    schema.set_defaults(func=run_schema)


def _shown(key: str, value: Any) -> Any:
    """A setting's value as printed: secrets masked (``store.url`` passwords)."""
    if SCHEMA[key].secret and isinstance(value, str):
        return mask_url(value)
    return value


def run_show(args: argparse.Namespace) -> int:
    settings = load_settings(config_file=args.config)
    if args.json:
        out = {key: {"value": _shown(key, settings[key]), "origin": settings.origin(key)} for key in SCHEMA}
        print_json(out)
        return int(ExitCode.OK)
    width = max(len(k) for k in SCHEMA)
    for key in SCHEMA:
        value = _shown(key, settings[key])
        shown = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
        print(f"{key:<{width}}  {shown:<28}  {settings.origin(key)}")
    return int(ExitCode.OK)


def run_check(args: argparse.Namespace) -> int:
    bad = 0
    files = list(args.files) or [p for p in (system_config_file(), user_config_file()) if p.exists()]
    if not files:
        print("no config file (system or user): defaults and environment only")
    for path in files:
        problems = check_config_file(path)
        for line in problems:
            print(line)
        if problems:
            bad += 1
        else:
            print(f"{path}: ok")
    for warning in unknown_env_vars():
        print(f"warning: {warning}")
    return int(ExitCode.CHECK_FAILED if bad else ExitCode.OK)


def run_schema(args: argparse.Namespace) -> int:
    print(schema_markdown())
    return int(ExitCode.OK)
