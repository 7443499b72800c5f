"""Offline provisioning for IT: `models install` from a zip or folder (user or machine-wide),
`models verify` against the install manifest, `models remove`. The model here is a small fake
with the files vosk's layout needs (no real model is copied around)."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.stt.models import resolve_model

NAME = "vosk-model-small-it-0.22"


def fake_model(root: Path, name: str = NAME) -> Path:
    model = root / name
    for rel, data in {
        "am/final.mdl": b"acoustic",
        "conf/model.conf": b"--sample-frequency=16000\n",
        "graph/HCLr.fst": b"graph",
        "README": b"Italian small model\n",
    }.items():
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(data)
    return model


def zipped(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
    return dest


@pytest.fixture()
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    d = {"data": tmp_path / "data", "system": tmp_path / "usr-share-vosk", "src": tmp_path / "share"}
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(d["data"]))
    monkeypatch.setenv("VOICEASSIST_SYSTEM_MODEL_DIR", str(d["system"]))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    d["src"].mkdir()
    return d


def test_install_from_zip_verify_and_remove(dirs: dict[str, Path], capsys) -> None:
    archive = zipped(fake_model(dirs["src"] / "unpacked"), dirs["src"] / f"{NAME}.zip")
    assert main(["models", "install", str(archive)]) == 0
    target = dirs["data"] / "models" / NAME
    assert (target / "am" / "final.mdl").read_bytes() == b"acoustic"
    assert archive.exists(), "the share's zip is never touched"
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert resolve_model("it").path == target
    assert main(["models", "verify", "it"]) == 0
    (target / "graph" / "HCLr.fst").write_bytes(b"damaged")
    assert main(["models", "verify"]) == 1
    assert "damaged or missing, e.g. graph/HCLr.fst" in capsys.readouterr().out
    assert main(["models", "remove", NAME]) == 0
    assert not target.exists()


def test_machine_wide_install_is_readable_by_every_user(dirs: dict[str, Path]) -> None:
    folder = fake_model(dirs["src"])
    assert main(["models", "install", "--system", str(folder)]) == 0
    target = dirs["system"] / NAME
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "am" / "final.mdl").stat().st_mode) == 0o644
    assert resolve_model("it").path == target


def test_refusals_have_clear_messages_and_leave_nothing_behind(dirs: dict[str, Path], capsys) -> None:
    folder = fake_model(dirs["src"])
    assert main(["models", "install", str(dirs["src"] / "nope.zip")]) == 3
    not_zip = dirs["src"] / "model.zip"
    not_zip.write_text("hello")
    assert main(["models", "install", str(not_zip)]) == 6
    assert "is not a zip archive" in capsys.readouterr().err
    assert main(["models", "install", "--lang", "pl", str(folder)]) == 6
    assert "not for --lang pl" in capsys.readouterr().err
    (folder / "am" / "final.mdl").unlink()
    assert main(["models", "install", str(folder)]) == 6
    assert "missing am/final.mdl" in capsys.readouterr().err
    models = dirs["data"] / "models"
    assert not models.exists() or not [p for p in models.iterdir()], "no half-installed model"


def test_reinstall_needs_force(dirs: dict[str, Path], capsys) -> None:
    folder = fake_model(dirs["src"])
    assert main(["models", "install", str(folder)]) == 0
    assert main(["models", "install", str(folder)]) == 6
    assert "already installed" in capsys.readouterr().err
    (folder / "README").write_text("Italian small model, newer\n")
    assert main(["models", "install", "--force", str(folder)]) == 0
    installed = dirs["data"] / "models" / NAME / "README"
    assert installed.read_text().endswith("newer\n")
    shutil.rmtree(folder)
