"""The production instance (deploy/dagster.yaml) on a real PostgreSQL.

The fast tests check the instance settings. The user-path scenario of the embedded instance
(queued full sync, change sensor, backfill, dead letters and replay) runs again on PostgreSQL
with Redis for the rate limit and the progress events. It takes minutes, and CI runs it.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import pytest
import redis
import yaml

from notion_pipeline.events import SYNC_COMPLETED, SYNC_STARTED, read_events
from notion_pipeline.notion.server import SAMPLE_WORKSPACE_DIR, LocalNotionServer
from notion_pipeline_tests.deploy.conftest import DEPLOY_DIR, REDIS_URL, REPO_ROOT, Deployment, PostgresDatabase
from notion_pipeline_tests.e2e.scenario import dagster_deployment
from notion_pipeline_tests.e2e.test_user_paths import TOKEN, load_settings, run_scenario, scenario_env

pytestmark = pytest.mark.e2e

def test_instance_uses_postgres_storage(deployment: Deployment):
    instance = deployment.instance
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_instance_concurrency_settings(deployment: Deployment):
    concurrency = deployment.instance.get_concurrency_config()
    queue = concurrency.run_queue_config
    limits = {limit["key"]: limit for limit in queue.tag_concurrency_limits}
    assert queue.max_concurrent_runs == 4
    assert limits["notion_pipeline/workspace"]["value"] == {"applyLimitPerUniqueValue": True}
    assert limits["notion_pipeline/workspace"]["limit"] == 1
    assert limits["notion_pipeline/qdrant_local"]["limit"] == 1
    assert concurrency.pool_config.default_pool_limit == 1


def test_instance_run_monitoring_and_retries(deployment: Deployment):
    instance = deployment.instance
    assert instance.run_monitoring_enabled
    assert instance.run_retries_enabled
    assert instance.run_retries_max_retries == 1
    assert not instance.run_retries_retry_on_asset_or_op_failure


def test_instance_matches_embedded_config():
    deployed = yaml.safe_load((DEPLOY_DIR / "dagster.yaml").read_text())
    embedded = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    assert "storage" not in embedded
    assert {key: value for key, value in deployed.items() if key != "storage"} == embedded


@pytest.mark.e2e
@pytest.mark.timeout(2400)
def test_user_paths_on_postgres_instance(
    tmp_path: Path,
    postgres_database: PostgresDatabase,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
):
    # The test process opens the same instance, so it needs the DAGSTER_PG_* settings too.
    for name, value in postgres_database.dagster_env().items():
        monkeypatch.setenv(name, value)
    # A workspace id of its own keeps this test's rate-limit key and event stream apart from any
    # pipeline that shares the Redis server.
    workspace_id = f"e2e_{uuid.uuid4().hex[:10]}"
    with LocalNotionServer(SAMPLE_WORKSPACE_DIR, token=TOKEN) as server:
        env = {
            **scenario_env(server, tmp_path),
            **postgres_database.dagster_env(),
            "REDIS_URL": REDIS_URL,
            "NOTION_WORKSPACE_ID": workspace_id,
        }
        with dagster_deployment(DEPLOY_DIR / "dagster.yaml", env, tmp_path) as deployment:
            run_scenario(deployment, server, load_settings(env), workspace_id)
            sync_runs = [run for run in deployment.runs() if run.job_name != "notion_index_check"]

    # Every sync run published its start and its end to the workspace's Redis stream.
    events = list(read_events(REDIS_URL, workspace_id, count=10_000))
    redis_client.delete(f"notion_pipeline:events:{workspace_id}", f"notion_pipeline:ratelimit:{workspace_id}")
    started = {event.run_id for event in events if event.type == SYNC_STARTED}
    completed = {event.run_id for event in events if event.type == SYNC_COMPLETED}
    successful = {run.run_id for run in sync_runs if run.status == dg.DagsterRunStatus.SUCCESS}
    assert successful
    assert successful <= started
    assert successful <= completed
