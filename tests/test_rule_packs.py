"""Every language's rule pack (rules/<lang>): real phrasing through the real engine, and the traps.

One parametrised test per kind of case over one data table per language, tests/pack_cases/<lang>.toml
(top-level ``agent_name``, ``turn_gap_ms``, ``turn_ms``: how the caller turns are fed):

- ``positive``: ``{category, turns}``: the turns cue that category (one anger, policy-complaint or
  struggling remark is said twice: they need a pattern, policy ``signal_cap``; the tables say a
  legal threat twice for the same reason);
- ``negative``: turns (negation, reported speech, neutral mentions of groups, swearing at objects,
  words that contain an insult, homonyms) that cue nothing at all;
- ``[[pattern]]``: ``first`` alone cues nothing; ``first`` then ``then`` cues ``category`` (with
  ``cues``: exactly those cues of the category, in order);
- ``[[cues]]``: the turns' cues ``includes`` / are the ``same_set`` as / are ``in_order`` (of
  ``category`` when given) the listed cue ids; ``severity``: every cue has it;
- ``[[name]]``: the caller's name, then an insult: the ``use_their_name`` script starts ``script_starts``;
- ``[[tokens]]``: the pack's normaliser splits ``text`` into ``tokens``;
- ``[scripts]``: every cue of the policy has a 1-4 word whisper and a script (ending in one of
  ``endings`` once ``strip`` is stripped from its end);
and ``rules check --alone`` passes on the language's folder with the policy.
"""

from __future__ import annotations

import shutil
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from voiceassist import cli
from voiceassist.escalation.engine import Engine, load_engine
from voiceassist.escalation.explain import words_for
from voiceassist.escalation.loader import load_rules
from voiceassist.events import Cue, Transcript

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "pack_cases"
LANGS = tuple(sorted(p.stem for p in CASES.glob("*.toml")))
#: Categories whose one remark is ambiguous (policy ``signal_cap``): a one-turn positive is said twice.
SAID_TWICE = ("anger", "policy_complaint", "struggling")


@cache
def table(lang: str) -> dict[str, Any]:
    with (CASES / f"{lang}.toml").open("rb") as f:
        return tomllib.load(f)


@cache
def engine(lang: str) -> Engine:
    name = table(lang).get("agent_name")
    return load_engine(lang, agent_name=name) if name else load_engine(lang)


def run(lang: str, *turns: str) -> list[Cue]:
    """Feed caller turns (``turn_gap_ms`` apart, ``turn_ms`` long, ms of call time) through a fresh
    call in ``lang``; return every cue."""
    t, eng = table(lang), engine(lang)
    gap, length = t["turn_gap_ms"], t["turn_ms"]
    eng.reset()
    out: list[Cue] = []
    for k, text in enumerate(turns):
        start = k * gap
        out += eng.process(Transcript("caller", "final", text, start, start + length,
                                      words_for(text, start, start + length), k))
    return out


def cases(kind: str) -> list[Any]:
    """``pytest.param``s of every table's ``kind`` entries, ids ``lang:first words``."""
    out = []
    for lang in LANGS:
        for case in table(lang).get(kind, []):
            words = case if isinstance(case, list) else (
                case.get("turns") or [case.get("first", case.get("text"))])
            out.append(pytest.param(lang, case, id=f"{lang}:{' / '.join(words)[:40]}"))
    return out


def show(cues: list[Cue]) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(c.category, c.cue, c.matched, c.rule) for c in cues]


@pytest.mark.parametrize(("lang", "case"), cases("positive"))
def test_positive_cues_its_category(lang: str, case: dict[str, Any]) -> None:
    category, turns = case["category"], list(case["turns"])
    if category in SAID_TWICE and len(turns) == 1:
        turns = [*turns, *turns]  # these need a pattern (signal_cap): said twice
    cats = {c.category for c in run(lang, *turns)}
    assert category in cats, f"{turns} gave {sorted(cats) or 'no cue'}"


@pytest.mark.parametrize(("lang", "turns"), cases("negative"))
def test_hard_negative_cues_nothing(lang: str, turns: list[str]) -> None:
    cues = run(lang, *turns)
    assert cues == [], show(cues)


@pytest.mark.parametrize(("lang", "case"), cases("pattern"))
def test_one_remark_is_quiet_and_a_second_cues(lang: str, case: dict[str, Any]) -> None:
    assert run(lang, case["first"]) == []
    cues = run(lang, case["first"], case["then"])
    assert case["category"] in {c.category for c in cues}, show(cues)
    if "cues" in case:
        assert [c.cue for c in cues if c.category == case["category"]] == case["cues"]


@pytest.mark.parametrize(("lang", "case"), cases("cues"))
def test_turns_give_these_cues(lang: str, case: dict[str, Any]) -> None:
    cues = run(lang, *case["turns"])
    ids = [c.cue for c in cues if c.category == case.get("category", c.category)]
    assert ids, show(cues)
    if "includes" in case:
        assert set(case["includes"]) <= set(ids), show(cues)
    if "same_set" in case:
        assert set(ids) == set(case["same_set"]), show(cues)
    if "in_order" in case:
        assert ids == case["in_order"], show(cues)
    if "severity" in case:
        assert all(c.severity == case["severity"] for c in cues), [(c.cue, c.severity) for c in cues]


@pytest.mark.parametrize(("lang", "case"), cases("name"))
def test_the_callers_name_goes_into_the_script(lang: str, case: dict[str, Any]) -> None:
    named = [c for c in run(lang, *case["turns"]) if c.cue == "use_their_name"]
    assert named and named[0].script.startswith(case["script_starts"]), [c.script for c in named]


@pytest.mark.parametrize(("lang", "case"), cases("tokens"))
def test_the_normaliser_splits_words(lang: str, case: dict[str, Any]) -> None:
    assert load_rules(()).packs[lang].normaliser.tokens(case["text"]) == case["tokens"]


@pytest.mark.parametrize("lang", LANGS)
def test_scripts_are_whole_for_every_cue(lang: str) -> None:
    spec = table(lang).get("scripts", {})
    rules = load_rules(())
    assert rules.policy is not None
    pack = rules.packs[lang]
    for cue_id in rules.policy.cues:
        text = pack.cues[cue_id]
        assert 1 <= len(text.say.split()) <= 4 and text.script.strip(), cue_id
        if "endings" in spec:
            assert text.script.rstrip(spec.get("strip", "")).endswith(tuple(spec["endings"])), cue_id


@pytest.mark.parametrize("lang", LANGS)
def test_rules_check_passes_on_the_language_folder(lang: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "rules" / "policy.toml", tmp_path / "policy.toml")
    shutil.copytree(ROOT / "rules" / lang, tmp_path / lang)
    assert cli.main(["rules", "check", "--alone", str(tmp_path)]) == 0, capsys.readouterr()
    assert not load_rules(()).problems_for(lang)


def test_every_shipped_language_has_a_table() -> None:
    from voiceassist.langs import LANGS as SHIPPED

    assert SHIPPED == LANGS
