"""The one TOML reader: every file the product reads reports bad TOML as ``file:line`` problems,
also data nested too deep for ``tomllib`` (it recursed into a RecursionError traceback in
``config check``, expectation files, the coaching policy and lexicon, dialogue scripts)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.coaching.lexicon import _parse_layer
from voiceassist.coaching.policy import load_policy
from voiceassist.escalation.loader import check_rules
from voiceassist.qa.expectations import ExpectationError, parse_expectations
from voiceassist.tomlfile import MAX_NESTING, TomlSyntaxError, parse_toml

ROOT = Path(__file__).resolve().parents[1]
DEEP = "[" * 3000 + "]" * 3000  # tomllib recurses once per level
NESTED = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)


def test_syntax_errors_and_deep_data_give_the_line() -> None:
    with pytest.raises(TomlSyntaxError) as exc:
        parse_toml('a = 1\nb = "x\n')
    assert exc.value.line == 2 and "line" not in exc.value.reason
    for value in (DEEP, NESTED):
        with pytest.raises(TomlSyntaxError, match="nested too deep") as exc:
            parse_toml(f"a = 1\n\nb = {value}\n")
        assert exc.value.line == 3
    assert parse_toml("a = [[1, 2], [3]]") == {"a": [[1, 2], [3]]}


def test_config_check_says_a_deep_file_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text(f"[call]\nlang = {DEEP}\n")
    assert main(["config", "check", str(bad)]) == 1
    out = capsys.readouterr()
    assert f"{bad}:2: invalid TOML: tables or arrays nested too deep" in out.out + out.err
    assert "Traceback" not in out.out + out.err


def test_an_expectation_file_nested_too_deep_is_a_file_line_problem() -> None:
    with pytest.raises(ExpectationError) as exc:
        parse_expectations(f'lang = "en"\nquiet = {DEEP}\n', "call.expect.toml")
    assert exc.value.problems == [
        "call.expect.toml:2: not valid TOML: tables or arrays nested too deep (more than 32 levels)"
    ]


def test_coaching_files_nested_too_deep_are_problems(tmp_path: Path) -> None:
    policy = tmp_path / "coaching_policy.toml"
    policy.write_text(f"[pace]\nx = {DEEP}\n")
    _, problems = load_policy(policy, "coaching_policy.toml")
    assert [(p.line, "nested too deep" in p.message) for p in problems] == [(2, True)]
    found: list = []
    _parse_layer(f"# lexicon\nentries = {DEEP}\n", "en", "coaching.toml", found)
    assert [(p.file, p.line, "nested too deep" in p.message) for p in found] == [("coaching.toml", 2, True)]


def test_rule_files_keep_their_messages(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "cues.toml").write_text('[state_boundary]\nsay = "x\n')
    problems = [p for p in check_rules([tmp_path], include_shipped=True) if p.file.endswith("cues.toml")]
    assert problems and problems[0].line == 2 and problems[0].message.startswith("TOML syntax error: ")
    assert "(at line" not in problems[0].message


def test_a_dialogue_script_nested_too_deep_is_a_file_line_problem() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import callsynth

    with pytest.raises(callsynth.DialogueError) as exc:
        callsynth.parse_dialogue(f'lang = "en"\nscript = {DEEP}\n', "d.toml")
    assert str(exc.value).startswith("d.toml:2: not valid TOML: tables or arrays nested too deep")
