"""``voiceassist run``: the live assistant on a phone call (devices in, whispered cues out)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voiceassist.settings import LANGS, load_settings


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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voiceassist.audio.block import RATE_HZ
    from voiceassist.audio.live import LiveSource
    from voiceassist.cues.bank import bank_from_settings
    from voiceassist.cues.output import SoundDeviceOutput
    from voiceassist.errors import VoiceAssistError
    from voiceassist.live_call import LiveCall, RunConfig, Screen, Seams
    from voiceassist.session import Assembly
    from voiceassist.store.config import StoreConfig
    from voiceassist.store.recorder import CallRecorder
    from voiceassist.stt.models import resolve_model
    from voiceassist.stt.vosk_recognizer import VoskRecognizer, load_vosk_model

    settings = load_settings(config_file=args.config, flags={
        "call.lang": args.lang, "call.agent_lang": args.agent_lang, "call.agent_name": args.agent_name,
        "audio.caller_device": args.caller_device, "audio.agent_device": args.agent_device,
        "audio.caller_channel": args.caller_channel, "audio.agent_channel": args.agent_channel,
        "audio.headset": args.headset, "stt.model": args.model,
        "cues.enabled": False if args.no_cues else None,
        "log.enabled": False if args.no_log else None, "log.redact": args.redact,
        "run.new_call_after_s": args.new_call_after,
    })
    from voiceassist.logsetup import configure_logging

    configure_logging(settings, verbose=bool(getattr(args, "verbose", False)))
    cfg = RunConfig.from_settings(settings, headset_channel=args.headset_channel,
                                  interactive=sys.stdin.isatty(), caller_id=args.caller_id)
    if cfg.caller_id is not None:
        from voiceassist.store.validate import normalize_caller_id

        cfg.caller_id = normalize_caller_id(cfg.caller_id)
    assembly = Assembly.from_settings(settings)
    # Everything that can fail without hardware fails first: model, rules, coaching, cue texts.
    found = assembly.check(model=True, cue_voices=True)
    model_loc = found["model"]
    phrases = found["phrases"]
    model = load_vosk_model(model_loc.path)

    def source(c: RunConfig, on_status: Any) -> LiveSource:
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
    if cfg.agent_device or cfg.agent_channel != "none":
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

    from voiceassist.panel.agent import agent_panel_for_run

    panel = agent_panel_for_run(settings, lang=cfg.cue_lang, agent=cfg.agent_name, redact=cfg.redact,
                                mute_minutes=cfg.mute_minutes, store_url=StoreConfig.from_settings(
                                    settings).effective_url if recorder is not None else None)
    seams = Seams(
        source=source,
        output=SoundDeviceOutput(cfg.headset, channels=cfg.headset_channel),  # type: ignore[arg-type]
        recognizer=lambda: VoskRecognizer(model, "caller"),
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
    screen.line(f"voiceassist run: caller {cfg.lang} ({model_loc.path.name}), cues in {cfg.cue_lang}"
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
    s = call.summary
    where = f"; log {s.logs[-1]}" if s.logs else ""
    screen.line(f"call ended ({s.end_reason}): {s.cues} cues{where}")
    return code
