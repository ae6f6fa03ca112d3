"""Every path a user takes, through the real Dagster daemon and webserver on the embedded instance.

The scenario launches the full sync with `dagster job launch`. The change sensor then picks up an
edit, a new page, a trashed page and an unshared page. A backfill of all partitions is launched
through the webserver's GraphQL API. Last, a page that fails for good reaches the dead-letter
records and is replayed.
"""

from __future__ import annotations

import math
from pathlib import Path

import dagster as dg
import pytest

from notion_pipeline.consistency import check_index
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import PageStatus, open_ledger
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.server import SAMPLE_WORKSPACE_DIR, LocalNotionServer
from notion_pipeline.settings import Settings
from notion_pipeline_tests.e2e.scenario import (
    PROJECT_ROOT,
    DagsterDeployment,
    dagster_deployment,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]

TOKEN = "secret_e2e_test_token"
DEFAULT_WORKSPACE = "default"
PAGES_PER_BACKFILL_RUN = 30
SUCCESS = dg.DagsterRunStatus.SUCCESS


def scenario_env(server: LocalNotionServer, tmp_path: Path) -> dict[str, str]:
    """Environment of every process: a fast local Notion, short intervals, quick retries."""
    return {
        "NOTION_BASE_URL": server.url,
        "NOTION_TOKEN": TOKEN,
        "NOTION_PIPELINE_DATA_DIR": str(tmp_path / "data"),
        "NOTION_PIPELINE_AUTOMATION": "off",
        "NOTION_REQUESTS_PER_SECOND": "100",
        "NOTION_BURST": "100",
        "SENSOR_INTERVAL_SECONDS": "5",
        "RECONCILE_INTERVAL_SECONDS": "20",
        "NOTION_MAX_RETRY_SECONDS": "2",
        "PAGE_RETRY_MAX": "1",
        "PAGE_RETRY_DELAY_SECONDS": "1",
        "BACKFILL_PAGES_PER_RUN": str(PAGES_PER_BACKFILL_RUN),
        "QDRANT_LOCK_TIMEOUT_SECONDS": "300",
        "QDRANT_URL": "",
        "MONGODB_URI": "",
        "REDIS_URL": "",
    }


def load_settings(env: dict[str, str]) -> Settings:
    return Settings.load({key: value for key, value in env.items() if value})


def sensor_cursor(deployment: DagsterDeployment, name: str) -> str | None:
    with deployment.instance() as instance:
        for state in instance.all_instigator_state():
            if state.name == name and state.instigator_data is not None:
                return getattr(state.instigator_data, "cursor", None)
    return None


