"""``voiceassist run`` serves the panel: while it runs, its address is in the owner-only file
``voiceassist panel`` reads and the page answers with the token only; when it ends the file is
gone and ``voiceassist panel`` says none runs. Real command line (Korean vosk model), the audio
device replaced by a silent fake line."""

from __future__ import annotations

import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceassist.audio.block import AudioBlock
from voiceassist.cli import main
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.panel.urlfile import url_file

pytestmark = pytest.mark.vosk


class SilentLine:
    """20 ms blocks of silence until stopped."""

    end_reason = "eof"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stopped = threading.Event()

    def blocks(self) -> Iterator[AudioBlock]:
        start = 0
        while not self.stopped.wait(0.02):
            yield AudioBlock(np.zeros(320, dtype=np.int16), start)
            start += 320

    def stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        self.stopped.set()


def test_run_serves_the_panel_and_voiceassist_panel_finds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICEASSIST_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICEASSIST_SYSTEM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("VOICEASSIST_PANEL_PORT", "0")
    lines: list[SilentLine] = []

    def line(*args: Any, **kwargs: Any) -> SilentLine:
        lines.append(SilentLine())
        return lines[-1]

    monkeypatch.setattr("voiceassist.audio.live.LiveSource", line)
    monkeypatch.setattr("voiceassist.cues.output.SoundDeviceOutput",
                        lambda *a, **k: FakeOutputDevice("fake headset"))
    seen: dict[str, Any] = {}

    def watch() -> None:
        path = url_file()
        for _ in range(600):
            if path.exists() and lines:
                break
            threading.Event().wait(0.1)
        seen["mode"] = stat.S_IMODE(path.stat().st_mode)
        url = path.read_text().strip()
        seen["url"] = url
        seen["page"] = urllib.request.urlopen(url, timeout=5).status
        try:
            urllib.request.urlopen(url.split("?")[0], timeout=5)
        except urllib.error.HTTPError as exc:
            seen["no_token"] = exc.code
        lines[-1].stop()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    code = main(["run", "--lang", "ko", "--agent-channel", "none", "--no-cues", "--no-log", "--no-store"])
    t.join(5)
    assert code == 0
    out = capsys.readouterr().out
    assert seen["mode"] == 0o600 and seen["page"] == 200 and seen["no_token"] == 403
    base, token = seen["url"].split("?token=")
    assert f"panel: {base}" in out and token not in out  # the token never reaches the terminal/journal
    assert not url_file().exists()
    assert main(["panel", "--print"]) == 3
