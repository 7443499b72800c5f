"""Audio devices: listing and choosing one by index or name, behind a small backend seam.

:class:`DeviceBackend` is the seam: :class:`SounddeviceBackend` asks PortAudio (through
sounddevice, imported lazily); tests and other engineers install a :class:`FakeDeviceBackend`
with :func:`set_backend` (or pass ``backend=`` explicitly) to work without a sound card.

Choosing a device (:func:`find_device`): ``None`` = the default device of that kind; an ``int``
or a string of digits = that index; anything else = a case-insensitive substring of the device
name (or of ``"name, host API"``). An exact name match wins over substring matches. No match, an
ambiguous match, or no devices at all raise :class:`~voiceassist.errors.DeviceError` with the
candidates in the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from voiceassist.errors import DeviceError

Kind = Literal["input", "output"]
NO_DEVICES_HINT = (
    "check that a sound card or USB headset is connected and visible to ALSA/PulseAudio "
    "(`arecord -l`), and that libportaudio2 is installed"
)


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device."""

    index: int
    name: str
    #: Host API name (ALSA, PulseAudio, JACK, ...).
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    #: Device's default sample rate, Hz.
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False

    def channels(self, kind: Kind) -> int:
        """Channels available for ``kind``."""
        return self.max_input_channels if kind == "input" else self.max_output_channels

    @property
    def label(self) -> str:
        """``[3] USB Headset (ALSA)``: for messages."""
        return f"[{self.index}] {self.name} ({self.hostapi})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``devices --json``)."""
        return {
            "index": self.index,
            "name": self.name,
            "hostapi": self.hostapi,
            "max_input_channels": self.max_input_channels,
            "max_output_channels": self.max_output_channels,
            "default_samplerate": self.default_samplerate,
            "default_input": self.is_default_input,
            "default_output": self.is_default_output,
        }


class DeviceBackend(Protocol):
    """Where the device list comes from."""

    def query(self) -> list[DeviceInfo]:
        """All devices, with the default markers set. Raises DeviceError if the audio system
        itself cannot be used."""
        ...


class SounddeviceBackend:
    """The real backend: PortAudio via sounddevice."""

    def query(self) -> list[DeviceInfo]:
        """Ask PortAudio for its device list."""
        try:
            import sounddevice as sd
        except OSError as exc:  # libportaudio missing
            raise DeviceError(
                f"PortAudio is not available ({exc})", hint="install it: apt install libportaudio2"
            ) from None
        try:
            raw = list(sd.query_devices())
            apis = [str(api["name"]) for api in sd.query_hostapis()]
            default_in, default_out = (int(x) if x is not None else -1 for x in sd.default.device)
        except sd.PortAudioError as exc:
            raise DeviceError(f"PortAudio failed to list devices: {exc}", hint=NO_DEVICES_HINT) from None
        out = []
        for d in raw:
            idx = int(d["index"])
            api_idx = int(d["hostapi"])
            out.append(
                DeviceInfo(
                    index=idx,
                    name=str(d["name"]),
                    hostapi=apis[api_idx] if 0 <= api_idx < len(apis) else str(api_idx),
                    max_input_channels=int(d["max_input_channels"]),
                    max_output_channels=int(d["max_output_channels"]),
                    default_samplerate=float(d["default_samplerate"]),
                    is_default_input=idx == default_in,
                    is_default_output=idx == default_out,
                )
            )
        return out


class FakeDeviceBackend:
    """A fixed device list, for tests and for working without hardware."""

    def __init__(self, devices: Sequence[DeviceInfo] = ()) -> None:
        self.devices = list(devices)

    def query(self) -> list[DeviceInfo]:
        """The list given at construction."""
        return list(self.devices)


def fake_device(
    index: int,
    name: str,
    *,
    inputs: int = 2,
    outputs: int = 2,
    rate: float = 48000.0,
    hostapi: str = "ALSA",
    default_input: bool = False,
    default_output: bool = False,
) -> DeviceInfo:
    """Shorthand for building :class:`FakeDeviceBackend` lists."""
    return DeviceInfo(index, name, hostapi, inputs, outputs, float(rate), default_input, default_output)


_backend: DeviceBackend | None = None


def get_backend() -> DeviceBackend:
    """The installed backend (sounddevice unless :func:`set_backend` replaced it)."""
    return _backend if _backend is not None else SounddeviceBackend()


def set_backend(backend: DeviceBackend | None) -> DeviceBackend | None:
    """Install a backend for the whole process (``None`` restores sounddevice); returns the
    previous one so a test can put it back."""
    global _backend
    previous = _backend
    _backend = backend
    return previous


def list_devices(backend: DeviceBackend | None = None) -> list[DeviceInfo]:
    """Every device (possibly empty)."""
    return (backend or get_backend()).query()


def no_devices_error() -> DeviceError:
    """The error for "PortAudio sees no device at all"."""
    return DeviceError("PortAudio found no audio devices on this machine", hint=NO_DEVICES_HINT)


def _listing(devices: Sequence[DeviceInfo]) -> str:
    return ", ".join(d.label for d in devices) if devices else "none"


def find_device(spec: str | int | None, kind: Kind, *, backend: DeviceBackend | None = None) -> DeviceInfo:
    """The device ``spec`` names (see module docstring) that has ``kind`` channels."""
    if kind not in ("input", "output"):
        raise ValueError(f"kind must be 'input' or 'output', got {kind!r}")
    devices = list_devices(backend)
    if not devices:
        raise no_devices_error()
    usable = [d for d in devices if d.channels(kind) > 0]
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        for d in usable:
            if d.is_default_input if kind == "input" else d.is_default_output:
                return d
        if usable:
            return usable[0]
        raise DeviceError(f"no {kind} device found; devices: {_listing(devices)}")
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for d in devices:
            if d.index == index:
                if d.channels(kind) <= 0:
                    raise DeviceError(
                        f"device {d.label} has no {kind} channels; {kind} devices: {_listing(usable)}"
                    )
                return d
        raise DeviceError(f"no audio device with index {index}; {kind} devices: {_listing(usable)}")
    wanted = spec.strip().casefold()
    exact = [d for d in usable if d.name.casefold() == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [
        d for d in usable if wanted in d.name.casefold() or wanted in f"{d.name}, {d.hostapi}".casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DeviceError(f"unknown {kind} device {spec!r}; {kind} devices: {_listing(usable)}")
    raise DeviceError(
        f"{kind} device name {spec!r} is ambiguous, it matches {_listing(matches)}; "
        "use the index or a longer part of the name"
    )
