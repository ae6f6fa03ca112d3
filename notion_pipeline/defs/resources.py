"""Dagster resources, one per outside system: Notion, Qdrant, the ledger, the model, Redis events.

Settings come from ``Settings.load()`` (environment or settings file), never from run config, so
no token or connection string ever lands in a run's config, tags or event log.
"""

from __future__ import annotations

import logging
import threading

import dagster as dg
from pydantic import PrivateAttr

from notion_pipeline.events import ProgressEvents
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import Ledger, open_ledger
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.redis_ratelimit import build_rate_limiter
from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)


class NotionResource(dg.ConfigurableResource):
    """Notion API clients, one per workspace, behind the shared rate limit."""

    _clients: dict[str, NotionClient] = PrivateAttr(default_factory=dict)

    def client(self, workspace_id: str) -> NotionClient:
        """Return the workspace's client, built once per process."""
        if workspace_id not in self._clients:
            settings = Settings.load()
            self._clients[workspace_id] = NotionClient.from_settings(
                settings, workspace_id, rate_limiter=build_rate_limiter(settings, workspace_id)
            )
        return self._clients[workspace_id]


class QdrantResource(dg.ConfigurableResource):
    """The Qdrant collection; in local mode the on-disk store is opened once per run process."""

    _store: QdrantStore | None = PrivateAttr(default=None)

    def store(self, dimension: int) -> QdrantStore:
        """Open the store once per process; the collection is created for ``dimension`` if missing."""
        if self._store is None:
            self._store = QdrantStore.from_settings(Settings.load(), dimension)
        return self._store

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class LedgerResource(dg.ConfigurableResource):
    """The per-page ledger: SQLite by default, MongoDB when MONGODB_URI is set."""

    _ledger: Ledger | None = PrivateAttr(default=None)

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = open_ledger(Settings.load())
        return self._ledger

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


class EmbeddingResource(dg.ConfigurableResource):
    """The sentence-transformers model and the chunker built on its tokenizer, loaded once per process."""

    _loader: threading.Thread | None = PrivateAttr(default=None)

    def embedder(self) -> Embedder:
        return Embedder.from_settings(Settings.load())

    def preload(self) -> None:
        """Start loading the model in a background thread and return at once.

        A later ``embedder()`` call waits for that load instead of starting another. If the
        background load fails, ``embedder()`` loads again and raises the error where the run
        can report it.
        """
        if self._loader is None:
            self._loader = threading.Thread(
                target=self._load_quietly, name="embedding-model-load", daemon=True
            )
            self._loader.start()

    def _load_quietly(self) -> None:
        try:
            self.embedder()
        except Exception:  # noqa: BLE001 - embedder() raises the same error in the run's own thread
            logger.debug("Loading the embedding model in the background failed", exc_info=True)

    def chunker(self) -> Chunker:
        return Chunker.from_settings(Settings.load(), self.embedder())


class ProgressEventsResource(dg.ConfigurableResource):
    """Sync progress events in a Redis stream per workspace (a no-op without REDIS_URL)."""

    _events: ProgressEvents | None = PrivateAttr(default=None)

    def events(self) -> ProgressEvents:
        if self._events is None:
            self._events = ProgressEvents.from_settings(Settings.load())
        return self._events


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Return the resources every job, asset, check and sensor of the project shares."""
    return {
        "notion": NotionResource(),
        "qdrant": QdrantResource(),
        "ledger": LedgerResource(),
        "embedding": EmbeddingResource(),
        "progress_events": ProgressEventsResource(),
    }
