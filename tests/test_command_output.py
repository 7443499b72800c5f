"""One printer family for command output: every ``--json`` document has the same shape."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.commands.output import json_text, print_json, print_lines


def test_json_documents_keep_text_and_write_dates_and_paths_as_strings() -> None:
    doc = {"reason": "Chiamante già segnalato", "day": dt.date(2026, 12, 7), "file": Path("/tmp/a b")}
    text = json_text(doc)
    assert "già" in text and "\\u" not in text and text.startswith('{\n  "')
    assert json.loads(text) == {"reason": "Chiamante già segnalato", "day": "2026-12-07", "file": "/tmp/a b"}
    out = io.StringIO()
    print_json([1], out)
    print_lines(["a", "b"], out)
    assert out.getvalue() == "[\n  1\n]\na\nb\n"


def test_config_show_json_is_one_such_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--json"]) == 0
    text = capsys.readouterr().out
    assert json.loads(text)["call.lang"]["value"] and text == json_text(json.loads(text)) + "\n"
