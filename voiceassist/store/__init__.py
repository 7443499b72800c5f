"""The call store: calls, cue events, caller flags, incidents, supervisor alerts, agent breaks.

Entry points:

* :class:`CallRecorder` - the listener the run loop feeds (see ``docs/store.md``);
* :class:`Store` - synchronous queries and admin (CLI commands);
* :class:`StoreConfig` - settings (``StoreConfig.from_settings(load_settings())``);
* :func:`normalize_caller_id` - caller id check (UsageError on malformed ids).
"""

from voiceassist.store.backend import StoreUnavailable
from voiceassist.store.config import StoreConfig
from voiceassist.store.recorder import AfterCall, CallRecorder, HeadsUp
from voiceassist.store.store import Flag, Store
from voiceassist.store.validate import RecordRejected, normalize_caller_id

__all__ = [
    "AfterCall",
    "CallRecorder",
    "Flag",
    "HeadsUp",
    "RecordRejected",
    "Store",
    "StoreConfig",
    "StoreUnavailable",
    "normalize_caller_id",
]
