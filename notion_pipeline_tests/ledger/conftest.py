"""Fixtures that run the ledger contract suite against every backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import mongomock
import pytest

from notion_pipeline.ledger import Ledger
from notion_pipeline.ledger.mongo import MongoLedger
from notion_pipeline.ledger.sqlite import SqliteLedger

MONGODB_URI = os.environ.get("MONGODB_URI")


@pytest.fixture(params=["sqlite", "mongomock", "mongodb"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        backend = SqliteLedger(tmp_path / "ledger.sqlite3")
        yield backend
        backend.close()
        return

    if request.param == "mongomock":
        backend = MongoLedger(client=mongomock.MongoClient(), database="ledger_tests")
        yield backend
        backend.close()
        return

    if not MONGODB_URI:
        pytest.skip("MONGODB_URI is not set, so no real MongoDB server is available")
    database = f"notion_pipeline_test_{uuid.uuid4().hex[:12]}"
    backend = MongoLedger(MONGODB_URI, database)
    yield backend
    backend._client.drop_database(database)
    backend.close()
