"""Reference transcripts (WebVTT or JSONL) and a recogniser that replays them in audio time.

WebVTT: cues with ``start --> end`` timings; ``<v caller>`` / ``<v agent>`` voice tags name the
speaker (no tag = caller); other tags are dropped. The call's language, when the file names it:
a ``Language: es`` header line, or a first ``NOTE es: title`` block (as ``scripts/make_calls.py``
writes) (:func:`transcript_lang`).

JSONL (``*.jsonl``): one utterance per line,
``{"speaker": "caller", "start_ms": 1200, "end_ms": 2900, "text": "...",
"words": [{"text": "...", "start_ms": ..., "end_ms": ..., "conf": 1.0}, ...]}`` with
``words`` optional; a ``"lang": "es"`` field on any line names the call's language. Blank lines
are ignored.

Without word times, an utterance's time is shared among its words by their length. The
recogniser emits, as call time passes, a partial each time a word's end passes, then the final
at the utterance's end: the same event kinds vosk produces, fully deterministic.
Malformed files raise :class:`TranscriptError` naming ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceassist.audio.block import Pcm16, samples_to_ms
from voiceassist.errors import InputFileError, TranscriptError
from voiceassist.events import Speaker, Transcript, Word

SPEAKERS: tuple[Speaker, ...] = ("caller", "agent")


@dataclass(frozen=True)
class RefUtterance:
    """One utterance of a reference transcript; times in ms of call time."""

    speaker: Speaker
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]
    #: ``file:line`` where it was defined.
    where: str = ""


def load_transcript(path: Path | str) -> list[RefUtterance]:
    """Read a ``.vtt`` or ``.jsonl`` reference transcript (by suffix; otherwise by content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"transcript not found: {path}") from None
    except UnicodeDecodeError:
        raise TranscriptError(f"{path}: not a UTF-8 text file (expected WebVTT or JSONL)") from None
    except OSError as exc:
        raise InputFileError(f"cannot read transcript {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT"):
        return parse_vtt(text, str(path))
    return parse_jsonl(text, str(path))


