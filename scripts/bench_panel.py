#!/usr/bin/env python3
"""Agent panel: event-to-screen latency in headless Chromium vs a plain Python SSE client.

    python scripts/bench.py panel [--cues 200] [--gap-ms 40] [--no-write]

Publishes ``--cues`` cues through the agent panel's feed (the listener ``run`` gives its events
to), ``--gap-ms`` apart, twice: once read by a plain Python client of the event stream
(the baseline: the server's own delivery), once by the panel page in the distribution's headless
Chromium (selenium + chromium-driver), where a MutationObserver notes when the cue card's text
changed and the next animation frame after it (the frame that paints it). Latency = that time
minus the wall time just before the cue was handed to the feed. Reports p50/p95 of both, the
ratio of the p95s, and the floor (p95 under 100 ms). Appends a section to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voiceassist.events import CallStarted, Cue
from voiceassist.panel.agent import AgentPanel
from voiceassist.panel.feed import AgentFeed

ROOT = Path(__file__).resolve().parents[1]
FLOOR_MS = 100.0

OBSERVER_JS = """
window.__va = {};
const say = document.getElementById('card-say');
new MutationObserver(() => {
  const t = say.textContent;
  requestAnimationFrame(() => { window.__va[t] = performance.timeOrigin + performance.now(); });
}).observe(say, {childList: true, characterData: true, subtree: true});
"""


class Controls:
    def key(self, ch: str) -> None:
        pass

    def cue_wrong(self, call_id: str, cue: str, at_ms: int, note: str = "") -> dict[str, Any]:
        return {}


def cue(i: int) -> Cue:
    return Cue(at_ms=1000 + i * 100, cue="state_boundary", category="abuse", form="insult", rung=1,
               severity="warn", say=f"Set the boundary {i}",
               script="I can help once we keep this respectful.")


def publish(feed: AgentFeed, n: int, gap_s: float) -> dict[str, float]:
    """Hand ``n`` cues to the feed; returns the wall time (s) just before each, by card text."""
    sent: dict[str, float] = {}
    for i in range(n):
        c = cue(i)
        sent[c.say] = time.time()
        feed(c)
        time.sleep(gap_s)
    return sent


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def python_client(port: int, token: str, n: int, gap_s: float, feed: AgentFeed) -> list[float]:
    got: dict[str, float] = {}
    done = threading.Event()

    def read() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/events?token={token}")
        resp = conn.getresponse()
        ready.set()
        while len(got) < n:
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                msg = json.loads(line[6:])
                if msg.get("type") == "cue":
                    got[msg["cue"]["say"]] = time.time()
        done.set()
        conn.close()

    ready = threading.Event()
    t = threading.Thread(target=read, daemon=True)
    t.start()
    ready.wait(10)
    time.sleep(0.3)
    sent = publish(feed, n, gap_s)
    done.wait(30)
    return [(got[k] - sent[k]) * 1000 for k in sent if k in got]


def browser_client(url: str, n: int, gap_s: float, feed: AgentFeed) -> tuple[list[float], str]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run", "--window-size=1280,900"):
        opts.add_argument(flag)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        version = str(driver.capabilities.get("browserVersion", "?"))
        driver.get(url)
        body = driver.find_element(By.TAG_NAME, "body")
        WebDriverWait(driver, 20).until(lambda d: body.get_attribute("data-seq"))
        driver.execute_script(OBSERVER_JS)
        sent = publish(feed, n, gap_s)
        deadline = time.time() + 30
        seen: dict[str, float] = {}
        while time.time() < deadline:
            seen = driver.execute_script("return window.__va")
            if len(seen) >= n:
                break
            time.sleep(0.2)
        return [(seen[k] / 1000 - sent[k]) * 1000 for k in sent if k in seen], version
    finally:
        driver.quit()


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpu = model or "unknown CPU"
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), shared"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench.py panel")
    p.add_argument("--cues", type=int, default=200)
    p.add_argument("--gap-ms", type=float, default=40.0, help="time between cues, ms")
    p.add_argument("--no-write", action="store_true", help="do not append to BENCHMARKS.md")
    args = p.parse_args(argv)
    gap = args.gap_ms / 1000
    results: dict[str, list[float]] = {}
    version = "?"
    for client in ("python", "chromium"):
        feed = AgentFeed(lang="en")
        panel = AgentPanel(feed, port=0, url_name=None)
        url = panel.start(Controls())
        feed(CallStarted(call_id="bench", lang="en"))
        assert panel.server is not None
        try:
            if client == "python":
                results[client] = python_client(panel.server.port, panel.server.token, args.cues, gap, feed)
            else:
                results[client], version = browser_client(url, args.cues, gap, feed)
        finally:
            panel.close()
        print(f"{client}: {len(results[client])}/{args.cues} received", flush=True)
    base, page = results["python"], results["chromium"]
    if len(base) < args.cues or len(page) < args.cues:
        print("bench panel: not every cue arrived", file=sys.stderr)
        return 1
    out = {"python_p50": pct(base, 50), "python_p95": pct(base, 95), "chromium_p50": pct(page, 50),
           "chromium_p95": pct(page, 95), "chromium_max": max(page)}
    ratio = out["chromium_p95"] / max(out["python_p95"], 1e-3)
    print(json.dumps({**out, "ratio_p95": ratio}, indent=2))
    if not args.no_write:
        verdict = "meets" if out["chromium_p95"] < FLOOR_MS else "**misses**"
        lines = [
            "", f"## Agent panel: event-to-screen latency (`python scripts/bench.py panel`), "
            f"{time.strftime('%Y-%m-%d')}", "",
            f"Machine: {machine()}; Chromium {version} headless (selenium + chromium-driver). "
            f"{args.cues} cues handed to the panel's feed {args.gap_ms:g} ms apart; latency from just "
            "before the feed got the cue to the animation frame after the cue card's text changed "
            "(a MutationObserver in the page), against a plain Python client of the same event stream "
            "in the same run.", "",
            "| reader | p50 ms | p95 ms |", "|---|---|---|",
            f"| plain Python SSE client (baseline) | {out['python_p50']:.1f} | {out['python_p95']:.1f} |",
            f"| panel page in headless Chromium | {out['chromium_p50']:.1f} | "
            f"**{out['chromium_p95']:.1f}** |",
            "",
            f"p95 ratio page / baseline: **{ratio:.1f}x**; the page {verdict} the 100 ms floor "
            f"(max {out['chromium_max']:.1f} ms).", "",
        ]
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
