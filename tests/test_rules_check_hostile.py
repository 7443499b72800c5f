"""Issue 13 item 13: wrong value types and deep nesting in rule files are ``file:line``
problems, never a crash (``rules check``, ``detect --rules``, ``rules.extra_dirs``)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from voiceassist import cli
from voiceassist.escalation.loader import check_rules

ENTRY = {
    "id": '"abuse.hostile"', "category": '"abuse"', "form": '"insult"', "patterns": '["zzyzx"]',
    "weight": "1.0", "directed": '"agent"', "guards": "[]", "exclude": "[]", "masked": "[]",
    "enabled": "true", "note": '"n"',
}  # fmt: skip


def _entry(key: str, value: str) -> str:
    fields = dict(ENTRY)
    fields[key] = value
    return "[[entry]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items())


def _site(tmp_path: Path, rel: str, text: str) -> Path:
    f = tmp_path / "site" / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text, encoding="utf-8")
    return tmp_path / "site"


@pytest.mark.parametrize("value", ["[]", "{a = [[1]]}", "true"])
@pytest.mark.parametrize("key", sorted(ENTRY))
def test_wrong_type_in_an_entry_is_a_problem(tmp_path: Path, key: str, value: str) -> None:
    site = _site(tmp_path, "en/lexicon/hostile.toml", _entry(key, value))
    problems = check_rules([site])  # raised TypeError for `form = []` before
    mine = [p for p in problems if p.file.endswith("hostile.toml")]
    if ENTRY[key] != value and key not in ("note",):
        assert mine, f"{key} = {value} accepted"
    assert all(p.line >= 1 for p in mine)


def _deep(n: int) -> str:
    return "{a = " * n + "1" + "}" * n


@pytest.mark.parametrize("rel", ["en/lexicon/deep.toml", "en/cues.toml", "en/lang.toml", "policy.toml"])
def test_deeply_nested_inline_tables_are_a_problem(tmp_path: Path, rel: str) -> None:
    text = '# a comment\nnote = "x"\ndeep = ' + _deep(2000) + "\n"
    site = _site(tmp_path, rel, text)
    problems = check_rules([site])  # RecursionError before
    mine = [p for p in problems if p.file.endswith(Path(rel).name) and "nested" in p.message]
    assert mine and mine[0].line == 3, problems


def test_moderately_deep_tables_are_a_problem_too(tmp_path: Path) -> None:
    # parses, but deeper than any rule file needs: reported, not walked recursively
    site = _site(tmp_path, "en/lexicon/deep.toml", _entry("note", _deep(60)))
    problems = check_rules([site])
    assert any("nested" in p.message and p.line == 12 for p in problems), problems


def test_rules_check_cli_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(tmp_path, "en/lexicon/hostile.toml", _entry("form", "[]"))
    rc = cli.main(["rules", "check", str(site)])
    out = capsys.readouterr()
    assert rc == 1
    assert "hostile.toml:4:" in out.out + out.err
    assert "Traceback" not in out.out + out.err


def test_detect_with_hostile_rules_exits_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voiceassist.commands.detect import process_stream

    site = _site(tmp_path, "en/lexicon/deep.toml", "deep = " + _deep(2000) + "\n")
    args = argparse.Namespace(lang="en", agent_lang=None, rule_dirs=[site])
    from voiceassist.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        process_stream(args, io.StringIO("hello\n"), io.StringIO(), io.StringIO())
    assert "deep.toml:1" in str(exc.value) + str(getattr(exc.value, "hint", ""))
