"""Agent-side coaching (PLAYBOOK section 10 and "never interrupt"): pure detectors over the agent
channel's speech segments and transcript, producing low-priority ``Cue`` events with
``speaker="agent"`` and ``category="coaching"``."""
