"""Configuration precedence, value by value, and file:line validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.errors import ConfigError
from voiceassist.settings import SCHEMA, check_config_file, load_settings, schema_markdown


@pytest.fixture()
def config_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    system = tmp_path / "etc" / "config.toml"
    user_dir = tmp_path / "user"
    system.parent.mkdir()
    user_dir.mkdir()
    monkeypatch.setenv("VOICEASSIST_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(user_dir))
    for var in [v for v in os.environ if v.startswith("VOICEASSIST_") and "_DIR" not in v]:
        if var != "VOICEASSIST_SYSTEM_CONFIG":
            monkeypatch.delenv(var)
    return system, user_dir / "config.toml"


# Each row: key, system file value, user file value, env value, flag value, expected, origin prefix.
PRECEDENCE = [
    ("vad.aggressiveness", None, None, None, None, 2, "default"),
    ("vad.aggressiveness", 1, None, None, None, 1, "system"),
    ("vad.aggressiveness", 1, 0, None, None, 0, "user"),
    ("vad.aggressiveness", 1, 0, "3", None, 3, "env"),
    ("vad.aggressiveness", 1, 0, "3", 2, 2, "flag"),
    ("cues.gain_dbfs", -30.0, None, None, None, -30.0, "system"),
    ("cues.gain_dbfs", None, -26, None, None, -26.0, "user"),
    ("cues.gain_dbfs", -30.0, None, "-18.5", None, -18.5, "env"),
    ("log.redact", True, False, None, None, False, "user"),
    ("log.redact", None, None, "yes", None, True, "env"),
    ("call.lang", "pl", None, None, "ko", "ko", "flag"),
    ("rules.extra_dirs", ["/srv/rules"], None, None, None, ("/srv/rules",), "system"),
    ("rules.extra_dirs", None, None, "/a,/b", None, ("/a", "/b"), "env"),
]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return str(value)


def _write(path: Path, key: str, value: object) -> None:
    section, name = key.split(".")
    path.write_text(f"[{section}]\n{name} = {_toml_value(value)}\n", encoding="utf-8")


@pytest.mark.parametrize("key, system, user, env, flag, expected, origin", PRECEDENCE)
def test_precedence(config_env, key, system, user, env, flag, expected, origin) -> None:
    system_file, user_file = config_env
    if system is not None:
        _write(system_file, key, system)
    if user is not None:
        _write(user_file, key, user)
    envmap = {} if env is None else {"VOICEASSIST_" + key.replace(".", "_").upper(): env}
    settings = load_settings(flags={key: flag}, env=envmap)
    assert settings[key] == expected
    assert settings.origin(key).startswith(origin)


def test_config_flag_replaces_user_file(config_env, tmp_path: Path) -> None:
    _, user_file = config_env
    _write(user_file, "cues.mute_minutes", 9)
    other = tmp_path / "other.toml"
    _write(other, "cues.mute_minutes", 12)
    settings = load_settings(config_file=other, env={})
    assert settings["cues.mute_minutes"] == 12
    assert str(other) in settings.origin("cues.mute_minutes")


def test_check_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[vad]\nframe_ms = 25\n\n[cues]\ngain_dbfs = "loud"\ncolour = 1\n[space]\n', encoding="utf-8"
    )
    problems = check_config_file(bad)
    assert problems == [
        f"{bad}:2: vad.frame_ms must be one of 10, 20, 30, not 25",
        f"{bad}:5: cues.gain_dbfs must be float, not 'loud'",
        f"{bad}:6: unknown key cues.colour",
        f"{bad}:7: unknown section [space] "
        "(known: alerts, audio, call, cues, escalation, log, panel, rules, run, store, stt, vad, wellbeing)",
    ]


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[vad]\naggressiveness = = 2\n", encoding="utf-8")
    assert check_config_file(bad)[0].startswith(f"{bad}:2: invalid TOML")
    with pytest.raises(ConfigError, match=":2: invalid TOML"):
        load_settings(config_file=bad, env={})


def test_bad_environment_value_is_a_config_error(config_env) -> None:
    with pytest.raises(ConfigError, match="VOICEASSIST_VAD_FRAME_MS"):
        load_settings(env={"VOICEASSIST_VAD_FRAME_MS": "fast"})


def test_config_check_command_exit_codes(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[call]\nlang = "it"\nagent_lang = "it"\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[call]\nlang = 'fr'\n", encoding="utf-8")
    assert main(["config", "check", str(good)]) == 0
    assert main(["config", "check", str(good), str(bad)]) == 1
    assert f"{bad}:2: call.lang must be one of" in capsys.readouterr().out


def test_config_show_names_origins(config_env, capsys, monkeypatch) -> None:
    system_file, _ = config_env
    _write(system_file, "audio.headset", "Jabra")
    monkeypatch.setenv("VOICEASSIST_CUES_EARCON", "false")
    assert main(["config", "show"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert '"Jabra"' in lines["audio.headset"] and f"system ({system_file})" in lines["audio.headset"]
    assert "env (VOICEASSIST_CUES_EARCON)" in lines["cues.earcon"]
    assert lines["vad.frame_ms"].rstrip().endswith("default")


def test_docs_config_reference_is_current() -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "config.md"
    assert doc.read_text(encoding="utf-8").strip() == schema_markdown().strip(), (
        "docs/config.md is stale: run `voiceassist config schema > docs/config.md`"
    )
    for key in SCHEMA:
        assert f"`{key.split('.', 1)[1]}`" in doc.read_text(encoding="utf-8")


def test_check_a_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path: Path, capsys) -> None:
    """A config saved as UTF-16 (e.g. by a Windows editor) is reported, never a traceback."""
    bad = tmp_path / "utf16.toml"
    bad.write_bytes('[call]\nlang = "it"\n'.encode("utf-16"))
    (problem,) = check_config_file(bad)
    assert problem.startswith(f"{bad}:0: cannot read config file") and "UTF-8" in problem
    assert main(["config", "check", str(bad)]) == 1
    assert "UTF-8" in capsys.readouterr().out


def test_a_key_where_a_section_belongs_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "flat.toml"
    bad.write_text('# IT settings\n\ncall = "it"\n', encoding="utf-8")
    assert check_config_file(bad) == [f"{bad}:3: call must be a [call] table, not a value"]


@pytest.mark.parametrize("value", ["nan", "-nan", "+nan"])
def test_not_a_number_is_rejected(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "nan.toml"
    bad.write_text(f"[cues]\ngain_dbfs = {value}\n", encoding="utf-8")
    assert check_config_file(bad) == [f"{bad}:2: cues.gain_dbfs must be a number, not nan"]
    with pytest.raises(ConfigError, match="must be a number"):
        load_settings(env={"VOICEASSIST_CUES_GAIN_DBFS": "nan"}, use_system=False, use_user=False)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--new-call-after", "-5"],
        ["doctor", "--lang", "de"],
    ],
)
def test_a_bad_flag_value_is_a_usage_error_naming_it(config_env, argv, capsys) -> None:
    """Issue 13 item 15: bad command-line values exit 2 (usage), not 9 (config)."""
    from voiceassist.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "flag for" in err and len(err.strip().splitlines()) <= 2


def test_config_check_rejects_an_unsupported_store_scheme_with_file_and_line(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[call]\nlang = "it"\n\n[store]\nurl = "mysql://admin:s3cret@db/calls"\n',
                   encoding="utf-8")
    assert main(["config", "check", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert f"{cfg}:5: store.url must start with sqlite:// or postgresql:// or postgres://" in out
    assert "s3cret" not in out
    cfg.write_text('[store]\nurl = "postgresql://u@h/db"\n', encoding="utf-8")
    assert main(["config", "check", str(cfg)]) == 0


def test_config_check_warns_on_a_misspelt_environment_variable(config_env, tmp_path: Path, capsys,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEASSIST_STORE_ULR", "sqlite:///tmp/x.db")
    monkeypatch.setenv("VOICEASSIST_CUES_GAIN_DBFS", "-20")  # a real setting: no warning
    cfg = tmp_path / "ok.toml"
    cfg.write_text('[call]\nlang = "it"\n', encoding="utf-8")
    assert main(["config", "check", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert ("warning: environment VOICEASSIST_STORE_ULR: not a voiceassist setting, ignored; "
            "did you mean VOICEASSIST_STORE_URL?") in out
    assert "GAIN_DBFS" not in out


def test_config_check_and_load_of_a_fifo_say_so_instead_of_hanging(config_env, tmp_path: Path,
                                                                   capsys) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    assert main(["config", "check", str(fifo)]) == 1  # before: blocked for ever in read_text
    assert f"{fifo}:0: cannot read config file: it is a FIFO, not a regular file" in capsys.readouterr().out
    assert main(["config", "show", "--config", str(fifo)]) == 9
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == (f"voiceassist: error: {fifo}:0: cannot read config file: "
                      "it is a FIFO, not a regular file")


def test_config_check_without_files_checks_the_user_file(config_env, capsys) -> None:
    _, user = config_env
    user.write_text('[store]\nurl = "mysql://x"\n', encoding="utf-8")
    assert main(["config", "check"]) == 1
    assert f"{user}:2: store.url must start with" in capsys.readouterr().out