# WebVTT --------------------------------------------------------------------------------------
_TS = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_TIMING = re.compile(rf"^\s*{_TS}\s+-->\s+{_TS}(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def _ts_ms(h: str | None, m: str, s: str, ms: str) -> int:
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _speaker(name: str, where: str) -> Speaker:
    low = name.strip().lower()
    if low == "caller":
        return "caller"
    if low == "agent":
        return "agent"
    raise TranscriptError(f"{where}: speaker must be 'caller' or 'agent', not {name.strip()!r}")


def parse_vtt(text: str, source: str = "<vtt>") -> list[RefUtterance]:
    """Parse WebVTT text; ``source`` names the file in errors."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptError(f"{source}:1: a WebVTT file must start with 'WEBVTT'")
    out: list[RefUtterance] = []
    i = 1
    while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
        i += 1  # header lines up to the first blank line (``Kind: captions``, ``Language: es``)
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        # A block: NOTE/STYLE/REGION are skipped, otherwise optional id line, then timing.
        block_start = i
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        head = block[0].strip()
        if head.startswith(("NOTE", "STYLE", "REGION")):
            continue
        t = 0
        if "-->" not in block[0]:
            t = 1
        if t >= len(block) or "-->" not in block[t]:
            raise TranscriptError(f"{source}:{block_start + 1}: expected a cue timing 'start --> end'")
        where = f"{source}:{block_start + t + 1}"
        m = _TIMING.match(block[t])
        if not m:
            raise TranscriptError(
                f"{where}: bad cue timing {block[t].strip()!r} (use 00:01.000 --> 00:02.500)"
            )
        g = m.groups()
        start, end = _ts_ms(*g[0:4]), _ts_ms(*g[4:8])
        if end <= start:
            raise TranscriptError(f"{where}: cue ends ({end} ms) before it starts ({start} ms)")
        payload = " ".join(block[t + 1 :])
        voice = _VOICE.search(payload)
        speaker = _speaker(voice.group(1), where) if voice else "caller"
        words_text = " ".join(_TAG.sub(" ", payload).split())
        if not words_text:
            raise TranscriptError(f"{where}: cue has no text")
        out.append(
            _utterance(speaker, start, end, words_text, _timed_words(payload, start, end, where), where)
        )
    return out


_INLINE_TS = re.compile(rf"<({_TS})>")


def _timed_words(payload: str, start: int, end: int, where: str) -> tuple[Word, ...] | None:
    """Word times from WebVTT inline timestamps (``word <00:00:01.250>next``): each timestamp
    starts the text after it; a word ends where the next begins (the last at the cue's end).
    Words between two timestamps share their span by length. None without inline timestamps."""
    parts = _INLINE_TS.split(payload)
    if len(parts) == 1:
        return None
    # parts: text, ts-full, h, m, s, ms, text, ...
    segments: list[tuple[int, str]] = [(start, parts[0])]
    for k in range(1, len(parts), 6):
        at = _ts_ms(*parts[k + 1 : k + 5])
        if not start <= at <= end or at < segments[-1][0]:
            raise TranscriptError(f"{where}: inline timestamp {parts[k]} is outside the cue or out of order")
        segments.append((at, parts[k + 5]))
    words: list[Word] = []
    for i, (seg_start, text) in enumerate(segments):
        seg_end = segments[i + 1][0] if i + 1 < len(segments) else end
        tokens = _TAG.sub(" ", text).split()
        if tokens:
            words.extend(spread_words(tokens, seg_start, seg_end))
    return tuple(words) or None


# JSONL ---------------------------------------------------------------------------------------
def parse_jsonl(text: str, source: str = "<jsonl>") -> list[RefUtterance]:
    """Parse a JSONL transcript; ``source`` names the file in errors."""
    out: list[RefUtterance] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise TranscriptError(f"{where}: each line must be a JSON object")
        speaker = _speaker(str(obj.get("speaker", "caller")), where)
        start = _int_field(obj, "start_ms", where)
        end = _int_field(obj, "end_ms", where)
        if end <= start:
            raise TranscriptError(f"{where}: end_ms ({end}) must be after start_ms ({start})")
        txt = obj.get("text")
        if not isinstance(txt, str) or not txt.strip():
            raise TranscriptError(f"{where}: 'text' must be a non-empty string")
        words = _json_words(obj.get("words"), start, end, where)
        out.append(_utterance(speaker, start, end, " ".join(txt.split()), words, where))
    return out


def _int_field(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TranscriptError(f"{where}: '{key}' must be a non-negative number of ms, not {value!r}")
    return int(value)


def _json_words(raw: Any, start: int, end: int, where: str) -> tuple[Word, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise TranscriptError(f"{where}: 'words' must be a list")
    words: list[Word] = []
    for k, w in enumerate(raw):
        if not isinstance(w, dict) or not isinstance(w.get("text"), str):
            raise TranscriptError(f"{where}: words[{k}] needs 'text', 'start_ms' and 'end_ms'")
        ws = _int_field(w, "start_ms", f"{where}: words[{k}]")
        we = _int_field(w, "end_ms", f"{where}: words[{k}]")
        if we < ws or ws < start or we > end:
            raise TranscriptError(f"{where}: words[{k}] times must lie inside the utterance, in order")
        conf = w.get("conf", 1.0)
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise TranscriptError(f"{where}: words[{k}].conf must be between 0 and 1")
        words.append(Word(text=w["text"], start_ms=ws, end_ms=we, conf=float(conf)))
    return tuple(words)


def _utterance(
    speaker: Speaker, start: int, end: int, text: str, words: tuple[Word, ...] | None, where: str
) -> RefUtterance:
    if not words:
        words = spread_words(text.split(), start, end)
    return RefUtterance(speaker=speaker, start_ms=start, end_ms=end, text=text, words=words, where=where)


def spread_words(tokens: list[str], start: int, end: int) -> tuple[Word, ...]:
    """Share ``start..end`` ms among ``tokens`` in proportion to their length."""
    total = sum(len(t) for t in tokens) or 1
    words: list[Word] = []
    acc = 0
    for tok in tokens:
        ws = start + (end - start) * acc // total
        acc += len(tok)
        we = start + (end - start) * acc // total
        words.append(Word(text=tok, start_ms=ws, end_ms=we))
    return tuple(words)


# Recogniser ----------------------------------------------------------------------------------
class ReferenceRecognizer:
    """Replays one speaker's utterances of a reference transcript as audio time passes.

    Implements :class:`voiceassist.stt.base.Recognizer`; the audio itself is ignored.
    """

    def __init__(self, utterances: Iterable[RefUtterance], speaker: Speaker = "caller") -> None:
        self.speaker: Speaker = speaker
        mine = [u for u in utterances if u.speaker == speaker]
        self._utts = sorted(mine, key=lambda u: (u.start_ms, u.end_ms))
        self._next = 0  # index of the first utterance without a final yet
        self._words_done = 0  # partial words emitted for utterance self._next

    def accept(self, pcm: Pcm16, start_sample: int) -> list[Transcript]:
        return self.advance(start_sample + len(pcm))

    def end_utterance(self, at_sample: int) -> list[Transcript]:
        return self.advance(at_sample)

    def advance(self, now_sample: int) -> list[Transcript]:
        now = samples_to_ms(now_sample)
        out: list[Transcript] = []
        while self._next < len(self._utts):
            utt = self._utts[self._next]
            while self._words_done < len(utt.words) and utt.words[self._words_done].end_ms <= now:
                self._words_done += 1
                shown = utt.words[: self._words_done]
                out.append(
                    Transcript(
                        speaker=self.speaker,
                        kind="partial",
                        text=" ".join(w.text for w in shown),
                        start_ms=utt.start_ms,
                        end_ms=shown[-1].end_ms,
                        words=shown,
                        utterance=self._next,
                        stable=True,  # a reference transcript's words never change
                    )
                )
            if utt.end_ms > now:
                break
            out.append(self._final(utt))
        return out

    def flush(self, at_sample: int) -> list[Transcript]:
        """End of call: utterances that started before it are settled; later ones are dropped."""
        out = self.advance(at_sample)
        now = samples_to_ms(at_sample)
        while self._next < len(self._utts) and self._utts[self._next].start_ms < now:
            out.append(self._final(self._utts[self._next]))
        self._next = len(self._utts)
        return out

    def _final(self, utt: RefUtterance) -> Transcript:
        event = Transcript(
            speaker=self.speaker,
            kind="final",
            text=utt.text,
            start_ms=utt.start_ms,
            end_ms=utt.end_ms,
            words=utt.words,
            utterance=self._next,
        )
        self._next += 1
        self._words_done = 0
        return event


_VTT_LANG = re.compile(r"^(?:Language:\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$|NOTE\s+([a-z]{2}):)")


def transcript_lang(path: Path | str) -> str | None:
    """The call language a transcript names (lower-case primary tag: ``es``), or None.

    WebVTT: a ``Language: es`` (or ``es-ES``) line in the header, or a ``NOTE es: ...`` block
    before the first cue. JSONL: the first line with a ``"lang"`` string. An unreadable file gives
    None (:func:`load_transcript` reports it)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if Path(path).suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT"):
        for line in text.splitlines()[1:]:
            if "-->" in line:
                return None  # the cues began: no language named before them
            m = _VTT_LANG.match(line.strip())
            if m:
                return (m.group(1) or m.group(2)).lower()
        return None
    for line in text.splitlines():
        try:
            obj = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            return None
        if isinstance(obj, dict) and isinstance(obj.get("lang"), str) and obj["lang"].strip():
            return obj["lang"].strip().split("-")[0].split("_")[0].lower()
    return None


def find_transcript_beside(audio: Path) -> Path | None:
    """``CALL.vtt`` or ``CALL.transcript.jsonl`` next to ``CALL.wav`` (for ``--transcript auto``)."""
    for candidate in (audio.with_suffix(".vtt"), audio.with_suffix(".transcript.jsonl")):
        if candidate.is_file():
            return candidate
    return None
