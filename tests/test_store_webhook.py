"""Supervisor alert webhook against a local http.server on 127.0.0.1: JSON body, retries with
backoff on 5xx, no retry on 4xx, and ``send`` never waits for a slow server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_store_helpers import Clock, cue, recorder

from voiceassist.alerts import WebhookSink
from voiceassist.errors import ConfigError


class _Server:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to give, in order (then 200)
        self.hold = threading.Event()
        self.hold.set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                server.hold.wait(10)
                server.bodies.append(body)
                code = server.statuses.pop(0) if server.statuses else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alerts"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.hold.set()
    s.httpd.shutdown()


def test_retries_with_backoff_until_delivered(server: _Server) -> None:
    server.statuses = [503, 500]
    sink = WebhookSink(server.url, timeout_s=2, retries=3, backoff_s=0.01).start()
    sink.send({"cue": "end_call", "agent": "dana"})
    assert sink.flush(10)
    sink.close()
    assert sink.stats.attempts == 3 and sink.stats.sent == 1
    assert server.bodies[-1] == {"cue": "end_call", "agent": "dana"}


def test_client_errors_are_not_retried_and_unreachable_gives_up(server: _Server) -> None:
    server.statuses = [400]
    sink = WebhookSink(server.url, retries=3, backoff_s=0.01).start()
    sink.send({"a": 1})
    assert sink.flush(10)
    sink.close()
    assert (sink.stats.attempts, sink.stats.failed) == (1, 1)
    dead = WebhookSink("http://127.0.0.1:9/", timeout_s=0.5, retries=2, backoff_s=0.01).start()
    dead.send({"a": 1})
    assert dead.flush(10)
    dead.close()
    assert (dead.stats.attempts, dead.stats.failed) == (3, 1)
    with pytest.raises(ConfigError):
        WebhookSink("ftp://example/x")


def test_an_alert_reaches_the_webhook_without_blocking_the_call(server: _Server, tmp_path: Path) -> None:
    server.hold.clear()  # the server hangs until we let it go
    r = recorder(f"sqlite://{tmp_path / 's.db'}", tmp_path, Clock())
    r.webhook = WebhookSink(server.url, timeout_s=5, retries=0).start()
    r.start_call("c", lang="en", agent="dana", caller_id="+393331234567")
    r.on_event(cue(3000, "call_security", "threat", severity="urgent", form="violence"))
    r.on_event(cue(4000, "calm_first"))  # returns although the webhook is stuck
    assert server.bodies == []
    server.hold.set()
    r.end_call(5000)
    r.close()
    (body,) = server.bodies
    assert body["type"] == "voiceassist.alert" and body["cue"] == "call_security"
    assert body["caller_id"] == "+393331234567" and body["at_ms"] == 3000
