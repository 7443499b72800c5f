"""The coaching dialogues of the eval corpus (``corpus/<lang>/coaching_*.toml``), rendered with
espeak-ng by scripts/callsynth.py and run through the real pipeline (webrtcvad on both channels,
reference transcripts, the caller-side engine where its rules load): every expected coaching cue
fires inside its window and benign calls get none (matched with the eval harness's matcher)."""

from __future__ import annotations

from pathlib import Path

import pytest
from coaching_calls import ROOT, render, run_coached, to_pcm16

from voiceassist.coaching.loader import load_coaching
from voiceassist.errors import ConfigError
from voiceassist.qa.evaluate import match_call
from voiceassist.stt.reference import parse_vtt

DIALOGUES = sorted((ROOT / "corpus").glob("*/coaching_*.toml"))


def test_every_language_has_coaching_dialogues() -> None:
    langs = {p.parent.name for p in DIALOGUES}
    assert {"en", "it", "pl", "es", "ko"} <= langs
    assert any("benign = true" in p.read_text(encoding="utf-8") for p in DIALOGUES)


@pytest.fixture(scope="module")
def tts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts")


@pytest.mark.parametrize("path", DIALOGUES, ids=[f"{p.parent.name}/{p.stem}" for p in DIALOGUES])
def test_coaching_dialogue(path: Path, tts_cache: Path) -> None:
    call = render(path, tts_cache)
    lang = call.dialogue.lang
    try:
        from voiceassist.escalation.engine import load_engine

        caller_engine = load_engine(lang)
    except ConfigError:
        caller_engine = None  # that language's caller-side rules are still being written
    result = run_coached(
        to_pcm16(call.audio[:, 0]),
        to_pcm16(call.audio[:, 1]),
        load_coaching(lang),
        utterances=parse_vtt(call.vtt),
        cue_engine=caller_engine,
    )
    match = match_call(result.coaching, call.expectations, result.duration_ms)
    failed = [c for c in match.checks if not c.passed]
    assert not failed, (
        [(c.name, c.message) for c in failed],
        [(c.cue, c.at_ms, c.why) for c in result.coaching],
    )
    if call.expectations.expected:
        assert result.coaching, "a sin dialogue must be coached"
    else:
        assert result.coaching == [] and result.summary.clean
