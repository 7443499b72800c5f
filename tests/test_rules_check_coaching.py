"""`voiceassist rules check` validates the agent-side coaching files too."""

from __future__ import annotations

from pathlib import Path

from voiceassist.cli import main


def test_broken_coaching_file_in_a_deployment_folder_is_reported(tmp_path: Path, capsys) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "coaching.toml").write_text(
        '[[entry]]\nid = "jargon.x"\nkind = "jargon"\npatterns = ["escalation matrix"]\nbogus = 1\n',
        encoding="utf-8",
    )
    assert main(["rules", "check", str(tmp_path)]) == 1
    assert f"{tmp_path / 'en' / 'coaching.toml'}:5: unknown key 'bogus'" in capsys.readouterr().out


def test_shipped_rules_and_coaching_pass() -> None:
    assert main(["rules", "check"]) == 0
