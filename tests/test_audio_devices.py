"""Choosing devices by index or name, and the `voiceassist devices` command (fake device list and
the real PortAudio of this machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from voiceassist.audio import devices as dev
from voiceassist.audio.devices import FakeDeviceBackend, fake_device, find_device
from voiceassist.cli import main
from voiceassist.errors import DeviceError, ExitCode

DEVICES = [
    fake_device(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", inputs=2, outputs=2, rate=44100),
    fake_device(1, "HDMI 0 (hw:0,3)", inputs=0, outputs=8),
    fake_device(2, "Jabra EVOLVE 30 II: USB Audio (hw:1,0)", inputs=1, outputs=2, rate=16000),
    fake_device(3, "Jabra EVOLVE 30 II Mono", inputs=1, outputs=0, rate=16000),
    fake_device(4, "pulse", inputs=32, outputs=32, hostapi="PulseAudio"),
    fake_device(5, "default", inputs=32, outputs=32, default_input=True, default_output=True),
]


@pytest.fixture
def fake() -> FakeDeviceBackend:
    return FakeDeviceBackend(DEVICES)


@pytest.fixture
def installed(fake: FakeDeviceBackend) -> Iterator[FakeDeviceBackend]:
    previous = dev.set_backend(fake)
    yield fake
    dev.set_backend(previous)


def test_by_index_int_and_string(fake: FakeDeviceBackend) -> None:
    assert find_device(2, "input", backend=fake).name.startswith("Jabra")
    assert find_device("4", "output", backend=fake).name == "pulse"


def test_by_case_insensitive_name_substring(fake: FakeDeviceBackend) -> None:
    assert find_device("hda intel", "input", backend=fake).index == 0
    assert find_device("HDMI", "output", backend=fake).index == 1
    assert find_device("usb audio", "input", backend=fake).index == 2
    assert find_device("pulse, pulseaudio", "input", backend=fake).index == 4


def test_kind_filters_candidates(fake: FakeDeviceBackend) -> None:
    # "jabra" names two inputs but only one output
    assert find_device("jabra", "output", backend=fake).index == 2


def test_exact_name_wins_over_substring(fake: FakeDeviceBackend) -> None:
    assert find_device("Jabra EVOLVE 30 II Mono", "input", backend=fake).index == 3


def test_default_device_when_no_spec(fake: FakeDeviceBackend) -> None:
    assert find_device(None, "input", backend=fake).index == 5
    assert find_device("", "output", backend=fake).index == 5


def test_ambiguous_name_lists_candidates(fake: FakeDeviceBackend) -> None:
    with pytest.raises(DeviceError, match=r"ambiguous") as err:
        find_device("jabra", "input", backend=fake)
    assert "[2] Jabra EVOLVE 30 II: USB Audio (hw:1,0)" in err.value.message
    assert "[3] Jabra EVOLVE 30 II Mono" in err.value.message
    assert err.value.code == ExitCode.DEVICE


def test_unknown_name_lists_the_input_devices(fake: FakeDeviceBackend) -> None:
    with pytest.raises(DeviceError, match=r"unknown input device 'logitech'") as err:
        find_device("logitech", "input", backend=fake)
    assert "[0] HDA Intel" in err.value.message
    assert "HDMI" not in err.value.message  # not an input


def test_index_without_that_kind_or_missing(fake: FakeDeviceBackend) -> None:
    with pytest.raises(DeviceError, match=r"HDMI 0 .* has no input channels"):
        find_device(1, "input", backend=fake)
    with pytest.raises(DeviceError, match=r"no audio device with index 42"):
        find_device(42, "input", backend=fake)


def test_no_devices_at_all() -> None:
    with pytest.raises(DeviceError, match=r"PortAudio found no audio devices"):
        find_device("usb", "input", backend=FakeDeviceBackend([]))


def test_devices_command_lists_like_sounddevice(
    installed: FakeDeviceBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  0 HDA Intel PCH: ALC3246 Analog (hw:0,0), ALSA (2 in, 2 out, 44100 Hz)"
    assert out[2] == "  2 Jabra EVOLVE 30 II: USB Audio (hw:1,0), ALSA (1 in, 2 out, 16000 Hz)"
    assert out[5] == "* 5 default, ALSA (32 in, 32 out, 48000 Hz)"
    assert len(out) == len(DEVICES) + 1  # plus the legend


def test_devices_command_json(installed: FakeDeviceBackend, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["index"] for d in data] == [0, 1, 2, 3, 4, 5]
    assert data[2]["name"].startswith("Jabra") and data[2]["max_input_channels"] == 1
    assert data[5]["default_input"] is True and data[0]["default_input"] is False


def test_devices_command_with_no_devices(capsys: pytest.CaptureFixture[str]) -> None:
    previous = dev.set_backend(FakeDeviceBackend([]))
    try:
        assert main(["devices"]) == ExitCode.DEVICE == 7
    finally:
        dev.set_backend(previous)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "voiceassist: error: PortAudio found no audio devices" in captured.err
    assert "Traceback" not in captured.err


def test_devices_command_on_this_machines_real_portaudio(capsys: pytest.CaptureFixture[str]) -> None:
    """Real sounddevice/PortAudio: this machine has no sound card, so exit 7 and a clear message;
    on a machine with devices, the same listing as sounddevice gives."""
    import sounddevice as sd

    real = list(sd.query_devices())
    code = main(["devices"])
    captured = capsys.readouterr()
    if not real:
        assert code == ExitCode.DEVICE
        assert "PortAudio found no audio devices" in captured.err
        assert "hint:" in captured.err
    else:
        assert code == 0
        assert all(d["name"] in captured.out for d in real)
