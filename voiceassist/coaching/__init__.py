"""Agent-side coaching (PLAYBOOK section 10 and "never interrupt"): pure detectors over the agent
channel's speech segments, audio and transcript, producing low-priority ``Cue`` events with
``speaker="agent"`` and ``category="coaching"``.

Modules: ``engine`` (:class:`CoachingEngine`, the listener-style entry point), ``loader``
(policy + lexicons, ``check_coaching``), ``policy``, ``lexicon``, ``talkover``, ``pace``,
``monologue``, ``phrases``, ``robotic`` (opening history adapter), ``summary``, ``signal``.
See ``docs/coaching.md``."""
