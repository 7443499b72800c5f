"""Quality assurance of recorded calls: expectation files, matching cues to expectations,
the eval run summary and tables, JUnit and the HTML report (``voiceassist eval``)."""
