"""Per-page state of the index: SQLite by default, MongoDB when ``MONGODB_URI`` is set."""

from __future__ import annotations

from notion_pipeline.ledger.base import Ledger
from notion_pipeline.ledger.models import DeadLetter, PageRecord, PageStatus, SyncSummary
from notion_pipeline.settings import Settings

__all__ = [
    "DeadLetter",
    "Ledger",
    "PageRecord",
    "PageStatus",
    "SyncSummary",
    "open_ledger",
]


def open_ledger(settings: Settings) -> Ledger:
    """Open the MongoDB ledger when ``settings.mongodb_uri`` is set, else the SQLite file."""
    if settings.mongodb_uri:
        from notion_pipeline.ledger.mongo import MongoLedger

        return MongoLedger(settings.mongodb_uri, settings.mongodb_database)

    from notion_pipeline.ledger.sqlite import SqliteLedger

    return SqliteLedger(settings.resolved_sqlite_path)