def run_scenario(
    deployment: DagsterDeployment,
    server: LocalNotionServer,
    settings: Settings,
    workspace_id: str = DEFAULT_WORKSPACE,
) -> None:
    """Drive each user path and check the ledger, the partitions and Qdrant after it."""
    workspace_file = str(PROJECT_ROOT / "workspace.yaml")
    ledger = open_ledger(settings)
    client = NotionClient(token=TOKEN, base_url=server.url)
    listed = [summary for summary in list_pages(client) if not summary.in_trash]
    listed_ids = {summary.id for summary in listed}

    # 1. `dagster job launch` of the full sync, dequeued by the daemon.
    launched = deployment.cli("dagster", "job", "launch", "-w", workspace_file, "-j", "notion_full_sync")
    assert launched.returncode == 0, launched.stderr
    [full_sync] = deployment.wait_for_runs_done(job_name="notion_full_sync", timeout=900)
    assert full_sync.status == SUCCESS, deployment.log_tail()
    indexed = {record.page_id for record in ledger.list_pages(workspace_id, PageStatus.INDEXED)}
    assert indexed == listed_ids
    with deployment.instance() as instance:
        assert set(instance.get_dynamic_partitions(f"notion_pages_{workspace_id}")) == listed_ids

    # 2. The change sensor: an edit and a new page (incremental), a trashed and an unshared page
    #    (reconciliation, because search no longer returns them).
    for sensor in (f"notion_changes_{workspace_id}", "notion_dead_letters"):
        started = deployment.cli("dagster", "sensor", "start", "-w", workspace_file, sensor)
        assert started.returncode == 0, started.stderr
    wait_for(lambda: sensor_cursor(deployment, f"notion_changes_{workspace_id}"), timeout=180,
             what="the change sensor's first tick")

    edited, trashed, unshared = (summary.id for summary in listed[:3])
    before_edit = ledger.get_page(workspace_id, edited)
    server.edit_block_text(_first_text_block(server, edited), "Deploys pause during the quarterly freeze.")
    added = server.add_page("Quarterly freeze", [])
    wait_for(
        lambda: _is_indexed(ledger, workspace_id, added)
        and ledger.get_page(workspace_id, edited).content_hash != before_edit.content_hash,
        timeout=600,
        what="the sensor to index the edited and the new page",
    )
    server.trash_page(trashed)
    server.unshare_page(unshared)
    wait_for(
        lambda: all(_is_deleted(ledger, workspace_id, page_id) for page_id in (trashed, unshared)),
        timeout=600,
        what="the sensor to remove the trashed and the unshared page",
    )
    sensor_runs = deployment.wait_for_runs_done(job_name=f"notion_sync_pages_{workspace_id}", timeout=300)
    assert all(run.status == SUCCESS for run in sensor_runs), deployment.log_tail()
    with deployment.instance() as instance:
        partitions = set(instance.get_dynamic_partitions(f"notion_pages_{workspace_id}"))
    assert added in partitions
    assert trashed not in partitions
    assert unshared not in partitions

    # 3. A backfill of every partition, launched through the webserver's GraphQL API.
    launched_backfill = deployment.graphql(
        """
        mutation Backfill($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
            __typename
            ... on LaunchBackfillSuccess { backfillId }
            ... on PythonError { message }
          }
        }
        """,
        {"params": {"assetSelection": [{"path": ["notion", workspace_id, "pages"]}], "allPartitions": True}},
    )["launchPartitionBackfill"]
    assert launched_backfill["__typename"] == "LaunchBackfillSuccess", launched_backfill
    backfill_id = launched_backfill["backfillId"]
    expected_runs = math.ceil(len(partitions) / PAGES_PER_BACKFILL_RUN)
    backfill_runs = wait_for(
        lambda: _finished_backfill_runs(deployment, backfill_id, expected_runs),
        timeout=900,
        what=f"{expected_runs} backfill runs",
    )
    assert all(run.status == SUCCESS for run in backfill_runs), deployment.log_tail()

    # 4. A page that fails for good lands in the dead-letter records and is replayed once fixed.
    broken = next(page_id for page_id in sorted(partitions) if page_id not in (edited, added))
    server.fail_object(broken, 500)
    server.touch_page(broken)
    wait_for(
        lambda: any(letter.page_id == broken for letter in ledger.list_dead_letters(workspace_id)),
        timeout=600,
        what="the failed page in the dead-letter records",
    )
    assert ledger.get_page(workspace_id, broken).status == PageStatus.FAILED
    server.heal_object(broken)
    listed_letters = deployment.cli("notion-pipeline", "dlq", "list")
    assert broken in listed_letters.stdout
    replayed = deployment.cli("notion-pipeline", "dlq", "replay")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert ledger.list_dead_letters(workspace_id) == []
    assert _is_indexed(ledger, workspace_id, broken)

    # Finally the index agrees with the ledger. Stop the sensors first so no run has the
    # local Qdrant while the test reads it.
    for sensor in (f"notion_changes_{workspace_id}", "notion_dead_letters"):
        deployment.cli("dagster", "sensor", "stop", "-w", workspace_file, sensor)
    _wait_until_idle(deployment)
    with QdrantStore.from_settings(settings, 384) as store:
        counts = store.workspace_page_counts(workspace_id)
    report = check_index(ledger.list_pages(workspace_id), counts)
    assert report.passed, report.describe()
    ledger.close()


def _first_text_block(server: LocalNotionServer, page_id: str) -> str:
    for block in server.store.list_children(page_id, None, 100).results:
        if block.get("type") in ("paragraph", "bulleted_list_item", "heading_2", "quote"):
            return block["id"]
    raise AssertionError(f"Page {page_id} has no paragraph to edit")


def _is_indexed(ledger, workspace_id: str, page_id: str) -> bool:
    record = ledger.get_page(workspace_id, page_id)
    return record is not None and record.status in (PageStatus.INDEXED, PageStatus.SKIPPED)


def _is_deleted(ledger, workspace_id: str, page_id: str) -> bool:
    record = ledger.get_page(workspace_id, page_id)
    return record is not None and record.status == PageStatus.DELETED


def _finished_backfill_runs(deployment: DagsterDeployment, backfill_id: str, expected: int):
    runs = deployment.runs(tags={"dagster/backfill": backfill_id})
    if len(runs) >= expected and all(run.is_finished for run in runs):
        return runs
    return None


def _wait_until_idle(deployment: DagsterDeployment) -> None:
    wait_for(
        lambda: all(run.is_finished for run in deployment.runs()),
        timeout=300,
        what="every run to finish",
    )


def test_user_paths_on_embedded_instance(tmp_path: Path):
    with LocalNotionServer(SAMPLE_WORKSPACE_DIR, token=TOKEN) as server:
        env = scenario_env(server, tmp_path)
        with dagster_deployment(PROJECT_ROOT / "dagster.yaml", env, tmp_path) as deployment:
            run_scenario(deployment, server, load_settings(env))
