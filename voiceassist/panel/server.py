"""The panel's local HTTP server: one page, its assets, a server-sent-events stream, controls.

Why the standard library (``http.server.ThreadingHTTPServer``) and not a web framework: the
panel serves one or two browser tabs on the agent's own machine; server-sent events are a plain
text response kept open, which a thread per client handles in a few lines; nothing is added to
the real-time process (no event loop, no dependency to keep patched on every workstation).

Security (docs/panel.md):

- bound to ``127.0.0.1`` unless IT sets ``panel.host`` in the system config;
- a random token per start (``secrets.token_urlsafe``) must come with every request, in the
  query (``?token=``) or the ``X-Panel-Token`` header, compared in constant time; without it: 403;
- the ``Host`` header must name this server (no DNS rebinding); a POST must carry the token in the
  header, JSON content and, when the browser sends one, an ``Origin`` of this server (no
  cross-site requests);
- no CDN, no external request: every asset comes from the package; a strict
  Content-Security-Policy keeps the page to its own origin.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from voiceassist.panel.hub import Hub

log = logging.getLogger(__name__)

#: Default port of the agent panel (a fixed one, so a bookmark keeps working; taken: a free one).
DEFAULT_PORT = 47615
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE_S = 15.0
#: Largest POST body accepted, bytes.
MAX_BODY = 4096

ASSET_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".js": "text/javascript; charset=utf-8", ".png": "image/png",
               ".svg": "image/svg+xml"}

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def asset(name: str) -> bytes | None:
    """A file of ``voiceassist/panel/assets`` (None when there is no such file)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    res = resources.files("voiceassist.panel").joinpath("assets", name)
    return res.read_bytes() if res.is_file() else None


@dataclass
class PanelApp:
    """What one page needs from the server."""

    #: The page's HTML file in ``assets/`` (``agent.html``, ``floor.html``).
    page: str
    hub: Hub
    #: ``(action, body) -> reply``; raises ValueError for a bad request. None: no controls.
    control: Callable[[str, Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: ``lang`` attribute and title of the page.
    lang: str = "en"
    title: str = "voiceassist"


class PanelServer:
    """Serves one :class:`PanelApp` on ``host:port`` on a daemon thread.

    ``port=0`` takes a free port; a taken ``port`` falls back to a free one when ``fallback``.
    Raises OSError when it cannot listen at all."""

    def __init__(self, app: PanelApp, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 fallback: bool = True, token: str | None = None) -> None:
        self.app = app
        self.token = token or secrets.token_urlsafe(24)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        handler = _make_handler(self)
        server_cls = type("_Server", (ThreadingHTTPServer,), {"address_family": family,
                                                              "daemon_threads": True})
        try:
            self.httpd = server_cls((host, port), handler)
        except OSError as exc:
            if not (fallback and port and exc.errno == errno.EADDRINUSE):
                raise
            log.info("panel port %d is taken; using a free one", port)
            self.httpd = server_cls((host, 0), handler)
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's address with the token (give it only to the agent)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/?token={self.token}"

    def allowed_hosts(self) -> set[str]:
        names = {self.host, f"[{self.host}]"}
        if is_loopback(self.host):
            names |= {"127.0.0.1", "localhost", "[::1]"}
        return {f"{n}:{self.port}" for n in names}

    def check_token(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def start(self) -> PanelServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="panel-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; open event streams end."""
        self.app.hub.close()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=2.0)
        self.httpd.server_close()

    def __enter__(self) -> PanelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _make_handler(server: PanelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "voiceassist-panel"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # the URL holds the token: not logged
            return

        # -- checks ---------------------------------------------------------------------------
        def _refuse(self, code: int, text: str) -> None:
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _allowed(self, *, post: bool) -> bool:
            if self.headers.get("Host", "") not in server.allowed_hosts():
                self._refuse(403, "forbidden: unknown host")
                return False
            query = parse_qs(urlsplit(self.path).query)
            given = self.headers.get("X-Panel-Token")
            if given is None and not post:
                given = (query.get("token") or [""])[0] or None
            if not server.check_token(given):
                self._refuse(403, "forbidden: open the panel with `voiceassist panel`")
                return False
            if post:
                origin = self.headers.get("Origin")
                if origin is not None and origin.removeprefix("http://") not in server.allowed_hosts():
                    self._refuse(403, "forbidden: cross-site request")
                    return False
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    self._refuse(415, "JSON only")
                    return False
            return True

        def _headers(self, code: int, ctype: str, length: int | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()

        # -- GET --------------------------------------------------------------------------------
        def do_GET(self) -> None:
            if not self._allowed(post=False):
                return
            path = urlsplit(self.path).path
            if path == "/":
                html = asset(server.app.page)
                assert html is not None, server.app.page
                body = (html.decode("utf-8").replace("{{TOKEN}}", server.token)
                        .replace("{{LANG}}", server.app.lang).replace("{{TITLE}}", server.app.title)
                        ).encode("utf-8")
                self._headers(200, ASSET_TYPES[".html"], len(body))
                self.wfile.write(body)
            elif path == "/events":
                self._events()
            elif path == "/api/ping":
                body = json.dumps({"ok": True, "clients": server.app.hub.clients}).encode()
                self._headers(200, "application/json", len(body))
                self.wfile.write(body)
            elif path.startswith("/assets/"):
                name = path.removeprefix("/assets/")
                data = asset(name)
                ext = name[name.rfind("."):] if "." in name else ""
                if data is None or ext not in ASSET_TYPES:
                    self._refuse(404, "not found")
                    return
                self._headers(200, ASSET_TYPES[ext], len(data))
                self.wfile.write(data)
            else:
                self._refuse(404, "not found")

        def _events(self) -> None:
            sub = server.app.hub.subscribe()
            try:
                self._headers(200, "text/event-stream; charset=utf-8")
                self.wfile.write(b"retry: 1000\n\n")
                self.wfile.flush()
                while True:
                    msg = sub.get(KEEPALIVE_S)
                    if msg is None:
                        return
                    if not msg:
                        self.wfile.write(b": keep-alive\n\n")
                    else:
                        data = json.dumps(msg, ensure_ascii=False, separators=(",", ":"))
                        self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
                return
            finally:
                sub.close()

        # -- POST -------------------------------------------------------------------------------
        def do_POST(self) -> None:
            if not self._allowed(post=True):
                return
            path = urlsplit(self.path).path
            control = server.app.control
            if control is None or not path.startswith("/api/"):
                self._refuse(404, "not found")
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._refuse(413, "request too large")
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("a JSON object is needed")
                reply = dict(control(path.removeprefix("/api/"), body))
            except (ValueError, UnicodeDecodeError) as exc:
                self._refuse(400, f"bad request: {exc}")
                return
            data = json.dumps({"ok": True, **reply}).encode()
            self._headers(200, "application/json", len(data))
            self.wfile.write(data)

    return Handler


__all__ = ["DEFAULT_PORT", "PanelApp", "PanelServer", "asset", "is_loopback"]
