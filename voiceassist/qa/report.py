"""The HTML report of ``voiceassist eval --report FILE.html``: one self-contained file (inline CSS,
JS and SVG; nothing loaded from the network) with the summary tables and, per call, a timeline
(speech activity of caller and agent, transcript words, expected windows, cue markers coloured by
outcome) and a log of the call where every cue shows *why* it fired.

:func:`timeline_svg` is pure (view-model -> SVG text); :func:`render_report` fills the Jinja2
template ``voiceassist/data/report.html.j2``. Deterministic: the same runs give the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from voiceassist.paths import PACKAGE_DIR
from voiceassist.qa.evalrun import CallRun

#: Outcome colours (also used by the template's legend and tables).
COLOURS = {
    "hit": "#1f9d55",
    "false": "#d63a3a",
    "miss": "#e68a00",
    "window": "#3d7be0",
    "quiet": "#8a94a6",
    "caller": "#44546f",
    "agent": "#8fa0bf",
}
#: Left gutter for lane labels, px.
GUTTER = 78
LANES = {
    # name: (y, height)
    "expect": (24, 20),
    "caller": (52, 14),
    "caller_words": (68, 14),
    "agent": (90, 14),
    "agent_words": (106, 14),
    "cues": (128, 28),
    "coaching": (160, 24),
}
HEIGHT = 190
#: Placeholder of a marker's x while the markers are laid out (no text can hold it).
CX = "\x00cx\x00"
#: Least distance between the centres of two cue markers of a lane, px (a marker's radius is 9).
MARKER_GAP = 20


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _t(ms: int) -> str:
    """``m:ss.s`` label for ms of call time."""
    m, rest = divmod(ms, 60_000)
    return f"{m}:{rest / 1000:04.1f}"


def timeline_width(duration_ms: int) -> int:
    """Drawing width in px for a call: 14 px per second, at least 1000 and at most 8000."""
    return int(min(8000, max(1000, duration_ms / 1000 * 14)))


def _label_px(text: str, px_per_char: float = 6.6) -> float:
    """Rough width of a window label (11 px monospace-ish text) plus its padding, px."""
    return 8 + px_per_char * len(text)


def _rows(spans: Sequence[tuple[float, float]], gap: float = 2.0) -> list[int]:
    """Row of each ``(x0, x1)`` span so that spans in one row never overlap (greedy, in order of
    x0); 0 = the first row."""
    ends: list[float] = []
    rows = [0] * len(spans)
    for i in sorted(range(len(spans)), key=lambda k: spans[k][0]):
        x0, x1 = spans[i]
        row = next((r for r, end in enumerate(ends) if end + gap <= x0), len(ends))
        if row == len(ends):
            ends.append(x1)
        else:
            ends[row] = x1
        rows[i] = row
    return rows


def timeline_svg(run: CallRun, call_index: int) -> str:
    """SVG timeline of one call (see module doc). Elements with ``data-tip`` get a tooltip from the
    page script; ``<title>`` children give the same text without script."""
    exp = run.expectations
    # The drawing reaches past the call's end when an expected window or a cue does (after-call
    # cues come at or after the hang-up), so nothing is cut off at the right edge.
    ends = [run.duration_ms, *(c.at_ms for c in run.cues)]
    if exp is not None:
        ends += [v.expected.end_ms for v in run.match.expectations]
    dur = max(1, *ends)
    width = timeline_width(dur)
    scale = width / dur

    def x(ms: int) -> float:
        return round(GUTTER + ms * scale, 1)

    def header(px: float) -> str:
        return (f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{px:g}" '
                f'height="{HEIGHT}" style="width:100%;min-width:{px:g}px;height:auto" '
                f'viewBox="0 0 {px:g} {HEIGHT}" role="img" aria-label="timeline of {_esc(run.name)}">')

    out: list[str] = [header(GUTTER + width + 12)]
    # quiet spans (hatched background over all lanes)
    if exp is not None:
        for a, b in exp.quiet:
            a, b = max(0, a), min(b, dur)
            if b > a:
                out.append(
                    f'<rect class="quiet" x="{x(a)}" y="20" width="{round((b - a) * scale, 1)}" '
                    f'height="{HEIGHT - 22}" data-tip="quiet span {_t(a)}-{_t(b)}: no cue may fire here">'
                    f"<title>quiet span {_t(a)}-{_t(b)}</title></rect>"
                )
    # axis
    steps = (1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000)
    step = next((s for s in steps if s * scale >= 60), steps[-1])
    out.append(f'<line class="axis" x1="{GUTTER}" y1="18" x2="{x(dur)}" y2="18"/>')
    for t in range(0, dur + 1, step):
        out.append(f'<line class="tick" x1="{x(t)}" y1="14" x2="{x(t)}" y2="{HEIGHT - 4}"/>')
        if (dur - t) * scale >= 34:  # no label squeezed against the right edge
            mins, secs = divmod(t // 1000, 60)
            out.append(f'<text class="ticklabel" x="{x(t) + 2}" y="11">{mins}:{secs:02d}</text>')
    for lane, label in (
        ("expect", "expected"),
        ("caller", "caller"),
        ("caller_words", "words"),
        ("agent", "agent"),
        ("agent_words", "words"),
        ("cues", "cues"),
        ("coaching", "coaching"),
    ):
        y, h = LANES[lane]
        out.append(f'<text class="lanelabel" x="{GUTTER - 6}" y="{y + h / 2 + 4}">{label}</text>')
    # expected windows
    if exp is not None:
        y0, h0 = LANES["expect"]
        rows = _rows([(x(v.expected.start_ms), x(v.expected.start_ms)
                       + max((v.expected.end_ms - v.expected.start_ms) * scale, _label_px(v.expected.cue)))
                      for v in run.match.expectations])
        n_rows = max(rows, default=0) + 1
        wh = round(h0 / n_rows, 1)
        font = "" if n_rows == 1 else f' style="font-size:{max(7.0, min(11.0, wh - 2)):g}px"'
        for i, v in enumerate(run.match.expectations):
            e = v.expected
            wy = round(y0 + rows[i] * wh, 1)
            w = max(2.0, round((e.end_ms - e.start_ms) * scale, 1))
            state = "hit" if v.hit else "miss"
            tip = f"expected {e.cue} in {_t(e.start_ms)}-{_t(e.end_ms)}" + (
                f" ({e.category})" if e.category else ""
            )
            tip += " - hit" if v.hit else " - MISSED"
            out.append(
                f'<g class="window {state}" data-tip="{_esc(tip)}" data-target="c{call_index}-e{i}">'
                f'<rect class="band" x="{x(e.start_ms)}" y="{y0 - 2}" width="{w}" '
                f'height="{HEIGHT - y0 - 4}"/>'
                f'<rect class="chip" x="{x(e.start_ms)}" y="{wy}" width="{w}" height="{wh}" rx="3"/>'
                f'<svg x="{x(e.start_ms)}" y="{wy}" width="{w}" height="{wh}">'
                f'<text x="4" y="{round(wh * 0.7, 1)}"{font}>{_esc(e.cue)}</text></svg>'
                f"<title>{_esc(tip)}</title></g>"
            )
    # speech activity and words
    for who in ("caller", "agent"):
        y, h = LANES[who]
        for s in run.speech:
            if s.speaker == who and s.end_ms > s.start_ms:
                tip = f"{who} speech {_t(s.start_ms)}-{_t(s.end_ms)}"
                out.append(
                    f'<rect class="speech {who}" x="{x(s.start_ms)}" y="{y}" '
                    f'width="{max(1.0, round((s.end_ms - s.start_ms) * scale, 1))}" height="{h}" rx="2" '
                    f'data-tip="{tip}"><title>{tip}</title></rect>'
                )
        y, h = LANES[f"{who}_words"]
        for k, utt in enumerate(t for t in run.finals if t.speaker == who):
            words = utt.words or ()
            for j, word in enumerate(words):
                ww = max(1.0, round((word.end_ms - word.start_ms) * scale, 1))
                tip = f"{word.text} ({_t(word.start_ms)}-{_t(word.end_ms)})"
                out.append(
                    f'<rect class="word {"odd" if (j + k) % 2 else "even"}" x="{x(word.start_ms)}" y="{y}" '
                    f'width="{ww}" height="{h}" data-tip="{_esc(tip)}"><title>{_esc(tip)}</title></rect>'
                )
            uw = max(1.0, round((utt.end_ms - utt.start_ms) * scale, 1))
            out.append(
                f'<svg x="{x(utt.start_ms)}" y="{y}" width="{uw}" height="{h}" class="uttclip">'
                f'<text x="2" y="{h - 3.5}">{_esc(utt.text)}</text></svg>'
            )
    # cues and misses (agent-side coaching cues in their own lane)
    y, h = LANES["cues"]
    cy = y + h / 2
    coach_y = LANES["coaching"][0] + LANES["coaching"][1] / 2
    judged = {id(cv.cue) for cv in run.match.cues}
    for c in run.cues:
        if c.category == "coaching" and id(c) not in judged:
            tip = f"coaching {c.cue} at {_t(c.at_ms)} (agent side, not judged in this call) | {c.form}"
            if c.why:
                tip += f" | {c.why}"
            out.append(
                f'<g class="cue coach" data-tip="{_esc(tip)}" tabindex="0">'
                f'<rect x="{x(c.at_ms) - 6}" y="{coach_y - 6}" width="12" height="12" rx="2"/>'
                f"<title>{_esc(tip)}</title></g>"
            )
    # Markers never hide one another: in each lane they are placed left to right, one moved right
    # of its time (its stem still starts at the time) when it would overlap the one before; false
    # cues are painted after hits.
    markers: list[tuple[float, float, int, str]] = []  # (x of the time, lane y, paint order, svg)
    for i, cv in enumerate(run.match.cues):
        c = cv.cue
        cy = coach_y if c.category == "coaching" else y + h / 2
        state = "hit" if cv.outcome == "hit" else "false"
        flag = " in a quiet span" if cv.in_quiet else (" (forbidden)" if cv.forbidden else "")
        tip = f"#{i + 1} {c.cue} at {_t(c.at_ms)} - {'hit' if state == 'hit' else 'FALSE CUE' + flag}"
        if c.decided_ms is not None:
            tip += f", decided at {_t(c.decided_ms)}"
        if cv.latency_ms is not None:
            tip += f", latency {cv.latency_ms} ms"
        tip += f" | {c.category}/{c.form} rung {c.rung} | matched: {' '.join(c.matched) or '-'}"
        if c.why:
            tip += f" | {c.why}"
        head = (f'<g class="cue {state}" data-tip="{_esc(tip)}" data-target="c{call_index}-q{i}" '
                f'tabindex="0">')  # fmt: skip
        body = f'<circle cx="{CX}" cy="{cy}" r="9"/><text x="{CX}" y="{cy + 3.5}">{i + 1}</text>'
        markers.append((x(c.at_ms), cy, 0 if state == "hit" else 1,
                        head + f'<line x1="{x(c.at_ms)}" y1="20" x2="{CX}" y2="{cy}"/>' + body
                        + f"<title>{_esc(tip)}</title></g>"))  # fmt: skip
    for i, ev in enumerate(run.match.expectations):
        if ev.hit:
            continue
        cy = coach_y if ev.expected.category == "coaching" else y + h / 2
        e = ev.expected
        at = e.anchor_ms if e.anchor_ms is not None else e.end_ms
        tip = f"MISSED {e.cue}: expected in {_t(e.start_ms)}-{_t(e.end_ms)}"
        markers.append((x(at), cy, 2,
                        f'<g class="cue miss" data-tip="{_esc(tip)}" data-target="c{call_index}-e{i}" '
                        'tabindex="0">'
                        f'<circle cx="{CX}" cy="{cy}" r="8"/><text x="{CX}" y="{cy + 3.5}">?</text>'
                        f"<title>{_esc(tip)}</title></g>"))  # fmt: skip
    last: dict[float, float] = {}
    placed: list[tuple[int, str]] = []
    right: float = GUTTER + width + 12
    for tx, cy, order, svg in sorted(markers, key=lambda m: (m[1], m[0], m[2])):
        cx = round(max(tx, last.get(cy, -1e9) + MARKER_GAP), 1)
        last[cy] = cx
        right = max(right, cx + 12)
        placed.append((order, svg.replace(CX, str(cx))))
    out.extend(svg for _, svg in sorted(placed, key=lambda p: p[0]))
    out[0] = header(right)
    out.append("</svg>")
    return "".join(out)


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v * 100:.1f}%" if pct else f"{v:g}"


def call_log(run: CallRun, call_index: int) -> list[dict[str, Any]]:
    """The call as a time-ordered log: utterances, cues and missed expectations (for the template)."""
    items: list[tuple[int, int, dict[str, Any]]] = []
    for t in run.finals:
        utt = {"kind": "utt", "at": _t(t.start_ms), "speaker": t.speaker, "text": t.text}
        items.append((t.start_ms, 0, utt))
    exp_of = {v.cue_index: i for i, v in enumerate(run.match.expectations) if v.cue_index is not None}
    for i, v in enumerate(run.match.cues):
        c = v.cue
        e = run.match.expectations[v.expectation].expected if v.expectation is not None else None
        note = ""
        if v.outcome == "false":
            note = "in a quiet span" if v.in_quiet else ("forbidden cue" if v.forbidden else "not expected")
        items.append(
            (
                c.at_ms,
                1,
                {
                    "kind": "cue",
                    "id": f"c{call_index}-q{i}",
                    "alt_id": f"c{call_index}-e{exp_of[i]}" if i in exp_of else "",
                    "n": i + 1,
                    "at": _t(c.at_ms),
                    "outcome": v.outcome,
                    "note": note,
                    "cue": c.cue,
                    "category": c.category,
                    "form": c.form,
                    "rung": c.rung,
                    "severity": c.severity,
                    "say": c.say,
                    "script": c.script,
                    "matched": " ".join(c.matched),
                    "rule": c.rule,
                    "why": c.why,
                    "latency": v.latency_ms,
                    "window": f"{_t(e.start_ms)}-{_t(e.end_ms)}" if e else "",
                },
            )
        )
    for i, ev in enumerate(run.match.expectations):
        if not ev.hit:
            e = ev.expected
            items.append(
                (
                    e.end_ms,
                    2,
                    {
                        "kind": "miss",
                        "id": f"c{call_index}-e{i}",
                        "at": _t(e.end_ms),
                        "cue": e.cue,
                        "category": e.category or "",
                        "window": f"{_t(e.start_ms)}-{_t(e.end_ms)}",
                        "name": e.name,
                    },
                )
            )
    items.sort(key=lambda it: (it[0], it[1]))
    return [d for _, _, d in items]


def _short(run: CallRun) -> str:
    """``it/benign01`` for ``out/corpus/it/benign01_bolletta.wav`` (index labels), ``[asr]`` added."""
    parts = run.call.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    label = f"{parts[-2]}/{stem}" if len(parts) > 1 else stem
    return label + (" [asr]" if run.mode == "asr" else "")


def render_report(runs: Sequence[CallRun], summary: dict[str, Any], title: str = "voiceassist eval") -> str:
    """The whole HTML document."""
    try:  # lazy: only --report needs it
        import jinja2
        import markupsafe
    except ImportError:
        from voiceassist.errors import ConfigError

        raise ConfigError("the HTML report needs jinja2", hint="pip install 'voiceassist[eval]'") from None

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "data")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda v: _fmt(v, pct=True)
    env.filters["num"] = _fmt
    env.filters["t"] = _t
    calls = []
    for i, run in enumerate(runs):
        calls.append(
            {
                "index": i,
                "run": run,
                "svg": markupsafe.Markup(timeline_svg(run, i)),
                "log": call_log(run, i),
                "checks": run.match.checks,
                "short": _short(run),
                "utterances": len(run.finals),
                "hits": sum(v.hit for v in run.match.expectations),
                "expected": len(run.match.expectations),
                "false": sum(v.outcome == "false" for v in run.match.cues),
            }
        )
    modes = {
        mode: {key: [asdict(r) for r in rows] for key, rows in tables.items()}
        for mode, tables in summary["modes"].items()
    }
    template = env.get_template("report.html.j2")
    return template.render(title=title, summary=summary, modes=modes, calls=calls, colours=COLOURS)


__all__ = ["COLOURS", "call_log", "render_report", "timeline_svg", "timeline_width"]
