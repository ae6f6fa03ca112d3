"""Choosing the ledger backend from the settings."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from notion_pipeline.errors import ServiceUnavailableError
from notion_pipeline.ledger import open_ledger
from notion_pipeline.ledger.sqlite import SqliteLedger
from notion_pipeline.settings import Settings


def test_sqlite_by_default(tmp_path: Path) -> None:
    settings = Settings.load({"NOTION_PIPELINE_DATA_DIR": str(tmp_path)})

    ledger = open_ledger(settings)

    assert isinstance(ledger, SqliteLedger)
    assert ledger.path == tmp_path / "ledger.sqlite3"
    ledger.close()


def test_sqlite_path_setting(tmp_path: Path) -> None:
    settings = Settings.load(
        {
            "NOTION_PIPELINE_DATA_DIR": str(tmp_path),
            "NOTION_PIPELINE_SQLITE_PATH": str(tmp_path / "elsewhere.db"),
        }
    )

    ledger = open_ledger(settings)

    assert ledger.path == tmp_path / "elsewhere.db"
    ledger.close()


def test_mongodb_when_uri_set(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings.load(
        {
            "NOTION_PIPELINE_DATA_DIR": str(tmp_path),
            "MONGODB_URI": f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=200",
        }
    )

    # Nothing listens on the port, so reaching MongoDB at all shows the backend choice.
    with pytest.raises(ServiceUnavailableError, match="MongoDB"):
        open_ledger(settings)
