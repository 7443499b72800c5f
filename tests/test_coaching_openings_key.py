"""The agent's kept openings cannot be read back with a word list (issue 13 item 11): digests
are keyed with the per-install secret (0600, created on first use, never printed); the old
unkeyed format is discarded; the robotic-opening check still works across calls."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

from voiceassist.coaching.loader import load_coaching
from voiceassist.coaching.robotic import FileOpenings
from voiceassist.paths import shipped_rules_dir
from voiceassist.secret import install_secret

OPENING = "Thank you for calling Harbour Energy, my name is Sam, how can I help you today?"


def _dictionary() -> list[str]:
    """254 likely words: the opening's own words first (the attacker's best case), then words of
    the shipped English coaching pack."""
    words = re.findall(r"[a-z']+", OPENING.lower())
    pack = re.findall(r"[a-z']+", (shipped_rules_dir() / "en" / "coaching.toml").read_text().lower())
    out = list(dict.fromkeys([*words, *pack]))[:254]
    assert len(out) == 254
    return out


def _play_opening(history: FileOpenings) -> int:
    from test_coaching_engine import play

    coach = load_coaching("en", openings=history)
    cues = play(coach, [("agent", OPENING, 500, 4500)], 6000)
    coach.end_call(6000)
    return len(cues)


def test_a_254_word_dictionary_no_longer_reads_the_stored_openings(tmp_path: Path) -> None:
    path = tmp_path / "coaching" / "openings.json"
    history = FileOpenings("sam", path=path)
    assert [_play_opening(history) for _ in range(4)] == [0, 0, 0, 1]  # the feature still works
    stored = {d for o in json.loads(path.read_text())["agents"]["sam"] for d in o}
    attack = {hashlib.blake2b(w.encode(), digest_size=4).hexdigest(): w for w in _dictionary()}
    assert not set(attack) & stored  # before the fix: every opening word was recovered
    # The secret: owner-only, beside the data, not in the openings file.
    key_file = tmp_path / "install.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = install_secret(key_file)
    assert key.hex() not in path.read_text()
    keyed = {hashlib.blake2b(w.encode(), digest_size=4, key=key).hexdigest() for w in _dictionary()}
    assert keyed & stored  # with the key (only the install has it) the words compare


def test_old_unkeyed_openings_are_discarded(tmp_path: Path) -> None:
    path = tmp_path / "coaching" / "openings.json"
    path.parent.mkdir(parents=True)
    words = re.findall(r"[a-z']+", OPENING.lower())
    old = [hashlib.blake2b(w.encode(), digest_size=4).hexdigest() for w in words]
    path.write_text(json.dumps({"version": 1, "agents": {"sam": [old, old, old]}}))
    history = FileOpenings("sam", path=path)
    assert history.recent() == [] and not path.exists()  # readable digests are not kept
    assert _play_opening(history) == 0  # three old openings no longer count
    assert json.loads(path.read_text())["version"] == 2


def test_a_new_secret_invalidates_the_kept_openings(tmp_path: Path) -> None:
    path = tmp_path / "coaching" / "openings.json"
    history = FileOpenings("sam", path=path)
    for _ in range(3):
        _play_opening(history)
    (tmp_path / "install.key").unlink()
    assert FileOpenings("sam", path=path).recent() == []
    (tmp_path / "install.key").write_text("not a key\n")
    assert _play_opening(FileOpenings("sam", path=path)) == 0  # coaching goes on without the key
