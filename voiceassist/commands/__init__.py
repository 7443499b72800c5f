"""Sub-commands of the ``voiceassist`` CLI, one module each (see voiceassist.cli)."""
