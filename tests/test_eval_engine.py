"""`voiceassist eval` with the real escalation engine on two corpus dialogues: a death threat
must bring call_security and report_threat in time, and a long benign call must stay quiet."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from voiceassist.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_calls  # noqa: E402


def test_threat_is_cued_and_benign_call_stays_quiet(tmp_path: Path) -> None:
    out = tmp_path / "en"
    dialogues = [
        str(ROOT / "corpus/en/esc10_threat_violence.toml"),
        str(ROOT / "corpus/en/benign03_delivery_missed.toml"),
    ]
    assert make_calls.main([*dialogues, "--out", str(out), "--cache", str(tmp_path / "c"), "-q"]) == 0
    code = main(
        ["eval", str(out), "--transcripts", "only", "--no-progress", "--json", str(tmp_path / "r.json")]
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    calls = {Path(c["call"]).stem: c for c in doc["calls"]}
    threat, benign = calls["esc10_threat_violence"], calls["benign03_delivery_missed"]
    hits = {e["cue"]: e for e in threat["expectations"] if e["hit"]}
    assert {"call_security", "report_threat"} <= set(hits)
    assert 0 <= hits["call_security"]["latency_ms"] < 3000
    assert benign["cues"] == [] and benign["passed"]
    assert benign["duration_ms"] > 120_000
    assert code == (0 if threat["passed"] else 1)
