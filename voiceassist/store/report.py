"""Incident reports for the legal team: JSON, and a self-contained HTML page (inline CSS, the
audio clip embedded when there is one, no scripts, nothing loaded from elsewhere)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from voiceassist.store.cli import fmt_call_ms, fmt_time


def incident_json(inc: dict[str, Any]) -> str:
    return json.dumps(inc, ensure_ascii=False, indent=2, sort_keys=True)


def _mark(text: str, words: set[str]) -> str:
    out = []
    for token in text.split(" "):
        bare = token.strip(".,!?;:\"'").casefold()
        out.append(f"<mark>{html.escape(token)}</mark>" if bare and bare in words else html.escape(token))
    return " ".join(out)


_CSS = """
body{font-family:Georgia,serif;max-width:52em;margin:2em auto;color:#111;line-height:1.45}
h1{font-size:1.5em;border-bottom:2px solid #333}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#eee;width:12em}mark{background:#ffe066}
.t{font-family:monospace;white-space:nowrap}.note{color:#555;font-size:.9em}
@media print{body{margin:0}}
"""


def incident_html(inc: dict[str, Any]) -> str:
    """One incident as a standalone HTML document."""
    e = html.escape
    call = inc.get("call") or {}
    words = {w.casefold() for t in inc["triggers"] for w in t.get("words", [])}
    meta = [
        ("Incident", inc["id"]),
        ("Status", inc["status"]),
        ("Recorded", fmt_time(inc["opened_at"])),
        ("Category", f"{inc['category']} / {inc['form']}"),
        ("First trigger", f"{fmt_call_ms(inc['at_ms'])} into the call"),
        ("Caller id", inc.get("caller_id") or "not given"),
        ("Agent", inc.get("agent") or "-"),
        ("Workstation", inc.get("workstation") or "-"),
        ("Language", inc.get("lang") or "-"),
        ("Call started", fmt_time(call.get("started_at"))),
        ("Call length", fmt_call_ms(call.get("duration_ms")) if call.get("duration_ms") else "-"),
        ("Call ended because", call.get("end_reason") or "-"),
        ("Transcript window", f"{fmt_call_ms(inc['window_start_ms'])} - {fmt_call_ms(inc['window_end_ms'])}"),
    ]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in meta)
    triggers = "".join(
        f"<tr><td class=t>{fmt_call_ms(t['at_ms'])}</td><td>{e(t['cue'])}</td><td>{e(t['form'])}</td>"
        f"<td>{e(', '.join(t.get('words', [])))}</td></tr>" for t in inc["triggers"])
    lines = "".join(
        f"<tr><td class=t>{fmt_call_ms(s['start_ms'])}</td><td>{e(s['speaker'])}</td>"
        f"<td>{_mark(s['text'], words)}</td></tr>" for s in inc["transcript"])
    if not lines:
        lines = "<tr><td colspan=3>No transcript was captured around this incident.</td></tr>"
    audio = "<p>No audio: the call was not recorded.</p>"
    clip = inc.get("audio_clip")
    if clip and Path(clip).is_file():
        data = base64.b64encode(Path(clip).read_bytes()).decode("ascii")
        audio = (f'<audio controls src="data:audio/wav;base64,{data}"></audio>'
                 f"<p class=note>Clip of the window above, from the call recording.</p>")
    elif clip:
        audio = f"<p>Audio clip recorded at {e(clip)} but not found on this machine.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Incident {e(inc['id'][:8])}</title>
<style>{_CSS}</style></head><body>
<h1>Incident report: {e(inc['category'])} ({e(inc['form'])})</h1>
<p class=note>Produced by voiceassist from the call store. Times in the call are minutes:seconds
from the start of the call; trigger words are highlighted. The transcript is automatic speech
recognition and may contain errors; long numbers and e-mail addresses may be masked.</p>
<h2>Call and incident</h2><table>{rows}</table>
<h2>Trigger words</h2><table><tr><th>time</th><th>cue</th><th>kind</th><th>words</th></tr>{triggers}</table>
<h2>Transcript around the incident</h2>
<table><tr><th>time</th><th>speaker</th><th>text</th></tr>{lines}</table>
<h2>Audio</h2>{audio}
</body></html>
"""
