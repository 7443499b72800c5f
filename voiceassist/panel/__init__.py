"""The agent's panel and the supervisor's floor page: a local, token-protected web page fed by
server-sent events from ``run``'s event stream (docs/panel.md)."""

from voiceassist.panel.feed import AgentFeed
from voiceassist.panel.hub import Hub
from voiceassist.panel.server import DEFAULT_PORT, PanelApp, PanelServer

__all__ = ["DEFAULT_PORT", "AgentFeed", "Hub", "PanelApp", "PanelServer"]
