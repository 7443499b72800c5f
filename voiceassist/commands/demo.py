"""``voiceassist demo``: hear (or read) what the assistant does on a few short bundled calls."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voiceassist.errors import ExitCode
from voiceassist.langs import LANGS
from voiceassist.settings import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the bundled demo calls through the assistant (no model or sound card needed)",
        description="Plays short bundled calls (abuse up to ending the call, a sexist caller, a "
        "flirting caller, a threat, an angry but fair caller; one or more per language) through "
        "the full pipeline, prints the transcript and the cues as they fire, and writes a stereo "
        "WAV: left = the call, right = what the agent heard in the headset.",
    )
    p.add_argument("--lang", choices=LANGS, default=None, help="only the calls in this language")
    p.add_argument("--fast", action="store_true", help="as fast as possible (no real-time pacing, "
                   "no playback)")
    p.add_argument("--asr", action="store_true", help="recognise the audio with the installed "
                   "speech model of each language instead of following the reference transcripts")
    p.add_argument("--out", type=Path, default=Path("voiceassist-demo.wav"), metavar="FILE.wav",
                   help="stereo WAV to write (default ./voiceassist-demo.wav)")
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from voiceassist.cues.bank import bank_from_settings
    from voiceassist.cues.tts import TtsRenderer
    from voiceassist.session.demo import DEMO_LANGS, DemoOptions, open_speaker, run_demo

    settings = load_settings(config_file=args.config)
    out = sys.stdout
    renderer = TtsRenderer()
    opts = DemoOptions(
        langs=(args.lang,) if args.lang else DEMO_LANGS,
        fast=bool(args.fast),
        asr=bool(args.asr),
        out=args.out,
        wait_for_gap_ms=int(settings["cues.wait_for_gap_ms"]),
    )
    speaker = None
    if opts.fast:
        out.write("demo: --fast, so nothing is played; the mix goes to the WAV file\n")
    else:
        speaker, why = open_speaker()
        if speaker is None:
            out.write(f"demo: no playback device ({why}); showing the calls in real time and "
                      "writing the WAV file\n")
    out.write(f"demo: transcripts from {'speech recognition' if opts.asr else 'the reference files'}"
              "; >> cue, !! urgent cue, time = call time\n")
    from voiceassist.session import Assembly

    # The demo calls are heard in their own language: cues in the caller's language.
    assembly = Assembly.from_settings({**settings, "call.agent_lang": ""})
    result = run_demo(
        opts,
        out,
        assembly=assembly,
        bank_factory=lambda lang: bank_from_settings(lang, settings, rate_hz=16000, renderer=renderer),
        speaker=speaker,
    )
    renderer.close()
    played = [c for c in result.cues if c.outcome == "played"]
    delays = sorted(c.delay_ms for c in played if c.delay_ms is not None)
    median = f", whispered a median {delays[len(delays) // 2]} ms after the trigger word" if delays else ""
    out.write(f"\ndemo: {len(result.cues)} cues in {len(result.calls)} calls, {len(played)} "
              f"whispered{median}\n")
    if result.unfollowed:
        out.write(f"demo: speech recognition could not follow the synthetic voice in "
                  f"{len(result.unfollowed)} of {len(result.calls)} calls ({', '.join(result.unfollowed)}): "
                  "their cue count says nothing about the rules; without --asr the demo follows the "
                  "reference transcripts\n")
    out.write(f"demo: wrote {result.out} ({result.duration_ms / 1000:.1f} s, stereo 16 kHz: "
              "left = the call, right = what the agent heard)\n")
    return int(ExitCode.OK)
