"""The agent panel's server without a browser: every request needs the per-start token, POSTs
refuse other sites and hosts, the server listens on 127.0.0.1 only, the address file is private,
the feed keeps caller words off the page when asked, and every language has every UI string."""

from __future__ import annotations

import http.client
import json
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from voiceassist.cli import main
from voiceassist.errors import ConfigError
from voiceassist.events import CallStarted, Cue, Transcript
from voiceassist.panel.agent import AgentPanel, panel_host
from voiceassist.panel.feed import AgentFeed
from voiceassist.panel.server import PanelApp, PanelServer
from voiceassist.panel.strings import STRINGS
from voiceassist.panel.urlfile import read_url, url_file
from voiceassist.settings import LANGS, load_settings


class Keys:
    def __init__(self) -> None:
        self.pressed: list[str] = []
        self.wrong: list[tuple[str, str, int]] = []

    def key(self, ch: str) -> None:
        self.pressed.append(ch)

    def cue_wrong(self, call_id: str, cue: str, at_ms: int, note: str = "") -> dict[str, Any]:
        self.wrong.append((call_id, cue, at_ms))
        return {}


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VOICEASSIST_RUNTIME_DIR", str(tmp_path / "run"))
    keys = Keys()
    panel = AgentPanel(AgentFeed(lang="pl"), port=0)
    url = panel.start(keys)
    yield panel, url, keys
    panel.close()


def request(panel: AgentPanel, method: str, path: str, *, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, bytes]:
    assert panel.server is not None
    conn = http.client.HTTPConnection("127.0.0.1", panel.server.port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def token_of(url: str) -> str:
    return url.split("token=", 1)[1]


def test_every_request_without_the_token_is_refused(served: Any) -> None:
    panel, url, keys = served
    token = token_of(url)
    for path in ("/", "/events", "/assets/agent.js", "/api/ping", "/?token=wrong" + token[:4]):
        status, _ = request(panel, "GET", path)
        assert status == 403, path
    status, _ = request(panel, "POST", "/api/mute", body=b"{}",
                        headers={"Content-Type": "application/json"})
    assert status == 403 and keys.pressed == []
    status, page = request(panel, "GET", "/?token=" + token)
    assert status == 200 and b'lang="pl"' in page and b"pannello" not in page


def test_controls_need_the_header_token_json_and_this_origin(served: Any) -> None:
    panel, url, keys = served
    token = token_of(url)
    port = panel.server.port
    ok = {"Content-Type": "application/json", "X-Panel-Token": token}
    # A form post from another site (the token in the query is not enough for a POST).
    assert request(panel, "POST", f"/api/mute?token={token}", body=b"{}",
                   headers={"Content-Type": "application/json"})[0] == 403
    assert request(panel, "POST", "/api/mute", body=b"{}",
                   headers={**ok, "Origin": "http://evil.example"})[0] == 403
    assert request(panel, "POST", "/api/mute", body=b"a=1",
                   headers={**ok, "Content-Type": "application/x-www-form-urlencoded"})[0] == 415
    # DNS rebinding: a page of another name that resolves to 127.0.0.1.
    evil_host = {**ok, "Host": f"evil.example:{port}"}
    assert request(panel, "POST", "/api/mute", body=b"{}", headers=evil_host)[0] == 403
    assert keys.pressed == []
    assert request(panel, "POST", "/api/mute", body=b"{}",
                   headers={**ok, "Origin": f"http://127.0.0.1:{port}"})[0] == 200
    assert request(panel, "POST", "/api/new_call", body=b"{}", headers=ok)[0] == 200
    assert request(panel, "POST", "/api/explode", body=b"{}", headers=ok)[0] == 400
    body = json.dumps({"call_id": "c1", "cue": "state_boundary", "at_ms": 8200}).encode()
    assert request(panel, "POST", "/api/cue_wrong", body=body, headers=ok)[0] == 200
    assert keys.pressed == ["m", "n"] and keys.wrong == [("c1", "state_boundary", 8200)]


def test_listens_on_loopback_only(served: Any) -> None:
    """Bound to 127.0.0.1 itself, not to every address: another loopback address of this machine
    (127.0.0.2) is refused, so an external interface is too (no traffic leaves the machine)."""
    panel, _url, _keys = served
    port = panel.server.port
    assert panel.server.httpd.socket.getsockname() == ("127.0.0.1", port)
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]
    assert listening == [f"0100007F:{port:04X}"]  # 127.0.0.1 only, not 0.0.0.0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", port), timeout=2).close()


def test_a_taken_port_falls_back_to_a_free_one() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        server = PanelServer(PanelApp("agent.html", AgentFeed().hub), port=taken)
        try:
            assert server.port not in (taken, 0)
        finally:
            server.close()


def test_only_the_system_config_opens_the_panel_to_the_network(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[panel]\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("VOICEASSIST_SYSTEM_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(ConfigError, match="only the system config"):
        panel_host(load_settings(config_file=user))
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    system = tmp_path / "system.toml"
    system.write_text('[panel]\nhost = "10.1.2.3"\n')
    monkeypatch.setenv("VOICEASSIST_SYSTEM_CONFIG", str(system))
    assert panel_host(load_settings(config_file=empty)) == "10.1.2.3"
    assert panel_host(load_settings(config_file=empty, flags={"panel.host": "::1"})) == "::1"


def test_the_address_file_is_private_and_removed_on_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICEASSIST_RUNTIME_DIR", str(tmp_path / "run"))
    assert main(["panel", "--print"]) == 3  # nothing running
    assert "no panel is running" in capsys.readouterr().err
    panel = AgentPanel(AgentFeed(), port=0)
    url = panel.start(Keys())
    path = url_file()
    assert read_url() == url
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert main(["panel", "--print"]) == 0
    assert capsys.readouterr().out.strip() == url
    panel.close()
    assert not path.exists()


def test_redacted_feed_sends_no_caller_words() -> None:
    feed = AgentFeed(transcript=False)
    sub = feed.hub.subscribe()
    feed(CallStarted(call_id="c1", lang="en"))
    feed(Transcript(speaker="caller", kind="final", text="you useless idiot", start_ms=0, end_ms=900))
    feed(Cue(at_ms=900, cue="state_boundary", category="abuse", form="insult", rung=1, severity="warn",
             say="Set the boundary", script="I can help once we keep this respectful.",
             matched=("idiot",), why="insult idiot"))
    sent = []
    while (msg := sub.get(0.01)):
        sent.append(json.dumps(msg))
    everything = " ".join(sent) + json.dumps(feed.snapshot())
    assert "Set the boundary" in everything and "idiot" not in everything and "useless" not in everything


def test_every_language_has_every_interface_string() -> None:
    assert set(STRINGS) == set(LANGS)
    keys = set(STRINGS["en"])
    for lang, table in STRINGS.items():
        assert set(table) == keys, lang
        assert all(v.strip() for v in table.values()), lang
    assert len({STRINGS[lang]["mute"] for lang in LANGS}) == len(LANGS)  # really translated
