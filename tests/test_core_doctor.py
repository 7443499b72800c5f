"""`voiceassist doctor`: each broken set-up is reported with its fix and the right exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from voiceassist.audio import devices
from voiceassist.cli import main
from voiceassist.cues import tts
from voiceassist.cues.voices import VoiceInfo


@pytest.fixture()
def workstation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workstation that can run a Korean call: a headset, the ko model package, writable dirs."""
    for var in ("VOSK_MODEL_PATH", "VOICEASSIST_STORE_URL", "VOICEASSIST_CALL_LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICEASSIST_SYSTEM_CONFIG", str(tmp_path / "none.toml"))
    previous = devices.set_backend(
        devices.FakeDeviceBackend(
            [
                devices.fake_device(0, "Jabra Evolve2 40", default_input=True, default_output=True),
                devices.fake_device(1, "Built-in Audio", inputs=2, outputs=2),
            ]
        )
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[call]\nlang = "ko"\n[audio]\ncaller_device = "jabra"\nheadset = "Jabra"\n'
        "[cues]\ncoaching = false\n",
        encoding="utf-8",
    )
    yield cfg
    devices.set_backend(previous)


def _report(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    data = json.loads(capsys.readouterr().out)
    return {c["name"]: c for c in data["checks"]}


def test_ready_workstation_passes_and_reports_model_load(workstation: Path, capsys) -> None:
    rc = main(["doctor", "--json", "--config", str(workstation)])
    checks = _report(capsys)
    assert rc == 0, [c for c in checks.values() if c["status"] == "fail"]
    assert "loads in" in checks["model ko"]["detail"] and "MB peak" in checks["model ko"]["detail"]
    assert checks["headset"]["detail"] == "[0] Jabra Evolve2 40 (ALSA)"
    assert checks["voice ko"]["status"] == "ok"


def test_missing_model(workstation: Path, capsys) -> None:
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation), "--lang", "it"])
    check = _report(capsys)["model it"]
    assert rc == 1
    assert check["status"] == "fail" and check["code"] == "model-missing"
    assert "voiceassist models download it" in check["fix"]


def test_unknown_device(workstation: Path, capsys) -> None:
    workstation.write_text(workstation.read_text().replace('headset = "Jabra"', 'headset = "Plantronics"'))
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)["headset"]
    assert rc == 1
    assert check["code"] == "device-unknown" and "Plantronics" in check["detail"]
    assert "audio.headset" in check["fix"]


def test_missing_voice_falls_back_with_a_warning(workstation: Path, capsys, monkeypatch) -> None:
    english = [VoiceInfo("gmw/en-us", "English (America)", ("en-us",))]
    monkeypatch.setattr(tts.TtsRenderer, "voices", lambda self: english)
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)["voice ko"]
    assert rc == 0, "an English fallback voice still lets the call run"
    assert check["status"] == "warn" and check["code"] == "voice-missing"
    monkeypatch.setattr(tts.TtsRenderer, "voices", lambda self: [])
    assert main(["doctor", "--json", "--no-load", "--config", str(workstation)]) == 1
    assert _report(capsys)["voice ko"]["status"] == "fail"


@pytest.mark.parametrize(
    ("setting", "check_name", "code"),
    [('dir = "{blocker}/calls"', "call log", "logdir-unwritable"),
     # run refuses to start when log.file cannot be written, so doctor must fail on it too
     ('file = "{blocker}/va.log"', "log file", "logfile-unwritable")],
)
def test_unwritable_log_dir_and_log_file(workstation: Path, tmp_path: Path, capsys, setting: str,
                                         check_name: str, code: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    workstation.write_text(workstation.read_text() + "[log]\n" + setting.format(blocker=blocker) + "\n")
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)[check_name]
    assert rc == 1 and check["status"] == "fail" and check["code"] == code
    assert "not writable" in check["detail"] or "log.file" in check["fix"]


