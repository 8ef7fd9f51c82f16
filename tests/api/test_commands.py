"""`referee keys` and the settings of `referee serve` (flags, then REFEREE_* variables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.api.settings import resolve
from adapter.cli import main
from adapter.errors import UsageError
from adapter.store.service import Store


def test_keys_create_prints_the_key_alone_on_the_last_line_and_it_works(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "keys",
                "create",
                "--name",
                "gp",
                "--scope",
                "read",
                "--org",
                "K81001",
                "--database-url",
                db_url,
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "created key 'gp', scope read for K81001; it is shown only once:"
    token = lines[-1]
    assert token.startswith("rk_") and " " not in token
    store = Store(db_url)
    key = store.authenticate(token)
    store.close()
    assert key is not None and (key.scope, key.org) == ("read", "K81001")


def test_keys_list_and_revoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["keys", "create", "--name", "feed", "--scope", "submit", "--database-url", db_url])
    assert main(["keys", "revoke", "feed", "--database-url", db_url]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--database-url", db_url]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("feed\tsubmit\t-\trevoked ")


def test_a_duplicate_or_unknown_key_name_is_a_usage_error(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["keys", "create", "--name", "feed", "--scope", "submit", "--database-url", db_url])
    assert (
        main(["keys", "create", "--name", "feed", "--scope", "read", "--database-url", db_url]) == 2
    )
    assert "a key named 'feed' already exists" in capsys.readouterr().err
    assert main(["keys", "revoke", "nobody", "--database-url", db_url]) == 2
    assert "no key named 'nobody'" in capsys.readouterr().err


def test_keys_use_the_same_default_database_as_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REFEREE_DATABASE_URL", raising=False)
    assert main(["keys", "create", "--name", "feed", "--scope", "submit"]) == 0
    assert (tmp_path / "referee.sqlite").is_file()
    assert resolve().database_url == "sqlite:///referee.sqlite"


def test_serve_settings_come_from_flags_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFEREE_DATABASE_URL", "postgresql+psycopg://referee@db/referee")
    monkeypatch.setenv("REFEREE_MAX_ENTRIES", "500")
    monkeypatch.setenv("REFEREE_PORT", "9000")
    settings = resolve(port=8081)
    assert settings.database_url == "postgresql+psycopg://referee@db/referee"
    assert (settings.max_entries, settings.port, settings.max_body_bytes) == (
        500,
        8081,
        10 * 1024 * 1024,
    )
    monkeypatch.setenv("REFEREE_MAX_BODY_BYTES", "lots")
    with pytest.raises(UsageError, match="REFEREE_MAX_BODY_BYTES must be a whole number"):
        resolve()
