"""Store and after-call policy settings (a frozen dataclass with range checks).

Built from the effective settings (``voiceassist.settings``) with :meth:`StoreConfig.from_settings`:
keys ``store.*``, ``alerts.*`` and ``wellbeing.*`` that exist there are used, the others keep the
defaults below. All durations carry their unit in the name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from voiceassist.errors import ConfigError
from voiceassist.paths import user_data_dir

#: Environment variable that overrides the store URL (also read by ``voiceassist.settings``).
URL_ENV = "VOICEASSIST_STORE_URL"


def default_url() -> str:
    """SQLite in the user data dir."""
    return f"sqlite://{user_data_dir() / 'voiceassist.db'}"


@dataclass(frozen=True)
class StoreConfig:
    """Everything the store, flags, incidents, alerts and wellbeing code needs."""

    #: ``sqlite:///abs/path.db`` or ``postgresql://user@host:port/db``; empty = default SQLite.
    url: str = ""
    #: Store final transcripts of every call (off by default: privacy).
    transcripts: bool = False
    #: Mask numbers (4+ digits) and e-mail addresses in stored transcripts and incident text.
    redact: bool = True
    #: Records waiting for the writer thread; beyond this they are counted as dropped.
    queue_max: int = 10_000
    #: Largest number of records per database transaction.
    batch_max: int = 500
    #: Seconds between reconnection attempts while the database is down.
    retry_s: float = 2.0
    #: Longest wait for a call-start/-end read (flags, last break, hard calls), ms; past it the
    #: call goes on without the answer.
    read_deadline_ms: int = 500
    #: Longest wait of the writer thread for one database call, s; past it the store counts as
    #: down and records go to the spool.
    write_deadline_s: float = 30.0
    #: Spool folder (records written while the database is down); None = <data dir>/spool.
    spool_dir: Path | None = None
    #: Caller flags expire this many days after the last flagged call.
    flag_expiry_days: int = 180
    #: Policy for a flagged caller: thresholds are multiplied by this (fewer strikes needed) ...
    flag_threshold_scale: float = 0.75
    #: ... and by this once the caller has at least ``flag_strong_count`` flagged calls.
    flag_strong_scale: float = 0.5
    flag_strong_count: int = 3
    #: Cue categories that open an incident, and the transcript window around it, ms of call time.
    incident_categories: tuple[str, ...] = ("threat",)
    incident_window_ms: int = 30_000
    #: Cut an audio clip for incidents when the call is being recorded (``recording_path`` given).
    incident_audio: bool = True
    #: Supervisor alerts: cues with these severities, and these cue ids whatever their severity.
    alert_severities: tuple[str, ...] = ("urgent",)
    alert_cues: tuple[str, ...] = ("end_call", "call_security", "report_threat")
    #: Optional JSON webhook for alerts (http:// or https://); empty = off.
    webhook_url: str = ""
    webhook_timeout_s: float = 3.0
    webhook_retries: int = 3
    #: Hard calls and caller flags are decided by the call assembly
    #: (:mod:`voiceassist.session.after_call`); the store only records them.
    #: Suggest a short break after this many hard calls within ``break_window_min`` minutes.
    break_after_hard_calls: int = 3
    break_window_min: int = 60
    break_minutes: int = 5

    def __post_init__(self) -> None:
        checks: list[tuple[str, float, float]] = [
            ("queue_max", 10, 10_000_000),
            ("batch_max", 1, 100_000),
            ("retry_s", 0.01, 3600),
            ("read_deadline_ms", 1, 60_000),
            ("write_deadline_s", 0.05, 600),
            ("flag_expiry_days", 1, 3650),
            ("flag_threshold_scale", 0.05, 1.0),
            ("flag_strong_scale", 0.05, 1.0),
            ("flag_strong_count", 1, 1000),
            ("incident_window_ms", 0, 600_000),
            ("webhook_timeout_s", 0.05, 120),
            ("webhook_retries", 0, 20),
            ("break_after_hard_calls", 1, 100),
            ("break_window_min", 1, 24 * 60),
            ("break_minutes", 1, 120),
        ]
        for name, low, high in checks:
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"store setting {name} must be between {low} and {high}, not {value}")
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"alerts.webhook_url must start with http:// or https://, not {self.webhook_url!r}"
            )

    @property
    def effective_url(self) -> str:
        """The URL to use: ``url``, else ``$VOICEASSIST_STORE_URL``, else SQLite in the data dir."""
        return self.url or os.environ.get(URL_ENV, "") or default_url()

    @property
    def effective_spool_dir(self) -> Path:
        return self.spool_dir if self.spool_dir is not None else user_data_dir() / "spool"

    def with_(self, **changes: Any) -> StoreConfig:
        """A copy with some fields changed (range checks run again)."""
        return replace(self, **changes)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StoreConfig:
        """Build from ``voiceassist.settings`` values (``{"store.url": ..., ...}``).

        Recognised: ``store.<field>`` for every field, ``alerts.webhook_url`` /
        ``alerts.webhook_timeout_s`` / ``alerts.webhook_retries`` and ``wellbeing.<field>``.
        """
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in settings.items():
            section, _, name = str(key).partition(".")
            if section not in ("store", "alerts", "wellbeing"):
                continue
            if name not in names or value is None:
                continue
            values[name] = value
        if "spool_dir" in values:
            values["spool_dir"] = Path(values["spool_dir"]) if values["spool_dir"] else None
        for name in ("incident_categories", "alert_severities", "alert_cues"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)