def test_log_dir_readable_by_others_is_a_failure(workstation: Path, tmp_path: Path, capsys) -> None:
    shared = tmp_path / "shared-logs"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    workstation.write_text(workstation.read_text() + f'[log]\ndir = "{shared}"\n')
    assert main(["doctor", "--json", "--no-load", "--config", str(workstation)]) == 1
    check = _report(capsys)["call log"]
    assert "readable by others" in check["detail"] and check["fix"] == f"chmod 700 {shared}"


def test_unreachable_database(workstation: Path, capsys) -> None:
    workstation.write_text(workstation.read_text() + '[store]\nurl = "postgresql://va@127.0.0.1:9/nope"\n')
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)["store"]
    assert rc == 1 and check["code"] == "store-unreachable"


def test_human_report_names_the_fix(workstation: Path, capsys) -> None:
    rc = main(["doctor", "--no-load", "--config", str(workstation), "--lang", "pl"])
    out = capsys.readouterr()
    assert rc == 1
    assert "[FAIL] model pl" in out.out and "fix: run `voiceassist models download pl`" in out.out
    assert "cannot run a call yet" in out.err


def test_cue_cache_state_is_reported_and_rendering_fixes_it(
    workstation: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("VOICEASSIST_CACHE_DIR", str(tmp_path / "cache"))
    workstation.write_text(workstation.read_text().replace('lang = "ko"', 'lang = "it"'))
    main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)["cue cache"]
    assert check["status"] == "warn" and check["fix"] == "voiceassist cues render --lang it"
    assert main(["cues", "render", "--lang", "it"]) == 0
    capsys.readouterr()
    main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    check = _report(capsys)["cue cache"]
    assert check["status"] == "ok"
    assert re.match(r"(\d+) of \1 it cue phrases rendered", check["detail"]), check["detail"]


def test_agent_reading_cues_in_another_language_needs_no_second_model(workstation: Path, capsys) -> None:
    """A Korean call with cues in English and coaching on: the agent speaks Korean to the caller,
    so the Korean model serves both channels and no English model is asked for; a mistyped
    stt.agent_model is a warning on its own line."""
    text = workstation.read_text(encoding="utf-8").replace("coaching = false", "coaching = true")
    workstation.write_text(text.replace('lang = "ko"', 'lang = "ko"\nagent_lang = "en"'), encoding="utf-8")
    rc = main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    checks = _report(capsys)
    assert "model en" not in checks and checks["model ko"]["status"] == "ok"
    assert rc == 0, [c for c in checks.values() if c["status"] == "fail"]
    workstation.write_text(workstation.read_text(encoding="utf-8") + '[stt]\nagent_model = "/nowhere"\n',
                           encoding="utf-8")
    main(["doctor", "--json", "--no-load", "--config", str(workstation)])
    assert _report(capsys)["model ko (agent channel)"]["status"] == "warn"


@pytest.mark.parametrize("broken", ["[call\nlang = 'ko'\n", '[store]\nurl = "mysql://x"\n',
                                    "[nope]\na = 1\n"])
def test_a_broken_config_is_a_failed_check_in_valid_json(workstation: Path, tmp_path: Path, capsys,
                                                         broken: str) -> None:
    """Before (issue 13 item 15), doctor --json printed an error line and no JSON at all."""
    user = tmp_path / "config" / "config.toml"
    user.parent.mkdir(exist_ok=True)
    user.write_text(broken, encoding="utf-8")
    rc = main(["doctor", "--json", "--no-load"])
    data = json.loads(capsys.readouterr().out)  # valid JSON, the whole report
    checks = {c["name"]: c for c in data["checks"]}
    assert rc == 1 and data["ok"] is False
    assert checks["config"]["status"] == "fail" and checks["config"]["code"] == "config-invalid"
    detail = checks["config"]["detail"]
    assert str(user) in detail and "the other checks ran without it" in detail
    assert "python" in checks and "store" in checks  # the rest of the report is there
    # --config names a broken file: the same
    rc = main(["doctor", "--json", "--no-load", "--config", str(user)])
    assert rc == 1 and json.loads(capsys.readouterr().out)["checks"][0]["name"] == "config"
