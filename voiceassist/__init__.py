"""voiceassist: an offline, real-time de-escalation coach for phone agents."""

__version__ = "0.1.0"
