"""`voiceassist rules check`: shipped rules pass; broken files give file:line messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voiceassist import cli, paths
from voiceassist.escalation.loader import check_rules, load_rules


def test_shipped_policy_and_english_pack_are_valid() -> None:
    rs = load_rules()
    assert rs.problems_for("en") == []
    assert "en" in rs.packs and len(rs.packs["en"].entries) > 30


def test_all_shipped_rules_pass(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(["rules", "check"])
    out = capsys.readouterr()
    assert rc == 0, out.out


def _deploy(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "site"
    for rel, text in files.items():
        f = d / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return d


BROKEN = """\
[[entry]]
id = "x.one"
category = "abuse"
form = "insult"
patterns = ["fine"]

[[entry]]
id = "x.two"
category = "abuse"
form = "insulting"
colour = "red"
patterns = [
    "ok",
    "a ..9 b",
]

[[entry]]
id = "x.one"
category = "nope"
form = "insult"
patterns = ["dup"]
"""


def test_broken_lexicon_reports_file_and_line(tmp_path: Path) -> None:
    d = _deploy(tmp_path, {"en/lexicon/site.toml": BROKEN})
    problems = [str(p) for p in check_rules([d])]
    f = f"{d}/en/lexicon/site.toml"
    assert any(p.startswith(f"{f}:10: unknown form 'insulting'") for p in problems), problems
    assert f"{f}:11: unknown key 'colour'" in problems
    assert any(p.startswith(f"{f}:14: bad pattern 'a ..9 b'") for p in problems), problems
    assert any(p.startswith(f"{f}:18: duplicate id 'x.one'") for p in problems), problems


def test_cue_texts_checked(tmp_path: Path) -> None:
    d = _deploy(
        tmp_path,
        {"en/cues.toml": '[state_boundary]\nsay = "one two three four five"\n\n[no_such_cue]\nsay = "x"\n'},
    )
    problems = [str(p) for p in check_rules([d])]
    f = f"{d}/en/cues.toml"
    assert f"{f}:2: say of 'state_boundary' has 5 words (1-4 allowed)" in problems
    assert any(p.startswith(f"{f}:4: unknown cue id 'no_such_cue'") for p in problems)


def test_policy_and_toml_errors(tmp_path: Path) -> None:
    d = _deploy(
        tmp_path,
        {
            "policy.toml": (
                '[engine]\npace_ms = "soon"\n\n[categories.abuse]\nladder = ["calm_first", "hug_them"]\n'
            ),
            "en/lang.toml": 'lang = "en"\n[markers\n',
        },
    )
    problems = [str(p) for p in check_rules([d])]
    assert f"{d}/policy.toml:2: pace_ms must be an integer >= 0" in problems
    assert any(p.startswith(f"{d}/policy.toml:5: unknown cue id 'hug_them'") for p in problems)
    assert any(p.startswith(f"{d}/en/lang.toml:2: TOML syntax error") for p in problems)


def test_cli_exit_code_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _deploy(tmp_path, {"en/lexicon/site.toml": BROKEN})
    assert cli.main(["rules", "check", str(d)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out and all(":" in line and line.split(":")[1].isdigit() for line in out)


def test_deployment_folder_overrides_and_extends(tmp_path: Path) -> None:
    d = _deploy(
        tmp_path,
        {
            "en/lexicon/site.toml": (
                '[[entry]]\nid = "abuse.insult.idiot"\nenabled = false\n\n'
                '[[entry]]\nid = "site.gobshite"\ncategory = "abuse"\nform = "insult"\n'
                'patterns = ["gobshite"]\ndirected = "agent"\n'
            ),
            "en/cues.toml": '[use_their_name]\nsay = "Say their name"\n',
        },
    )
    assert check_rules([d]) == []
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.explain import words_for
    from voiceassist.events import Transcript

    e = load_engine("en", rule_dirs=[d])

    def cues(t: str) -> list[str]:
        e.reset()
        return [c.say for c in e.process(Transcript("caller", "final", t, 0, 3000, words_for(t, 0, 3000), 0))]

    assert cues("you gobshite") == ["Say their name"]
    assert cues("you idiot") == []


def test_a_copy_of_the_shipped_rules_checks_alone(tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(paths.shipped_rules_dir(), d)
    problems = check_rules([d], include_shipped=False)
    assert [p for p in problems if p.lang in ("", "en")] == []


def test_a_form_signal_cap_out_of_range_is_reported_at_its_line(tmp_path: Path) -> None:
    d = _deploy(
        tmp_path,
        {"policy.toml": "[categories.threat]\nwindow_ms = 600000\n\n"
         "[categories.threat.forms.legal]\nsignal_cap = 2\n"},
    )
    problems = [str(p) for p in check_rules([d])]
    assert f"{d}/policy.toml:5: signal_cap must be a number > 0 and <= 1" in problems, problems


def test_corroborate_only_must_be_a_boolean(tmp_path: Path) -> None:
    d = _deploy(
        tmp_path,
        {"en/lexicon/extra.toml": '[[entry]]\nid = "x.mention"\ncategory = "racism"\nform = "prejudiced"\n'
         'patterns = ["martians"]\ncorroborate_only = "yes"\n'},
    )
    problems = [str(p) for p in check_rules([d])]
    assert f"{d}/en/lexicon/extra.toml:6: corroborate_only must be true or false" in problems, problems
