"""``voiceassist run``: the live assistant on a phone call (devices in, whispered cues out)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voiceassist.langs import LANGS
from voiceassist.settings import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="listen to a live call and whisper cues in the agent's headset",
        description="Listen to the caller (and optionally the agent) on audio input devices, "
        "recognise speech offline, and whisper short de-escalation cues into the agent's headset, "
        "with one line per cue on screen. Keys on a terminal: m mute cues, u unmute, n new call, "
        "q quit. Without keys (a service), a call ends after run.new_call_after_s of silence on "
        "both sides and the next speech starts a new one. Ctrl-C / SIGTERM end cleanly. "
        "Settings come from the config file (--config, or "
        "the per-user one); flags override them.",
    )
    p.add_argument("--lang", choices=LANGS, default=None, help="caller's language")
    p.add_argument("--agent-lang", choices=LANGS, default=None, help="language of the cues")
    p.add_argument("--agent-name", default=None, help="agent's first name, used in scripts")
    p.add_argument("--caller-device", default=None, metavar="NAME",
                   help="caller input device (index or name substring); a stereo device carries "
                   "both sides (see --caller-channel / --agent-channel)")
    p.add_argument("--agent-device", default=None, metavar="NAME", help="agent microphone device")
    p.add_argument("--caller-channel", choices=("left", "right", "mix"), default=None)
    p.add_argument("--agent-channel", choices=("left", "right", "none"), default=None)
    p.add_argument("--headset", default=None, metavar="NAME", help="output device for the cues")
    p.add_argument("--headset-channel", choices=("both", "left", "right"), default="both",
                   help="which ear(s) of a stereo headset get the cue (default both)")
    p.add_argument("--model", default=None, metavar="DIR", help="vosk model folder for --lang")
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.add_argument("--no-cues", action="store_true", help="show cues on screen only, never whisper")
    p.add_argument("--redact", action="store_true", default=None,
                   help="call log keeps cues but replaces transcript words")
    p.add_argument("--no-log", action="store_true", help="write no call log")
    p.add_argument("--caller-id", default=None, metavar="ID",
                   help="caller's number or id (+39..., or an opaque id): shows a heads-up for a "
                   "flagged caller and records flags for the next agent")
    p.add_argument("--new-call-after", type=float, default=None, metavar="SECONDS",
                   help="end the call after this much silence on both sides; the next speech starts "
                   "a new call (0 = never; default run.new_call_after_s, 30)")
    p.add_argument("--no-store", action="store_true",
                   help="keep no call record (no caller flags, incidents, alerts or break suggestions)")
    p.add_argument("--input", type=Path, default=None, metavar="FILE",
                   help="play a recording (WAV/FLAC/OGG; stereo: caller left, agent right) through "
                   "the live loop in real time instead of capturing from devices: try `run` with no "
                   "headset; the call language comes from --lang, else its CALL.expect.toml or transcript")
    p.add_argument("--transcript", default=None, metavar="FILE|auto",
                   help="with --input: follow a reference transcript (WebVTT/JSONL; 'auto' = the one "
                   "beside FILE) instead of the speech model (no model needed)")
    p.add_argument("--fast", action="store_true",
                   help="with --input: as fast as the machine can, no headset (for tests)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voiceassist.audio.block import RATE_HZ
    from voiceassist.audio.live import LiveSource
    from voiceassist.cues.bank import bank_from_settings
    from voiceassist.cues.output import SoundDeviceOutput
    from voiceassist.errors import UsageError, VoiceAssistError
    from voiceassist.session import Assembly
    from voiceassist.session.live_call import LiveCall, RunConfig, Screen, Seams
    from voiceassist.store.config import StoreConfig
    from voiceassist.store.recorder import CallRecorder
    from voiceassist.stt.models import resolve_model
    from voiceassist.stt.vosk_recognizer import VoskRecognizer, load_vosk_model

    if args.input is None and (args.transcript is not None or args.fast):
        raise UsageError("--transcript and --fast go with --input FILE")
    transcript = _input_transcript(args) if args.input is not None else None
    lang = args.lang
    if args.input is not None and lang is None:
        from voiceassist.session.replay import recording_lang

        lang = recording_lang(str(args.input), transcript)
    settings = load_settings(config_file=args.config, flags={
        "call.lang": lang, "call.agent_lang": args.agent_lang, "call.agent_name": args.agent_name,
        "audio.caller_device": args.caller_device, "audio.agent_device": args.agent_device,
        "audio.caller_channel": args.caller_channel, "audio.agent_channel": args.agent_channel,
        "audio.headset": args.headset, "stt.model": args.model,
        "cues.enabled": False if args.no_cues else None,
        "log.enabled": False if args.no_log else None, "log.redact": args.redact,
        "run.new_call_after_s": args.new_call_after,
    })
    from voiceassist.ops.logsetup import configure_logging

    configure_logging(settings, verbose=bool(getattr(args, "verbose", False)))
    cfg = RunConfig.from_settings(settings, headset_channel=args.headset_channel,
                                  interactive=sys.stdin.isatty(), caller_id=args.caller_id)
    if cfg.caller_id is not None:
        from voiceassist.store.validate import normalize_caller_id

        cfg.caller_id = normalize_caller_id(cfg.caller_id)
    assembly = Assembly.from_settings(settings)
    # Everything that can fail without hardware fails first: model, rules, coaching, cue texts.
    found = assembly.check(model=transcript is None, cue_voices=True)
    phrases = found["phrases"]
    utts = None
    if transcript is not None:
        from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

        utts = load_transcript(transcript)
        model_name = f"transcript {transcript.name}"
    else:
        model_loc = found["model"]
        model_name = model_loc.path.name
        model = load_vosk_model(model_loc.path)
    file_device = None
    if args.input is not None:
        from voiceassist.audio.file_device import FileInputDevice

        # The recording stands where the capture device would: the rest of the loop is the live one.
        file_device = FileInputDevice(args.input, caller_channel=cfg.caller_channel,
                                      agent_channel=cfg.agent_channel, pace=0.0 if args.fast else 1.0)
        cfg.caller_device, cfg.agent_device = None, None
        cfg.caller_channel, cfg.agent_channel = "left", "right" if file_device.has_agent else "none"
        cfg.on_device_lost = "stop"

    def source(c: RunConfig, on_status: Any) -> LiveSource:
        if file_device is not None:
            # --fast: the queue holds the whole recording, so none is dropped while the loop catches up.
            queue_ms = max(10_000, file_device.duration_ms + 1000) if args.fast else 10_000
            return LiveSource(None, None, caller_channel="left", agent_channel=c.agent_channel,
                              block_samples=RATE_HZ * c.block_ms // 1000, callback_ms=c.block_ms,
                              queue_ms=queue_ms, on_status=on_status, on_lost="stop",
                              backend=file_device.backend, stream_factory=file_device.open_stream)
        return LiveSource(c.caller_device, c.agent_device, caller_channel=c.caller_channel,
                          agent_channel=c.agent_channel, block_samples=RATE_HZ * c.block_ms // 1000,
                          callback_ms=c.block_ms, on_status=on_status, on_lost=c.on_device_lost)

    def engine(adjustments: Mapping[str, float] | None = None) -> Any:
        return assembly.engine(adjustments=adjustments)

    def coaching(caller_engine: Any) -> Any:
        return assembly.coaching(caller_engine)

    recorder = None
    if not args.no_store:
        try:
            recorder = CallRecorder.open(StoreConfig.from_settings(settings))
        except VoiceAssistError as exc:  # the call must run even when the store cannot
            print(f"voiceassist: warning: no call store ({exc.message}); flags and incidents are off",
                  file=sys.stderr)
    agent_recognizer = None
    if utts is not None:
        ref = utts
        if any(u.speaker == "agent" for u in ref) and cfg.agent_channel != "none":
            def agent_recognizer() -> Any:
                return ReferenceRecognizer(ref, "agent")
    elif cfg.agent_device or cfg.agent_channel != "none":
        # The agent talks to the caller in the call's language (call.agent_lang is only the
        # language the agent reads cues in): the caller's model, or stt.agent_model if set.
        agent_model = model
        if str(settings["stt.agent_model"]):
            try:
                agent_model = load_vosk_model(resolve_model(cfg.lang, str(settings["stt.agent_model"])).path)
            except VoiceAssistError as exc:  # the call runs: the caller's model hears the agent too
                print(f"voiceassist: warning: stt.agent_model: {exc.message}; the agent channel uses "
                      "the caller's model", file=sys.stderr)

        def agent_recognizer() -> Any:
            return VoskRecognizer(agent_model, "agent")

    def caller_recognizer() -> Any:
        if utts is not None:
            return ReferenceRecognizer(utts, "caller")
        return VoskRecognizer(model, "caller")

    output: Any = SoundDeviceOutput(cfg.headset, channels=cfg.headset_channel)  # type: ignore[arg-type]
    if args.fast:
        from voiceassist.cues.output import FakeOutputDevice

        output = FakeOutputDevice("no headset (--fast)")
    from voiceassist.panel.agent import agent_panel_for_run

    panel = agent_panel_for_run(settings, lang=cfg.cue_lang, agent=cfg.agent_name, redact=cfg.redact,
                                mute_minutes=cfg.mute_minutes, store_url=StoreConfig.from_settings(
                                    settings).effective_url if recorder is not None else None)
    seams = Seams(
        source=source,
        output=output,
        recognizer=caller_recognizer,
        engine=engine,
        bank=bank_from_settings(cfg.cue_lang, settings, rate_hz=cfg.output_rate_hz),
        phrases=phrases,
        agent_recognizer=agent_recognizer,
        coaching=coaching,
        recorder=recorder,
        flagged_engine=engine,
        settings=settings,
        observers=[panel.observe] if panel is not None else [],
    )
    out = sys.stdout
    screen = Screen(out, live=out.isatty())
    split = (f"new call after {cfg.new_call_after_s:g} s of silence" if cfg.new_call_after_s
             else "no automatic new call")
    origin = f", from {args.input}{' (fast)' if args.fast else ''}" if args.input is not None else ""
    screen.line(f"voiceassist run: caller {cfg.lang} ({model_name}{origin}), cues in {cfg.cue_lang}"
                f"{'' if cfg.cues_enabled else ' (screen only)'}; "
                f"{'log ' + ('redacted' if cfg.redact else 'on') if cfg.log_enabled else 'no log'}; "
                f"{split}"
                f"{'; keys: m mute, u unmute, n new call, q quit' if cfg.interactive else ''}")
    call = LiveCall(cfg, seams, screen)
    if panel is not None:
        try:
            url = panel.start(call)
            screen.line(f"panel: {url.split('?')[0]} (`voiceassist panel` opens it)")
        except OSError as exc:  # the call runs without its panel
            print(f"voiceassist: warning: no panel ({exc.strerror or exc})", file=sys.stderr)
            panel = None
    try:
        code = call.run()
    finally:
        if panel is not None:
            panel.close()
        if recorder is not None:
            recorder.close()
    if file_device is not None and file_device.error is not None:
        print(f"voiceassist: warning: {file_device.error.message}; the call ended there", file=sys.stderr)
    s = call.summary
    where = f"; log {s.logs[-1]}" if s.logs else ""
    screen.line(f"call ended ({s.end_reason}): {s.cues} cues{where}")
    return code


def _input_transcript(args: argparse.Namespace) -> Path | None:
    """The reference transcript ``--transcript`` names for ``--input`` (None = speech model)."""
    if args.transcript is None:
        return None
    if args.transcript != "auto":
        return Path(args.transcript)
    from voiceassist.errors import InputFileError
    from voiceassist.stt.reference import find_transcript_beside

    found = find_transcript_beside(args.input)
    if found is None:
        stem = args.input.with_suffix("")
        raise InputFileError(f"--transcript auto: neither {stem}.vtt nor {stem}.transcript.jsonl exists")
    return found
