"""Who the agent is, in the store: one answer for every writer and reader.

``run``, ``replay --store``, the panel's shift line and ``voiceassist shift`` all name the agent
the same way, so a shift summary finds the calls the agent took: the configured
``call.agent_name`` when set, else ``$VOICEASSIST_AGENT``, else the login name.
"""

from __future__ import annotations

import getpass
import os


def default_agent() -> str:
    """The agent's name when none is configured: ``$VOICEASSIST_AGENT``, else the login name."""
    name = os.environ.get("VOICEASSIST_AGENT")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "agent"


def agent_identity(agent_name: str | None) -> str:
    """The name calls are recorded under: ``agent_name`` if given, else :func:`default_agent`."""
    return agent_name.strip() if agent_name and agent_name.strip() else default_agent()
