"""The store's listener on the event stream: one :class:`CallRecorder` per process, reused for
every call.

The run loop calls::

    rec = CallRecorder.open(StoreConfig.from_settings(settings))
    heads_up = rec.start_call(call_id, lang="it", agent="dana", caller_id="+39...")  # or None
    if heads_up: say, adjustments = heads_up       # whisper + lower thresholds for this call
    ...  pipeline.listeners.append(rec.on_event)    # Cue / Transcript / CallEnded ...
    after = rec.end_call(at_ms, reason="hangup", decision=d)  # records the after-call decision
    rec.close()                                     # flush (Ctrl-C safe)

``on_event`` is cheap and never blocks or raises: it updates in-memory call state and queues
records for the writer thread. The store's answers a call needs (flags at start, last break and
hard calls at the end) are asked for at call start on the reader thread
(:class:`~voiceassist.store.reads.StoreReads`) and waited for at most ``read_deadline_ms``: a
store that does not answer never holds up the call. All call-internal times are ms of call
time; wall-clock epoch ms is used only where a value must compare across calls (call start,
flags, alerts, breaks).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceassist.errors import StoreError
from voiceassist.escalation.model import severity_rank
from voiceassist.events import CallEnded, CallStarted, Cue, Event, Transcript
from voiceassist.store import records as rec
from voiceassist.store.config import StoreConfig
from voiceassist.store.reads import StoreReads
from voiceassist.store.redact import redact
from voiceassist.store.store import Flag
from voiceassist.store.validate import check_field, normalize_caller_id
from voiceassist.store.writer import Writer

log = logging.getLogger(__name__)

#: Cue categories the shared store never records: our own wellbeing cues, and the agent's
#: coaching cues (private to the agent: they are about the agent, not the caller).
_NOT_STORED = frozenset({"wellbeing", "coaching"})

#: How a cue category reads in a flag heads-up.
FLAG_WORDS = {
    "abuse": "abusive", "threat": "threatening", "racism": "racist", "sexism": "sexist",
    "hate": "hateful", "flirting": "harassing", "troll": "trolling", "anger": "aggressive",
}
@dataclass(frozen=True)
class HeadsUp:
    """What to tell the agent at call start about a flagged caller.

    Unpacks as ``say, adjustments = heads_up``. The cue the agent hears is built by the call
    assembly in the agent's language (:func:`voiceassist.session.after_call.heads_up_cue`).
    ``adjustments["threshold_scale"]`` multiplies the
    engine's strike thresholds for this call (0.75: a cue needs 75 % of the usual strikes)."""

    caller_id: str
    flags: tuple[Flag, ...]
    #: Short heads-up, e.g. ``caller flagged: abusive, 2 calls``.
    say: str
    #: One on-screen sentence.
    script: str
    adjustments: Mapping[str, float]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.say, self.adjustments))


@dataclass(frozen=True)
class AfterCall:
    """What the store recorded when a call ended (the decision is
    :func:`voiceassist.session.after_call.decide_after_call`)."""

    call_id: str
    #: The decision called the call hard.
    hard: bool
    #: Wellbeing cues to play now (a ``take_a_breath`` cue after a hard call), else empty.
    cues: tuple[Cue, ...] = ()
    suggest_break: bool = False
    #: Hard calls of this agent in the break window, this one included.
    hard_calls_in_window: int = 0
    #: Flag categories this call created or bumped.
    flagged: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()


@dataclass
class _Incident:
    id: str
    at_ms: int
    window_end_ms: int
    category: str
    form: str
    cue: str
    triggers: list[dict[str, Any]]
    transcript: list[dict[str, Any]]
    complete: bool = False


@dataclass
class _Call:
    uid: str
    ref: str
    lang: str
    agent: str
    caller_id: str | None
    started_at: int
    recording_path: Path | None
    cue_counts: Counter[str] = field(default_factory=Counter)
    alerted: set[tuple[str, str]] = field(default_factory=set)
    highest_rung: int = 0
    highest_cue: str | None = None
    #: (severity rank, rung) of highest_cue.
    highest_rank: tuple[int, int] = (-1, 0)
    urgent: int = 0
    last_ms: int = 0
    ring: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=400))
    incidents: list[_Incident] = field(default_factory=list)
    after: AfterCall | None = None


