"""``voiceassist detect --lang xx``: caller utterances on stdin, one JSON cue per line on stdout.

Contract (issue 4): a line is plain text (one caller utterance of the single call ``"default"``)
or a JSON object ``{"call": str, "text": str, "start_ms": int?, "end_ms": int?,
"speaker": "caller"|"agent"?, "end": bool?}``. Each call has its own engine state, released
after a line with ``"end": true`` (its text, if any, is handled first; ``text`` may then be left
out); without times the
utterances of a call are 4000 ms apart. Every cue is written at once as
``{"call", "line", "start_ms", "cue", "category", "form", "rung", "severity", "matched",
"rule"}`` (``start_ms`` is the start of the utterance that triggered it). A malformed JSON line
gets a message on stderr naming the line and is skipped; the exit code is 0 at end of input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from voiceassist.errors import ExitCode
from voiceassist.langs import LANGS

#: Call id of plain-text lines (and of JSON lines without "call").
DEFAULT_CALL = "default"
#: Spacing of consecutive utterances of a call without times, ms.
STEP_MS = 4000
#: Longest input line read, characters; a longer line is drained and skipped with a message.
MAX_LINE_CHARS = 65_536
#: Calls whose state is kept at once; the call idle longest is released beyond it (a later line of
#: a released call starts it afresh), so a stream of many calls stays flat in memory.
MAX_OPEN_CALLS = 1_000
#: Lone UTF-16 surrogates: valid in JSON escapes ("\\ud800"), not encodable as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("detect", help="read caller utterances on stdin, print cues as JSON lines")
    p.add_argument("--lang", required=True, help=f"caller language ({', '.join(LANGS)})")
    p.add_argument("--agent-lang", default=None, help="language of cue texts (default: --lang)")
    p.add_argument("--rules", dest="rule_dirs", action="append", type=Path, default=[], metavar="DIR",
                   help="extra rule folder layered on the shipped rules (repeatable)")  # fmt: skip
    p.set_defaults(func=run)


@dataclass
class _Call:
    engine: Any
    next_start: int = 0
    utterances: int = 0


def _duration(text: str) -> int:
    """Default utterance length without end_ms: 300 ms per word, within [500, 3500] ms."""
    return max(500, min(3500, 300 * max(1, len(text.split()))))


def parse_line(raw: str) -> tuple[str, str, int | None, int | None, str, bool] | str:
    """``(call, text, start_ms, end_ms, speaker, end)`` or an error message for a bad JSON line
    (``end``: the call is over after this line)."""
    line = raw.strip()
    if not line.startswith("{"):
        return (DEFAULT_CALL, line, None, None, "caller", False)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"malformed JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return "malformed JSON (nested too deep)"
    if not isinstance(obj, dict):
        return "malformed JSON (expected an object)"
    call = obj.get("call", DEFAULT_CALL)
    text = obj.get("text")
    speaker = obj.get("speaker", "caller")
    ends = obj.get("end", False)
    if not isinstance(ends, bool):
        return '"end" must be true or false'
    if text is None and ends:
        text = ""
    if not isinstance(call, str):
        return '"call" must be a string'
    if not isinstance(text, str):
        return '"text" must be a string'
    if speaker not in ("caller", "agent"):
        return '"speaker" must be "caller" or "agent"'
    call, text = _SURROGATE.sub("\ufffd", call), _SURROGATE.sub("\ufffd", text)
    times: list[int | None] = []
    for key in ("start_ms", "end_ms"):
        v = obj.get(key)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0
        ):
            return f'"{key}" must be a number of ms >= 0'
        times.append(None if v is None else int(v))
    return (call, text, times[0], times[1], speaker, ends)


def run(args: argparse.Namespace) -> int:
    return process_stream(args, sys.stdin, sys.stdout, sys.stderr)


def process_stream(args: argparse.Namespace, inp: TextIO, out: TextIO, err: TextIO) -> int:
    from voiceassist.escalation.explain import words_for
    from voiceassist.events import Transcript
    from voiceassist.session import Assembly, SessionConfig
    from voiceassist.session.config import CallSection

    assembly = Assembly(SessionConfig(call=CallSection(lang=args.lang, agent_lang=args.agent_lang or ""),
                                      rule_dirs=tuple(args.rule_dirs)))
    # Fail early (bad language, broken rules) before reading input. Each new call gets an engine
    # on the rules loaded here: no re-scan of the rule folders per call (~5 ms each), and one
    # stream is judged by one rule set.
    first = assembly.engine()

    def new_engine() -> Any:
        return type(first)(first.rules, first.lang, agent_lang=first.agent_lang, agent_name=first.agent_name,
                           scorer=first.scorer)
    calls: dict[str, _Call] = {}
    if hasattr(inp, "reconfigure"):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            inp.reconfigure(errors="replace")
    lineno = 0
    while True:
        raw = inp.readline(MAX_LINE_CHARS + 1)
        if not raw:
            break
        lineno += 1
        if len(raw) > MAX_LINE_CHARS and not raw.endswith("\n"):
            while (rest := inp.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                pass  # drain the rest of the over-long line without holding it
            print(f"voiceassist detect: line {lineno}: longer than {MAX_LINE_CHARS} characters; skipped",
                  file=err, flush=True)
            continue
        if not raw.strip():
            continue
        parsed = parse_line(raw)
        if isinstance(parsed, str):
            print(f"voiceassist detect: line {lineno}: {parsed}; skipped", file=err, flush=True)
            continue
        call_id, text, start, end, speaker, ends = parsed
        if ends and not text.strip():
            calls.pop(call_id, None)  # the call is over: release its state
            continue
        call = calls.pop(call_id, None)
        if call is None:
            call = _Call(new_engine())
            while len(calls) >= MAX_OPEN_CALLS:
                calls.pop(next(iter(calls)))  # release the call idle longest
        calls[call_id] = call  # most recently used last
        if start is None:
            start = call.next_start if end is None else max(0, end - _duration(text))
        if end is None or end < start:
            end = start + _duration(text)
        call.next_start = start + STEP_MS
        words = words_for(text, start, end)
        event = Transcript(speaker, "final", text, start, end, words, call.utterances)  # type: ignore[arg-type]
        if speaker == "caller":
            call.utterances += 1
        for cue in call.engine.process(event):
            record = {
                "call": call_id,
                "line": lineno,
                "start_ms": start,
                "cue": cue.cue,
                "category": cue.category,
                "form": cue.form,
                "rung": cue.rung,
                "severity": cue.severity,
                "matched": list(cue.matched),
                "rule": cue.rule,
                # When the engine emitted it: the final transcript arrives at the utterance's end.
                "decided_ms": cue.decided_ms if cue.decided_ms is not None else end,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
        if ends:
            calls.pop(call_id, None)  # the call is over: release its state
    return int(ExitCode.OK)
