"""Entry point for ``python -m voiceassist``."""

from voiceassist.cli import main

raise SystemExit(main())
