"""The one language list is the rule folder: a language is a folder of rules/ holding a pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceassist import cli
from voiceassist.langs import LANGS, pack_langs
from voiceassist.paths import shipped_rules_dir
from voiceassist.settings import SCHEMA


def test_the_shipped_languages_are_the_rule_folders_with_a_pack() -> None:
    folders = sorted(d.name for d in shipped_rules_dir().iterdir() if (d / "cues.toml").is_file())
    assert tuple(folders) == LANGS
    assert set(LANGS) >= {"it", "pl", "es", "en", "ko"}


def test_a_folder_without_a_pack_or_with_another_name_is_no_language(tmp_path: Path) -> None:
    for name in ("fr", "de", "lexicon", "x1"):
        (tmp_path / name).mkdir()
    for name in ("fr", "lexicon", "x1"):
        (tmp_path / name / "cues.toml").write_text("")
    (tmp_path / "policy.toml").write_text("")
    assert pack_langs(tmp_path) == ("fr",)
    assert pack_langs(tmp_path / "missing") == ()


def test_settings_and_commands_offer_the_same_languages(capsys: pytest.CaptureFixture[str]) -> None:
    by_key = SCHEMA
    assert by_key["call.lang"].choices == LANGS
    assert by_key["call.agent_lang"].choices == ("", *LANGS)
    with pytest.raises(SystemExit) as exc:
        cli.main(["replay", "x.wav", "--lang", "fr"])
    assert exc.value.code == 2
    assert ", ".join(f"'{lang}'" for lang in LANGS) in capsys.readouterr().err


def test_cues_are_in_the_agents_language_else_the_callers() -> None:
    from voiceassist.escalation.engine import load_engine
    from voiceassist.langs import cue_lang

    assert cue_lang("it", "") == "it" and cue_lang("it", None) == "it" and cue_lang("it", "en") == "en"
    assert load_engine("it").agent_lang == "it"
    assert load_engine("it", agent_lang="en").agent_lang == "en"
