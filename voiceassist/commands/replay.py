"""``voiceassist replay CALL.wav [...]``: run recorded calls through the live pipeline."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voiceassist.errors import UsageError
from voiceassist.langs import LANGS
from voiceassist.pipeline import CueEngine
from voiceassist.rule_layers import extra_rule_dirs
from voiceassist.session.replay import ReplayOptions, run_replay
from voiceassist.settings import load_settings
from voiceassist.vad.config import VadConfig


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="transcribe recorded calls as if live (WAV/FLAC/OGG, raw PCM, a folder)",
        description="Replay recorded calls through the same pipeline as a live call and print the "
        "caller's transcript as it is recognised: '[MM:SS.mmm] caller: text' per utterance "
        "(partials on a live line when stdout is a terminal), or every event as JSON lines.",
    )
    p.add_argument("inputs", nargs="+", metavar="CALL",
                   help="audio file(s), folder(s) of audio files, or - for raw PCM on stdin")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="caller's language (default: the one a call's CALL.expect.toml or replayed "
                   "transcript names, else setting call.lang, 'en' out of the box)")
    p.add_argument("--model", metavar="DIR", default=None,
                   help="vosk model folder (default: looked up, see `voiceassist models path LANG`)")
    p.add_argument("--transcript", metavar="FILE|auto", default=None,
                   help="replay a reference transcript (WebVTT or JSONL) instead of running vosk; "
                   "'auto' uses CALL.vtt or CALL.transcript.jsonl beside each input")
    p.add_argument("--json", action="store_true", help="print every event as one JSON object per line")
    p.add_argument("--realtime", action="store_true", help="pace the replay by audio time (1x speed)")
    p.add_argument("--caller-channel", choices=("left", "right", "mix"), default=None,
                   help="caller channel of stereo input (default: setting audio.caller_channel, left)")
    p.add_argument("--agent-channel", choices=("left", "right", "none"), default=None,
                   help="agent channel of stereo input (default: setting audio.agent_channel, right)")
    p.add_argument("--transcribe-agent", action="store_true",
                   help="also run vosk on the agent channel (default: caller only; agent speech "
                   "segments are always detected)")
    p.add_argument("--raw-rate", type=int, metavar="HZ", default=None,
                   help="inputs are headerless raw PCM at this rate (8000-48000)")
    p.add_argument("--raw-format", choices=("s16le", "mulaw", "alaw"), default="s16le",
                   help="raw sample format (default s16le)")
    p.add_argument("--raw-channels", type=int, choices=(1, 2), default=1,
                   help="raw channels, interleaved (default 1)")
    p.add_argument("--agent-lang", choices=LANGS, default=None,
                   help="language of the cue texts (default: setting call.agent_lang, else --lang)")
    p.add_argument("--no-cues", action="store_true", help="transcript only, no escalation engine")
    p.add_argument("--store", action="store_true",
                   help="record each replayed call in the call store, as `run` does (caller flags, "
                   "incidents, alerts, after-call record; setting store.url)")
    p.add_argument("--caller-id", default=None, metavar="ID",
                   help="caller's number or id for the replayed calls (needs --store): a flagged "
                   "caller gets the heads-up and stricter thresholds, and the call's flags are recorded")
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.add_argument("--block-samples", type=int, default=4000, metavar="N",
                   help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def cue_engine_factory(args: argparse.Namespace, settings: Mapping[str, Any]) -> CueEngine | None:
    """A new escalation engine for each replayed call (None with ``--no-cues``)."""
    if args.no_cues:
        return None
    from voiceassist.escalation.engine import load_engine
    from voiceassist.escalation.scorer import load_scorer

    return load_engine(
        str(settings["call.lang"]),
        scorer=load_scorer(settings),
        agent_lang=str(settings["call.agent_lang"]) or None,
        rule_dirs=extra_rule_dirs(settings),
        agent_name=str(settings["call.agent_name"]),
    )


def run(args: argparse.Namespace) -> int:
    from voiceassist.session import Assembly

    settings = load_settings(
        config_file=getattr(args, "config", None),
        flags={
            "call.lang": args.lang,
            "call.agent_lang": args.agent_lang,
            "stt.model": args.model,
            "audio.caller_channel": args.caller_channel,
            "audio.agent_channel": args.agent_channel,
        }
    )
    assembly = Assembly.from_settings(settings)
    opts = ReplayOptions(
        inputs=list(args.inputs),
        lang=str(settings["call.lang"]),
        model=str(settings["stt.model"]) or None,
        transcript=args.transcript,
        json=bool(args.json),
        realtime=bool(args.realtime),
        caller_channel=str(settings["audio.caller_channel"]),
        agent_channel=str(settings["audio.agent_channel"]),
        raw_rate=args.raw_rate,
        raw_format=args.raw_format,
        raw_channels=args.raw_channels,
        transcribe_agent=bool(args.transcribe_agent),
        block_samples=args.block_samples,
        verbose=bool(getattr(args, "verbose", False)),
        vad=VadConfig.from_settings(settings),
        assembly=assembly,
        lang_given=args.lang is not None,
    )
    if args.caller_id is not None and not args.store:
        raise UsageError("--caller-id needs --store (caller flags live in the call store)")
    if args.store and args.no_cues:
        raise UsageError("--store records cues and flags; it cannot go with --no-cues")
    if not args.no_cues:
        assembly.check()  # bad rules or coaching rules fail before any audio is read
    if args.caller_id is not None:
        from voiceassist.store.validate import normalize_caller_id

        opts.caller_id = normalize_caller_id(args.caller_id)
    if args.store:
        from voiceassist.store.recorder import CallRecorder

        # The same store as `run`: a recording's flags and incidents are the ones a live call makes.
        opts.recorder = CallRecorder.open(assembly.config.store_config())
    try:
        return run_replay(opts, cue_engine_factory=lambda: None if args.no_cues else True)  # type: ignore[arg-type,return-value]
    finally:
        if opts.recorder is not None:
            opts.recorder.close()
