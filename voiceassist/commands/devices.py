"""``voiceassist devices [--json]``: the audio devices PortAudio sees, like ``python -m sounddevice``.

Markers: ``>`` default input, ``<`` default output, ``*`` both. Exit code 7 (DEVICE) with a clear
message when PortAudio finds no device at all.
"""

from __future__ import annotations

import argparse
from typing import Any

from voiceassist.audio.devices import DeviceInfo, list_devices, no_devices_error
from voiceassist.commands.output import print_json, print_lines
from voiceassist.errors import ExitCode


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "devices",
        help="list audio input/output devices (index, name, channels, default rate)",
        description="List the audio devices PortAudio sees. Use the index or a part of the name "
        "with --device/--caller-device/--agent-device/--headset-device. "
        "Markers: > default input, < default output, * both.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON list of devices")
    parser.set_defaults(func=run)


def _marker(d: DeviceInfo) -> str:
    if d.is_default_input and d.is_default_output:
        return "*"
    if d.is_default_input:
        return ">"
    if d.is_default_output:
        return "<"
    return " "


def format_devices(devices: list[DeviceInfo]) -> list[str]:
    """Human-readable lines, one per device."""
    width = max(len(str(d.index)) for d in devices)
    return [
        f"{_marker(d)} {d.index:>{width}} {d.name}, {d.hostapi} "
        f"({d.max_input_channels} in, {d.max_output_channels} out, {d.default_samplerate:g} Hz)"
        for d in devices
    ]


def run(args: argparse.Namespace) -> int:
    devices = list_devices()
    if not devices:
        raise no_devices_error()
    if args.json:
        print_json([d.to_dict() for d in devices])
    else:
        print_lines(format_devices(devices))
        print("(> default input, < default output, * both)")
    return int(ExitCode.OK)
