"""JUnit XML for ``voiceassist eval --junit``: one ``<testsuite>`` per call and mode, one
``<testcase>`` per check of its expectation file (expected cue, quiet span, forbidden cue,
``max_cues``, ``strict``), so CI systems show the results natively.

Deterministic: no timestamps or host names; ``time`` is always 0 (results are in audio time).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePosixPath

from voiceassist.qa.evalrun import CallRun


def _classname(run: CallRun) -> str:
    stem = PurePosixPath(run.call).with_suffix("").as_posix().replace("/", ".").lstrip(".")
    return f"voiceassist.eval.{run.mode}.{run.lang}.{stem}"


def junit_xml(runs: Sequence[CallRun]) -> str:
    """The JUnit XML document (UTF-8 text with an XML declaration) for the runs, in their order."""
    root = ET.Element("testsuites", name="voiceassist eval")
    total = failures = errors = 0
    for run in runs:
        suite = ET.SubElement(root, "testsuite", name=run.name)
        tests = fails = errs = 0
        props = ET.SubElement(suite, "properties")
        for key, value in (("lang", run.lang), ("mode", run.mode), ("duration_ms", str(run.duration_ms))):
            ET.SubElement(props, "property", name=key, value=value)
        if run.wer is not None:
            ET.SubElement(props, "property", name="wer", value=f"{run.wer:.4f}")
        if run.error is not None:
            case = ET.SubElement(suite, "testcase", classname=_classname(run), name="evaluate call", time="0")
            err = ET.SubElement(case, "error", message=run.error, type="error")
            err.text = run.error
            tests += 1
            errs += 1
        for check in run.match.checks:
            attrs = {"classname": _classname(run), "name": check.name, "time": "0"}
            if run.expect_file:
                attrs["file"] = run.expect_file
                if check.line:
                    attrs["line"] = str(check.line)
            case = ET.SubElement(suite, "testcase", attrs)
            tests += 1
            if not check.passed:
                fails += 1
                fail = ET.SubElement(case, "failure", message=check.message, type=check.kind)
                where = f"{run.expect_file}:{check.line}: " if run.expect_file and check.line else ""
                fail.text = f"{where}{check.name}: {check.message}"
        suite.set("tests", str(tests))
        suite.set("failures", str(fails))
        suite.set("errors", str(errs))
        suite.set("skipped", "0")
        suite.set("time", "0")
        total, failures, errors = total + tests, failures + fails, errors + errs
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["junit_xml"]