class CallRecorder:
    """Listener that turns pipeline events into store records (see module docstring)."""

    def __init__(
        self,
        config: StoreConfig,
        writer: Writer,
        *,
        webhook: Any | None = None,
        clock: Callable[[], float] = time.time,
        workstation: str | None = None,
    ):
        self.config = config
        self.writer = writer
        self.webhook = webhook
        self.clock = clock
        self.workstation = check_field("workstation", workstation or socket.gethostname())
        self.rejected = 0
        self._lock = threading.RLock()
        self._call: _Call | None = None
        self._reads = StoreReads(config.effective_url, deadline_ms=config.read_deadline_ms)
        self._reads.warm_up()
        #: (agent, the store's history read asked for at call start).
        self._history: tuple[str, Future[tuple[int | None, list[tuple[str, int]]]] | None] | None = None
        self._hard_calls: deque[tuple[int, str, str]] = deque(maxlen=1000)  # (ended_at, uid, agent)
        self._breaks: dict[str, int] = {}  # agent -> last break epoch ms
        # Calls a previous process on this workstation left open (killed mid-call) are closed as
        # interrupted; written after any orphaned spool of that process is replayed.
        now = self._now_ms()
        self._submit("close_interrupted", {"workstation": self.workstation, "before": now, "ended_at": now})

    @classmethod
    def open(cls, config: StoreConfig, **kwargs: Any) -> CallRecorder:
        """Start a writer thread (and the webhook sink when configured) for ``config``."""
        writer = Writer(
            config.effective_url, config.effective_spool_dir, queue_max=config.queue_max,
            batch_max=config.batch_max, retry_s=config.retry_s,
            write_deadline_s=config.write_deadline_s,
        ).start()
        if "webhook" not in kwargs and config.webhook_url:
            from voiceassist.alerts import WebhookSink

            kwargs["webhook"] = WebhookSink(config.webhook_url, timeout_s=config.webhook_timeout_s,
                                            retries=config.webhook_retries).start()
        return cls(config, writer, **kwargs)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _submit(self, kind: str, data: Mapping[str, Any]) -> None:
        self.writer.submit(rec.make(kind, data))

    # -- reads (asked at call start on the reader thread, each answer waited for a bounded time)
    @property
    def reads(self) -> StoreReads:
        return self._reads

    def _ask_flags(self, cid: str) -> Future[tuple[Flag, ...]] | None:
        at = self._now_ms()
        return self._reads.ask(lambda store: tuple(store.flags(cid, at_ms=at)))

    def _ask_history(self, agent: str) -> Future[tuple[int | None, list[tuple[str, int]]]] | None:
        since = self._now_ms() - self.config.break_window_min * 60_000
        return self._reads.ask(lambda store: (store.last_break_at(agent),
                                              store.hard_calls_since(agent, since)))

    def flag_heads_up(self, caller_id: str) -> HeadsUp | None:
        """The heads-up for a caller with active flags, else None (also None when the store
        does not answer within ``read_deadline_ms``: the call goes on without it). Raises
        UsageError for a malformed id."""
        cid = normalize_caller_id(caller_id)
        return self._heads_up(cid, self._ask_flags(cid))

    def _heads_up(self, cid: str, fut: Future[tuple[Flag, ...]] | None) -> HeadsUp | None:
        flags = self._reads.answer(fut, "flag lookup")
        if not flags:
            return None
        parts = [f"{FLAG_WORDS.get(f.category, f.category)}, {f.count} call{'s' if f.count != 1 else ''}"
                 for f in flags]
        say = "caller flagged: " + "; ".join(parts)
        total = max(f.count for f in flags)
        scale = (self.config.flag_strong_scale if total >= self.config.flag_strong_count
                 else self.config.flag_threshold_scale)
        return HeadsUp(cid, flags, say, "; ".join(parts), {"threshold_scale": scale})

    # -- call lifecycle -------------------------------------------------------------------------
    def start_call(
        self,
        call_id: str,
        *,
        lang: str,
        agent: str,
        caller_id: str | None = None,
        source: str = "",
        recording_path: Path | None = None,
    ) -> HeadsUp | None:
        """Begin recording a call; returns the flag heads-up for the caller, if any.

        Raises UsageError for a malformed caller id and RecordRejected (StoreError) for
        oversized fields, before anything is recorded."""
        cid = normalize_caller_id(caller_id) if caller_id else None
        uid, started = rec.new_id(), self._now_ms()
        data: dict[str, Any] = {
            "id": uid, "call_ref": call_id, "started_at": started, "lang": lang,
            "agent": agent, "caller_id": cid, "workstation": self.workstation, "source": source,
        }
        record = rec.make("call_start", data)
        with self._lock:
            if self._call is not None and self._call.after is None:
                self.end_call(self._call.last_ms, reason="new_call")
            self._call = _Call(uid, call_id, lang, agent, cid, started, recording_path)
            self.writer.submit(record)
        flags = self._ask_flags(cid) if cid else None
        self._history = (agent, self._ask_history(agent))  # read now, used when the call ends
        return self._heads_up(cid, flags) if cid else None

    @property
    def call_uid(self) -> str | None:
        """Store key of the current call (None between calls)."""
        return self._call.uid if self._call is not None and self._call.after is None else None

    def on_event(self, event: Event) -> None:
        """Listener entry point: never blocks, never raises."""
        try:
            with self._lock:
                self._on_event(event)
        except StoreError as exc:
            self.rejected += 1
            log.warning("store: %s event not recorded: %s", event.type, exc.message)
        except Exception:
            self.rejected += 1
            log.exception("store: %s event not recorded", event.type)

    def _on_event(self, event: Event) -> None:
        call = self._call
        if isinstance(event, CallStarted):
            if call is None or call.after is not None:
                self.start_call(event.call_id, lang=event.lang, agent="", source=event.source)
            return
        if call is None or call.after is not None:
            return  # between calls (e.g. our own wellbeing cue coming back)
        if isinstance(event, Cue):
            self._on_cue(call, event)
        elif isinstance(event, Transcript):
            if event.kind == "final":
                self._on_final(call, event)
        elif isinstance(event, CallEnded):
            self.end_call(event.at_ms, reason=event.reason)

    def _on_cue(self, call: _Call, cue: Cue) -> None:
        if cue.category in _NOT_STORED:
            return
        matched = json.dumps(list(cue.matched), ensure_ascii=False)
        self._submit("cue", {
            "id": rec.new_id(), "call_id": call.uid, "at_ms": cue.at_ms, "cue": cue.cue,
            "category": cue.category, "form": cue.form, "rung": cue.rung, "severity": cue.severity,
            "say": cue.say, "script": cue.script, "matched": matched, "rule": cue.rule,
            "utterance": cue.utterance, "speaker": cue.speaker, "why": cue.why,
        })
        call.last_ms = max(call.last_ms, cue.at_ms)
        call.cue_counts[cue.cue] += 1
        # Most severe first; the rung only breaks ties (rungs of two ladders are not comparable).
        rank = (severity_rank(cue.severity), cue.rung)
        if call.highest_cue is None or rank > call.highest_rank:
            call.highest_rank = rank
            call.highest_rung, call.highest_cue = cue.rung, cue.cue
        if cue.severity == "urgent":
            call.urgent += 1
        if cue.severity in self.config.alert_severities or cue.cue in self.config.alert_cues:
            self._alert(call, cue)
        self._advance_incidents(call, cue.at_ms)
        if cue.category in self.config.incident_categories:
            self._incident(call, cue)

    def _alert(self, call: _Call, cue: Cue) -> None:
        key = (cue.cue, cue.category)
        if key in call.alerted:
            return
        call.alerted.add(key)
        mins, secs = divmod(cue.at_ms // 1000, 60)
        who = f" (caller {call.caller_id})" if call.caller_id else ""
        data = {
            "id": rec.new_id(), "created_at": self._now_ms(), "call_id": call.uid, "at_ms": cue.at_ms,
            "kind": "cue", "cue": cue.cue, "category": cue.category, "severity": cue.severity,
            "agent": call.agent, "workstation": self.workstation, "caller_id": call.caller_id,
            "message": f"{call.agent or 'agent'} on {self.workstation}: {cue.cue} "
                       f"({cue.category}/{cue.form}) at {mins:02d}:{secs:02d}{who}",
        }
        self._submit("alert", data)
        if self.webhook is not None:
            self.webhook.send({"type": "voiceassist.alert", **data})

    # -- transcripts and incidents --------------------------------------------------------------
    def _on_final(self, call: _Call, tr: Transcript) -> None:
        text = check_field("text", tr.text)
        stored = redact(text) if self.config.redact else text
        seg = {"speaker": tr.speaker, "start_ms": tr.start_ms, "end_ms": tr.end_ms, "text": stored}
        call.last_ms = max(call.last_ms, tr.end_ms)
        if self.config.transcripts:
            self._submit("transcript", {"id": rec.new_id(), "call_id": call.uid, "speaker": tr.speaker,
                                        "utterance": tr.utterance, **{k: seg[k] for k in
                                                                      ("start_ms", "end_ms", "text")}})
        call.ring.append(seg)
        for inc in call.incidents:
            if not inc.complete and tr.start_ms <= inc.window_end_ms:
                inc.transcript.append(seg)
        self._advance_incidents(call, tr.start_ms)

    def _incident(self, call: _Call, cue: Cue) -> None:
        trigger = {"at_ms": cue.at_ms, "cue": cue.cue, "form": cue.form, "words": list(cue.matched)}
        window = self.config.incident_window_ms
        for inc in call.incidents:
            if not inc.complete:  # the threat goes on: same incident, later end
                inc.triggers.append(trigger)
                inc.window_end_ms = max(inc.window_end_ms, cue.at_ms + window)
                return
        before = [s for s in call.ring if s["end_ms"] >= cue.at_ms - window]
        inc = _Incident(rec.new_id(), cue.at_ms, cue.at_ms + window, cue.category, cue.form, cue.cue,
                        [trigger], list(before))
        call.incidents.append(inc)
        self._submit("incident_open", {
            "id": inc.id, "call_id": call.uid, "opened_at": self._now_ms(), "at_ms": cue.at_ms,
            "window_start_ms": max(0, cue.at_ms - window), "window_end_ms": inc.window_end_ms,
            "caller_id": call.caller_id, "agent": call.agent, "lang": call.lang,
            "workstation": self.workstation, "category": cue.category, "form": cue.form, "cue": cue.cue,
            "triggers": json.dumps(inc.triggers, ensure_ascii=False),
            "transcript": json.dumps(inc.transcript, ensure_ascii=False), "status": "open",
        })

    def _advance_incidents(self, call: _Call, now_ms: int, *, ending: bool = False) -> None:
        for inc in call.incidents:
            if not inc.complete and (ending or now_ms > inc.window_end_ms):
                inc.complete = True
                self._submit("incident_update", {
                    "id": inc.id, "window_end_ms": inc.window_end_ms,
                    "triggers": json.dumps(inc.triggers, ensure_ascii=False),
                    "transcript": json.dumps(inc.transcript, ensure_ascii=False),
                    "status": "complete", "completed_at": self._now_ms(),
                })

    # -- end of call ----------------------------------------------------------------------------
    def end_call(self, at_ms: int, reason: str = "eof", decision: Any | None = None) -> AfterCall:
        """Finish the current call: complete incidents, record the after-call ``decision``
        (:class:`voiceassist.session.after_call.AfterCallDecision`: caller flags, hard call,
        break suggestion; None records none) and the call summary. Returns the same AfterCall
        when called twice."""
        with self._lock:
            call = self._call
            if call is None:
                return AfterCall(call_id="", hard=False)
            if call.after is not None:
                return call.after
            at_ms = max(at_ms, call.last_ms)
            self._advance_incidents(call, at_ms, ending=True)
            now = self._now_ms()
            if self.config.incident_audio and call.recording_path is not None:
                for inc in call.incidents:
                    self._clip(call, inc)
            flagged: list[str] = []
            hard = bool(getattr(decision, "hard", False))
            if call.caller_id:
                for category, reason_cue in getattr(decision, "flags", ()):
                    self._submit("flag_hit", {
                        "id": rec.new_id(), "call_id": call.uid, "caller_id": call.caller_id,
                        "category": category, "reason": reason_cue, "seen_at": now,
                        "expiry_days": self.config.flag_expiry_days,
                    })
                    flagged.append(category)
            self._submit("call_end", {
                "id": call.uid, "ended_at": now, "duration_ms": at_ms, "end_reason": reason,
                "highest_rung": call.highest_rung, "highest_cue": call.highest_cue,
                "cue_count": sum(call.cue_counts.values()), "urgent_count": call.urgent,
                "hard": 1 if hard else 0,
                "cue_counts": json.dumps(dict(sorted(call.cue_counts.items()))),
            })
            suggest = bool(getattr(decision, "suggest_break", False))
            if hard:
                self._hard_calls.append((now, call.uid, call.agent))
            if suggest:
                self._breaks[call.agent] = now
                self._submit("break", {"id": rec.new_id(), "agent": call.agent, "at": now,
                                       "kind": "suggested",
                                       "minutes": self.config.break_minutes,
                                       "hard_calls": int(getattr(decision, "hard_calls_in_window", 0))})
            call.after = AfterCall(call.uid, hard, tuple(getattr(decision, "cues", ())), suggest,
                                   int(getattr(decision, "hard_calls_in_window", 0)), tuple(flagged),
                                   tuple(i.id for i in call.incidents))
            return call.after

    def recent_hard_calls(self, agent: str) -> int:
        """This agent's hard calls within ``break_window_min`` minutes since their last break,
        the current call not included: this session's and the store's (as read at call start,
        when it answered within ``read_deadline_ms``). The one history read of the after-call
        decision."""
        cfg = self.config
        with self._lock:
            ahead = self._history
        fut = ahead[1] if ahead is not None and ahead[0] == agent else self._ask_history(agent)
        answer = self._reads.answer(fut, "wellbeing lookup (last break, hard calls)")
        with self._lock:
            now = self._now_ms()
            current = self._call.uid if self._call is not None else None
            last_break = self._breaks.get(agent)
            since = now - cfg.break_window_min * 60_000
            db_calls: list[tuple[str, int]] = []
            if answer is not None:
                db_break, db_calls = answer
                if db_break is not None:
                    last_break = db_break if last_break is None else max(last_break, db_break)
            start = since if last_break is None else max(since, last_break + 1)
            ids = {uid for ended, uid, who in self._hard_calls if who == agent and ended >= start}
            ids |= {uid for uid, ended in db_calls if ended >= start}
            ids.discard(current)
            return len(ids)

    def record_break(self, agent: str, minutes: int) -> None:
        """The agent took a break of ``minutes`` (resets the hard-call count)."""
        now = self._now_ms()
        self._breaks[agent] = now
        self._submit("break", {"id": rec.new_id(), "agent": agent, "at": now, "kind": "taken",
                               "minutes": minutes, "hard_calls": 0})

    def record_feedback(self, call_ref: str, cue: str, at_ms: int, *, verdict: str = "wrong",
                        note: str = "") -> None:
        """The agent's verdict on one cue of call ``call_ref`` (the call log's id), for QA: a
        ``cue_feedback`` row with the call's store key when it is this session's last call."""
        with self._lock:
            call = self._call
            uid = call.uid if call is not None and call.ref == call_ref else ""
            agent = call.agent if call is not None else ""
        self._submit("cue_feedback", {"id": rec.new_id(), "created_at": self._now_ms(), "call_id": uid,
                                      "call_ref": call_ref, "at_ms": int(at_ms), "cue": cue,
                                      "verdict": verdict, "note": note, "agent": agent,
                                      "workstation": self.workstation})

    def _clip(self, call: _Call, inc: _Incident) -> None:
        from voiceassist.store.clip import cut_clip

        src = call.recording_path
        assert src is not None
        dst = self.config.effective_spool_dir.parent / "incidents" / f"{inc.id}.wav"
        try:
            cut_clip(src, dst, max(0, inc.at_ms - self.config.incident_window_ms), inc.window_end_ms)
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("incident %s: audio clip not saved: %s", inc.id, exc)
            return
        self._submit("incident_clip", {"id": inc.id, "audio_clip": str(dst)})

    def close(self, timeout_s: float = 5.0) -> None:
        """End an open call (reason ``interrupted``), flush records and stop the threads."""
        with self._lock:
            if self._call is not None and self._call.after is None:
                self.end_call(self._call.last_ms, reason="interrupted")
        self._reads.close()
        self.writer.close(timeout_s)
        if self.webhook is not None:
            self.webhook.close(timeout_s)
