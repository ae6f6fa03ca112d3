"""A small workspace served locally and the Dagster definitions pointed at it, all in one process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from notion_pipeline.definitions import build_definitions
from notion_pipeline.defs.partitions import partitions_name
from notion_pipeline.defs.resources import LedgerResource, NotionResource
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import Ledger, open_ledger
from notion_pipeline.notion.generator import GeneratedWorkspace, generate_workspace
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline.settings import Settings

TOKEN = "secret_dagster_test_token"
WORKSPACE = "default"


@pytest.fixture(scope="session")
def small_workspace(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorkspace:
    """Generate 12 short pages (with a database and rows) once per session."""
    root = tmp_path_factory.mktemp("small_workspace")
    return generate_workspace(root, 12, seed=11, min_words=60, max_words=250)


@dataclass
class Pipeline:
    """The pipeline under test: server, settings, definitions and an ephemeral Dagster instance."""

    server: LocalNotionServer
    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance
    workspace: GeneratedWorkspace

    def run_job(self, name: str, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
        return self.defs.resolve_job_def(name).execute_in_process(
            instance=self.instance, run_config=run_config or {}, raise_on_error=False
        )

    def open_ledger(self) -> Ledger:
        return open_ledger(self.settings)

    def point_counts(self) -> dict[str, int]:
        """Count points per page; opens and closes the local Qdrant so runs can take its lock."""
        with QdrantStore.from_settings(self.settings, 384) as store:
            return store.workspace_page_counts(WORKSPACE)

    def partitions(self) -> set[str]:
        return set(self.instance.get_dynamic_partitions(partitions_name(WORKSPACE)))

    def tick(self, cursor: str | None) -> dg.SensorResult:
        sensor = self.defs.resolve_sensor_def(f"notion_changes_{WORKSPACE}")
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=cursor,
            resources={"notion": NotionResource(), "ledger": LedgerResource()},
        ) as context:
            return sensor(context)


@pytest.fixture
def pipeline(
    small_workspace: GeneratedWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pipeline]:
    """Serve the small workspace and point freshly built definitions at it."""
    for name in ("QDRANT_URL", "MONGODB_URI", "REDIS_URL", "NOTION_PIPELINE_CONFIG", "NOTION_WORKSPACES"):
        monkeypatch.delenv(name, raising=False)
    with LocalNotionServer(Path(small_workspace.root), token=TOKEN) as server:
        monkeypatch.setenv("NOTION_BASE_URL", server.url)
        monkeypatch.setenv("NOTION_TOKEN", TOKEN)
        monkeypatch.setenv("NOTION_PIPELINE_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NOTION_PIPELINE_AUTOMATION", "off")
        monkeypatch.setenv("NOTION_REQUESTS_PER_SECOND", "200")
        monkeypatch.setenv("NOTION_BURST", "200")
        monkeypatch.setenv("NOTION_MAX_RETRY_SECONDS", "1")
        monkeypatch.setenv("PAGE_RETRY_MAX", "0")
        settings = Settings.load()
        yield Pipeline(
            server=server,
            settings=settings,
            defs=build_definitions(settings),
            instance=dg.DagsterInstance.ephemeral(),
            workspace=small_workspace,
        )
