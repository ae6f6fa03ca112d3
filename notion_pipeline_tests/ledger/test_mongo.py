"""MongoDB-only behaviour: an unreachable server, an invalid URI, passwords kept out of errors."""

from __future__ import annotations

import socket

import mongomock
import pytest

from notion_pipeline.errors import ConfigurationError, ServiceUnavailableError
from notion_pipeline.ledger.mongo import MongoLedger

PASSWORD = "hunter22-s3cret"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_raises_unavailable() -> None:
    uri = f"mongodb://app:{PASSWORD}@127.0.0.1:{closed_port()}/"

    with pytest.raises(ServiceUnavailableError) as caught:
        MongoLedger(uri, "ledger", server_selection_timeout_ms=200)

    assert caught.value.service == "MongoDB"
    assert caught.value.setting == "MONGODB_URI"
    assert PASSWORD not in str(caught.value)


def test_invalid_uri_raises_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        MongoLedger(f"mongodb://app:{PASSWORD}@", "ledger")

    assert PASSWORD not in str(caught.value)
    assert "MONGODB_URI" in str(caught.value)


def test_missing_uri_and_client() -> None:
    with pytest.raises(ConfigurationError, match="MONGODB_URI"):
        MongoLedger(None)


def test_indexes_are_unique() -> None:
    client = mongomock.MongoClient()
    MongoLedger(client=client, database="ledger")

    pages = client["ledger"]["pages"].index_information()
    letters = client["ledger"]["dead_letters"].index_information()

    assert pages["workspace_page"]["unique"] is True
    assert letters["workspace_page_run"]["unique"] is True


def test_close_keeps_given_client() -> None:
    client = mongomock.MongoClient()
    ledger = MongoLedger(client=client, database="ledger")

    ledger.close()

    assert client["ledger"]["pages"].count_documents({}) == 0
