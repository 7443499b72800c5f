"""Model download against a local HTTP server: resume, size/checksum checks, atomic unpack,
and failing at once when offline."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.errors import ExitCode, ModelError, NetworkError
from voiceassist.stt.download import download_model
from voiceassist.stt.models import CatalogueModel, is_model_dir

NAME = "vosk-model-small-it-0.22"
MODEL_FILES = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst")


def model_zip(with_model: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        files = MODEL_FILES if with_model else ("README",)
        for rel in files:
            zf.writestr(f"{NAME}/{rel}", (rel * 5000).encode())  # ~100 kB in all
    return buf.getvalue()


class Server:
    """Serves ``payload`` at any path; honours ``Range: bytes=N-``; records the Range headers."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.ranges: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                outer.ranges.append(rng)
                data, start = outer.payload, 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{NAME}.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(model_zip())
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def entry(url: str, **kw: object) -> CatalogueModel:
    base = CatalogueModel(lang="it", kind="small", name=NAME, size_mb=1, base_url=url.rsplit("/", 1)[0])
    return replace(base, **kw)  # type: ignore[arg-type]


def test_download_unpacks_model_and_reports_progress(server: Server, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    sha = hashlib.sha256(server.payload).hexdigest()
    path = download_model(entry(server.url, sha256=sha, bytes=len(server.payload)), tmp_path,
                          on_progress=lambda d, t: seen.append((d, t)))
    assert path == tmp_path / NAME and is_model_dir(path)
    assert seen[-1] == (len(server.payload), len(server.payload))
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]  # no .part, no temp folders
    # second call: already installed, no request
    n = len(server.ranges)
    assert download_model(entry(server.url), tmp_path) == path and len(server.ranges) == n


def test_interrupted_download_resumes_with_range(server: Server, tmp_path: Path) -> None:
    half = len(server.payload) // 2
    (tmp_path / f"{NAME}.zip.part").write_bytes(server.payload[:half])
    sha = hashlib.sha256(server.payload).hexdigest()
    path = download_model(entry(server.url, sha256=sha), tmp_path)
    assert server.ranges == [f"bytes={half}-"]
    assert is_model_dir(path)


def test_checksum_mismatch_deletes_the_download(server: Server, tmp_path: Path) -> None:
    with pytest.raises(NetworkError) as exc:
        download_model(entry(server.url, sha256="0" * 64), tmp_path)
    assert "checksum mismatch" in exc.value.message
    assert list(tmp_path.iterdir()) == []


def test_size_mismatch_is_refused(server: Server, tmp_path: Path) -> None:
    with pytest.raises(NetworkError) as exc:
        download_model(entry(server.url, bytes=len(server.payload) + 1), tmp_path)
    assert "expected" in exc.value.message and not (tmp_path / NAME).exists()


def test_archive_without_model_leaves_nothing_behind(tmp_path: Path) -> None:
    srv = Server(model_zip(with_model=False))
    try:
        with pytest.raises(ModelError):
            download_model(entry(srv.url), tmp_path)
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
    assert not (tmp_path / NAME).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp dir removed


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_fails_at_once_saying_where_to_copy_a_model(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/{NAME}.zip"
    with pytest.raises(NetworkError) as exc:
        download_model(entry(url), tmp_path / "models", timeout_s=2)
    assert exc.value.code == ExitCode.NETWORK
    assert "cannot reach 127.0.0.1" in exc.value.message
    assert str(tmp_path / "models") in (exc.value.hint or "") and NAME in (exc.value.hint or "")


def test_cli_download_and_offline_exit_codes(server: Server, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "m"
    assert main(["models", "download", "it", "--dest", str(dest), "--url", server.url]) == 0
    assert capsys.readouterr().out.strip() == str(dest / NAME)
    assert is_model_dir(dest / NAME)
    url = f"http://127.0.0.1:{closed_port()}/x.zip"
    code = main(["models", "download", "es", "--dest", str(dest), "--url", url, "--timeout", "2"])
    assert code == ExitCode.NETWORK
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("voiceassist: error: cannot reach")
    assert "vosk-model-small-es-0.42" in err[1] and str(dest) in err[1]
    assert main(["models", "download", "pl", "--big", "--dest", str(dest)]) == ExitCode.MODEL
