"""The agent's panel of one ``run``: the feed on run's event stream, the server, the controls
(the same paths as the keys: ``m``, ``u``, ``n``; plus "this cue was wrong"), today's shift
summary from the store, and the address file for ``voiceassist panel``.

    panel = AgentPanel.from_settings(settings, feed)   # before the call loop exists
    call = LiveCall(cfg, Seams(..., observers=[feed]), screen)
    panel.start(call)                                   # serves; writes the address file
    ...
    panel.close()                                       # stops serving; removes the file
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from voiceassist.errors import ConfigError
from voiceassist.events import CallEnded, Event
from voiceassist.panel.feed import AgentFeed
from voiceassist.panel.server import PanelApp, PanelServer, is_loopback
from voiceassist.panel.urlfile import remove_url, write_url
from voiceassist.store.identity import agent_identity

log = logging.getLogger(__name__)

#: Seconds between shift-summary reads (also read shortly after each call ends).
SHIFT_REFRESH_S = 60.0
#: Seconds after a call ends before the summary is read (the store's writer records the end).
SHIFT_AFTER_CALL_S = 1.5


class Controls(Protocol):
    """What the panel's buttons act on (:class:`voiceassist.session.live_call.LiveCall`)."""

    def key(self, ch: str) -> None: ...

    def cue_wrong(self, call_id: str, cue: str, at_ms: int, note: str = "") -> dict[str, Any]: ...


def panel_host(settings: Mapping[str, Any]) -> str:
    """``panel.host``; a non-loopback address only when it comes from the system config (IT)."""
    host = str(settings["panel.host"]).strip() or "127.0.0.1"
    if is_loopback(host):
        return host
    origin = settings.origin("panel.host") if hasattr(settings, "origin") else "system"
    if not str(origin).startswith("system"):
        raise ConfigError(f"panel.host = {host!r} is not a loopback address; only the system config "
                          "(/etc/voiceassist/config.toml) may open the panel to the network",
                          hint="leave panel.host at 127.0.0.1, or ask IT")
    return host


def today_ms(now: dt.datetime | None = None) -> tuple[int, int]:
    """Start and end of the local day, epoch ms."""
    day = (now or dt.datetime.now()).date()
    start = dt.datetime.combine(day, dt.time()).astimezone()
    return int(start.timestamp() * 1000), int((start + dt.timedelta(days=1)).timestamp() * 1000)


class AgentPanel:
    """See the module docstring. ``shift`` reads today's summary (None when unreadable)."""

    def __init__(self, feed: AgentFeed, *, host: str = "127.0.0.1", port: int = 0,
                 shift: Callable[[], Mapping[str, Any] | None] | None = None,
                 url_name: str | None = "panel") -> None:
        self.feed = feed
        self.host = host
        self.port = port
        self.shift = shift
        self.url_name = url_name
        self.server: PanelServer | None = None
        self.controls: Controls | None = None
        self._stop = threading.Event()
        self._refresh = threading.Event()
        self._shift_thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], feed: AgentFeed,
                      shift: Callable[[], Mapping[str, Any] | None] | None = None) -> AgentPanel:
        return cls(feed, host=panel_host(settings), port=int(settings["panel.port"]), shift=shift)

    # -- observer ---------------------------------------------------------------------------------
    def observe(self, item: Event | Mapping[str, Any]) -> None:
        """Listener of run's stream: the feed, and a shift refresh after each call."""
        self.feed(item)
        if isinstance(item, CallEnded):
            self._refresh.set()

    # -- controls -------------------------------------------------------------------------------
    def control(self, action: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        c = self.controls
        if c is None:
            raise ValueError("no call loop")
        keys = {"mute": "m", "unmute": "u", "new_call": "n"}
        if action in keys:
            c.key(keys[action])
            return {"action": action}
        if action == "cue_wrong":
            cue, call_id, at_ms = body.get("cue"), body.get("call_id"), body.get("at_ms")
            if not isinstance(cue, str) or not isinstance(call_id, str) or not isinstance(at_ms, int):
                raise ValueError("cue_wrong needs call_id, cue and at_ms")
            note = body.get("note", "")
            c.cue_wrong(call_id[:200], cue[:64], at_ms, note if isinstance(note, str) else "")
            return {"action": action}
        raise ValueError(f"unknown action {action!r}")

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, controls: Controls) -> str:
        """Serve (raises OSError when no port can be had); returns the URL with the token."""
        self.controls = controls
        app = PanelApp("agent.html", self.feed.hub, control=self.control, lang=self.feed.lang,
                       title=self.feed.snapshot()["strings"]["title"])
        self.server = PanelServer(app, host=self.host, port=self.port).start()
        url = self.server.url
        if self.url_name:
            try:
                write_url(url, self.url_name)
            except OSError as exc:
                log.warning("panel address not saved (%s); `voiceassist panel` will not find it", exc)
        if self.shift is not None:
            self._shift_thread = threading.Thread(target=self._shift_loop, name="panel-shift", daemon=True)
            self._shift_thread.start()
        return url

    def _shift_loop(self) -> None:
        assert self.shift is not None
        while not self._stop.is_set():
            try:
                self.feed.set_shift(self.shift())
            except Exception:  # the store's trouble never stops the panel
                log.exception("panel: shift summary not read")
            if self._refresh.wait(SHIFT_REFRESH_S):
                self._refresh.clear()
                self._stop.wait(SHIFT_AFTER_CALL_S)

    def close(self) -> None:
        self._stop.set()
        self._refresh.set()
        if self.server is not None:
            if self.url_name:
                remove_url(self.server.url, self.url_name)
            self.server.close()
        if self._shift_thread is not None:
            self._shift_thread.join(timeout=2.0)


def store_shift_reader(store_url: str, agent: str) -> Callable[[], Mapping[str, Any] | None]:
    """Reads ``agent``'s summary of today from the store at ``store_url`` (None when it cannot)."""

    def read() -> Mapping[str, Any] | None:
        from voiceassist.errors import VoiceAssistError
        from voiceassist.store.store import Store

        try:
            with Store.open(store_url, upgrade="none", create=False) as store:
                start, end = today_ms()
                return store.shift_summary(agent, start, end)
        except VoiceAssistError as exc:
            log.info("panel: no shift summary (%s)", exc.message)
            return None

    return read


__all__ = ["AgentPanel", "Controls", "agent_panel_for_run", "panel_host", "store_shift_reader", "today_ms"]


def agent_panel_for_run(settings: Mapping[str, Any], *, lang: str, agent: str, redact: bool,
                        mute_minutes: int, store_url: str | None) -> AgentPanel | None:
    """The panel ``run`` serves, per ``panel.*`` (None when ``panel.enabled`` is off). Raises
    ConfigError for a ``panel.host`` the user may not set."""
    if not bool(settings["panel.enabled"]):
        return None
    feed = AgentFeed(lang=lang, transcript=bool(settings["panel.transcript"]) and not redact,
                     agent=agent, mute_minutes=mute_minutes)
    shift = store_shift_reader(store_url, agent_identity(agent)) if store_url else None
    return AgentPanel.from_settings(settings, feed, shift)
