"""One rule-layer resolver for the rule packs, coaching and cue texts: shipped rules first, then
``rules.extra_dirs``, then ``--rules``; a folder given twice (or the shipped one again) is one layer."""

from __future__ import annotations

from pathlib import Path

from voiceassist.coaching.loader import check_coaching
from voiceassist.cues.texts import cue_files, load_say_texts
from voiceassist.escalation.loader import load_rules
from voiceassist.paths import shipped_rules_dir
from voiceassist.rule_layers import extra_rule_dirs, layer_files, layer_langs, rule_layers


def deploy(tmp_path: Path, name: str, say: str) -> Path:
    d = tmp_path / name
    (d / "en").mkdir(parents=True)
    (d / "en" / "cues.toml").write_text(f'[state_boundary]\nsay = "{say}"\n')
    return d


def test_layers_in_override_order_without_repeats(tmp_path: Path) -> None:
    a, b = deploy(tmp_path, "a", "Hold the line"), deploy(tmp_path, "b", "Stay calm now")
    layers = rule_layers([a, shipped_rules_dir(), b, Path(f"{a}/")])
    assert layers == [(shipped_rules_dir(), "rules"), (a, str(a)), (b, str(b))]
    assert rule_layers([a], include_shipped=False) == [(a, str(a))]
    assert layer_files(layers, "en/cues.toml")[1:] == [(a / "en/cues.toml", f"{a}/en/cues.toml"),
                                                       (b / "en/cues.toml", f"{b}/en/cues.toml")]


def test_settings_folders_come_before_the_command_lines(tmp_path: Path) -> None:
    assert extra_rule_dirs({"rules.extra_dirs": ["/srv/site"]}, [tmp_path]) == (Path("/srv/site"), tmp_path)
    assert extra_rule_dirs({}) == ()


def test_every_loader_layers_the_same_way(tmp_path: Path) -> None:
    a, b = deploy(tmp_path, "a", "Hold the line"), deploy(tmp_path, "b", "Stay calm now")
    # The last folder wins, in the pack and in the whispered texts alike.
    assert load_rules([a, b]).packs["en"].cues["state_boundary"].say == "Stay calm now"
    assert load_say_texts("en", [a, b])["state_boundary"] == "Stay calm now"
    assert load_say_texts("en", [b, a])["state_boundary"] == "Hold the line"
    # The shipped folder passed again is not read twice.
    assert cue_files("en", [shipped_rules_dir()]) == [shipped_rules_dir() / "en" / "cues.toml"]
    assert check_coaching([shipped_rules_dir()]) == check_coaching()


def test_language_folders_of_the_layers(tmp_path: Path) -> None:
    a = deploy(tmp_path, "a", "x")
    (a / "fr").mkdir()
    (a / "fr" / "coaching.toml").write_text("")
    (a / "notes").mkdir()
    langs = layer_langs(rule_layers([a]))
    assert langs[-1] == "fr" and "notes" not in langs and set(langs) >= {"en", "es", "it", "ko", "pl"}
    assert layer_langs(rule_layers([a], include_shipped=False), "coaching.toml") == ["fr"]
