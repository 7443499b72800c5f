"""``voiceassist cues render|play``: prepare the whispered cue audio ahead of time, try the headset."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError, DeviceError, ExitCode, UsageError
from voiceassist.langs import LANGS, cue_lang
from voiceassist.rule_layers import extra_rule_dirs
from voiceassist.settings import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser("cues", help="render cue audio ahead of time; play cues on the headset",
                       description="Whispered cues: render every cue phrase of a language once "
                       "(pyttsx3 + espeak-ng, cached in the user cache dir), or play a cue on the "
                       "headset to check the level.")
    cs = p.add_subparsers(dest="cues_command", metavar="ACTION")
    r = cs.add_parser("render", help="render every cue phrase of the agent's language (cached)")
    r.add_argument("--lang", choices=(*LANGS, "all"), default=None,
                   help="cue language (default: setting call.agent_lang, else call.lang); 'all'")
    r.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    r.set_defaults(func=run_render)
    pl = cs.add_parser("play", help="whisper one cue on the headset (to set the level)")
    pl.add_argument("cue", nargs="?", default="state_boundary", help="cue id (default state_boundary)")
    pl.add_argument("--lang", choices=LANGS, default=None, help="cue language")
    pl.add_argument("--headset", default=None, metavar="NAME", help="output device (index or name)")
    pl.add_argument("--gain", type=float, default=None, metavar="DBFS", help="peak level, dBFS")
    pl.add_argument("--urgent", action="store_true", help="use the urgent earcon")
    pl.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    pl.set_defaults(func=run_play)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return int(ExitCode.USAGE)


def _agent_lang(settings: Any, flag: str | None) -> str:
    if flag:
        return flag
    return cue_lang(str(settings["call.lang"]), str(settings["call.agent_lang"] or ""))


def run_render(args: argparse.Namespace) -> int:
    from voiceassist.cues.bank import bank_from_settings
    from voiceassist.cues.cache import default_cache_dir
    from voiceassist.cues.texts import load_say_texts
    from voiceassist.cues.tts import TtsRenderer

    settings = load_settings(config_file=args.config)
    langs = list(LANGS) if args.lang == "all" else [_agent_lang(settings, args.lang)]
    extra = extra_rule_dirs(settings)
    renderer = TtsRenderer()
    failed = 0
    for lang in langs:
        try:
            texts = load_say_texts(lang, extra)
        except ConfigError as exc:
            if len(langs) == 1:
                raise
            print(f"{lang}: failed: {exc.message}", file=sys.stderr)
            failed += 1
            continue
        bank = bank_from_settings(lang, settings, rate_hz=16000, renderer=renderer)
        t0 = time.monotonic()
        report = bank.prepare(texts.values())
        for notice in bank.notices:
            print(f"{lang}: note: {notice}")
        voice = bank.voice()
        voice_txt = f"voice {voice.voice_id or 'default'}" if voice else "no voice"
        print(f"{lang}: {len(set(texts.values()))} phrases, {report.rendered} rendered, "
              f"{report.reused} already cached ({voice_txt}, {bank.rate_wpm} wpm, "
              f"{time.monotonic() - t0:.1f} s)")
        for line in report.failed:
            print(f"{lang}: failed: {line}", file=sys.stderr)
        failed += len(report.failed)
    print(f"cache: {default_cache_dir()}")
    renderer.close()
    return int(ExitCode.CHECK_FAILED if failed else ExitCode.OK)


def run_play(args: argparse.Namespace) -> int:
    from voiceassist.cues.bank import bank_from_settings
    from voiceassist.cues.output import SoundDeviceOutput
    from voiceassist.cues.player import CuePlayer
    from voiceassist.cues.texts import load_say_texts

    settings = load_settings(config_file=args.config, flags={"cues.gain_dbfs": args.gain,
                                                              "audio.headset": args.headset})
    lang = _agent_lang(settings, args.lang)
    texts = load_say_texts(lang, extra_rule_dirs(settings))
    if args.cue not in texts:
        raise UsageError(f"unknown cue id {args.cue!r} for {lang}",
                         hint="cue ids are listed in docs/rules-format.md")
    bank = bank_from_settings(lang, settings, rate_hz=48000)
    sound = bank.sound_for(texts[args.cue], "urgent" if args.urgent else "warn")
    for notice in bank.notices:
        print(f"note: {notice}")
    player = CuePlayer(SoundDeviceOutput(settings["audio.headset"] or None), rate_hz=48000)
    try:
        if not player.start():
            raise DeviceError(player.last_device_error or "no headset",
                              hint="list devices with `voiceassist devices`")
        player.play(sound)
        deadline = time.monotonic() + sound.duration_ms / 1000 + 2.0
        while time.monotonic() < deadline and not any(r.kind == "finished" for r in player.reports):
            time.sleep(0.05)
    finally:
        player.close()
    print(f"played {args.cue}: {texts[args.cue]!r} at {bank.gain_dbfs:g} dBFS peak on {player.device.name}")
    return int(ExitCode.OK)
