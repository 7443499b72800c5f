"""Which source channel is the caller and which the agent.

Mono sources are always the caller (no agent). Stereo: caller ``left`` and agent ``right`` by
default; the caller may also be ``mix`` (the average of both channels) and the agent ``none``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from voiceassist.errors import UsageError

CallerChannel = Literal["left", "right", "mix"]
AgentChannel = Literal["left", "right", "none"]
CALLER_CHOICES: tuple[str, ...] = ("left", "right", "mix")
AGENT_CHOICES: tuple[str, ...] = ("left", "right", "none")
_INDEX = {"left": 0, "right": 1}


@dataclass(frozen=True)
class ChannelMap:
    """Caller/agent assignment for a source with ``channels`` channels (1 or 2)."""

    caller: str = "left"
    agent: str = "right"

    @classmethod
    def parse(cls, caller: str, agent: str) -> ChannelMap:
        """Validate the option values (case-insensitive); :class:`UsageError` when wrong."""
        c, a = str(caller).lower(), str(agent).lower()
        if c not in CALLER_CHOICES:
            raise UsageError(f"caller channel must be one of left|right|mix, got {caller!r}")
        if a not in AGENT_CHOICES:
            raise UsageError(f"agent channel must be one of left|right|none, got {agent!r}")
        return cls(c, a)

    def outputs(self, channels: int) -> int:
        """How many streams come out: 1 (caller only) or 2 (caller, agent)."""
        return 2 if channels == 2 and self.agent != "none" else 1

    def select(self, frames: npt.NDArray[Any], channels: int) -> npt.NDArray[Any]:
        """``(n, channels)`` source frames -> ``(n, outputs)`` with the caller in column 0.

        The dtype is kept (int16 or float32); ``mix`` averages in a wider type.
        """
        if channels == 1:
            return frames[:, :1]
        if self.caller == "mix":
            if frames.dtype == np.int16:
                caller = ((frames[:, 0].astype(np.int32) + frames[:, 1]) // 2).astype(np.int16)
            else:
                caller = ((frames[:, 0] + frames[:, 1]) * 0.5).astype(frames.dtype)
        else:
            caller = frames[:, _INDEX[self.caller]]
        if self.agent == "none":
            return caller[:, None]
        return np.stack([caller, frames[:, _INDEX[self.agent]]], axis=1)
