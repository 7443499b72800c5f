"""Store passwords are never printed (issue 13 item 8): every form PostgreSQL accepts is masked
in messages, `config show` (text and JSON) and the doctor's store line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voiceassist.cli import main
from voiceassist.store.backend import parse_url
from voiceassist.store.urlmask import mask_url

SECRET = "s3cr:t@pw"
FORMS = [
    f"postgresql://dana:{SECRET}@db.example:5432/calls",
    "postgresql://dana@db.example/calls?sslmode=require&password=s3cr:t@pw",
    "postgresql://db.example/calls?PASSWORD=s3cr:t@pw&user=dana",
    "postgresql://db.example/calls?sslpassword=s3cr:t@pw",
    "host=db.example user=dana password='s3cr:t@pw' dbname=calls",
]


@pytest.mark.parametrize("url", FORMS)
def test_every_password_form_is_masked(url: str) -> None:
    shown = mask_url(url)
    assert "s3cr" not in shown and "***" in shown
    assert "db.example" in shown, "the rest of the URL stays readable"


def test_messages_show_the_masked_url() -> None:
    for url in FORMS[:4]:
        assert "s3cr" not in parse_url(url).display


def test_a_url_without_a_password_is_unchanged() -> None:
    url = "postgresql://dana@db.example:5432/calls?sslmode=require"
    assert mask_url(url) == url


@pytest.mark.parametrize("as_json", [False, True])
def test_config_show_masks_the_store_password(tmp_path: Path, monkeypatch, capsys, as_json: bool) -> None:
    monkeypatch.setenv("VOICEASSIST_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VOICEASSIST_STORE_URL", FORMS[1])
    assert main(["config", "show", *(["--json"] if as_json else [])]) == 0
    out = capsys.readouterr().out
    assert "s3cr" not in out
    assert "db.example" in out
    if as_json:
        assert "***" in json.loads(out)["store.url"]["value"]
