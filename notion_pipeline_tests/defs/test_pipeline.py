"""The Dagster layer in one process: full sync, change sensor, dead letters, backfill runs, checks."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from notion_pipeline.consistency import check_index
from notion_pipeline.dead_letters import record_failed_run
from notion_pipeline.defs.jobs import sync_pages_op_name
from notion_pipeline.defs.partitions import page_asset_key, page_partitions
from notion_pipeline.ledger import PageStatus
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.listing import list_pages
from notion_pipeline_tests.defs.conftest import TOKEN, WORKSPACE, Pipeline


def listed_page_ids(pipeline: Pipeline) -> set[str]:
    client = NotionClient(token=TOKEN, base_url=pipeline.server.url)
    return {summary.id for summary in list_pages(client) if not summary.in_trash}


def first_paragraph_id(pipeline: Pipeline, page_id: str) -> str:
    blocks = json.loads((Path(pipeline.workspace.root) / "blocks" / f"{page_id}.json").read_text())
    return next(block["id"] for block in blocks if block["type"] == "paragraph")


def materialized_pages(result: dg.ExecuteInProcessResult) -> list[str]:
    return [event.partition for event in result.get_asset_materialization_events()]


def test_full_sync_indexes_every_listed_page(pipeline: Pipeline):
    result = pipeline.run_job("notion_full_sync")
    assert result.success
    listed = listed_page_ids(pipeline)
    ledger = pipeline.open_ledger()
    indexed = {record.page_id for record in ledger.list_pages(WORKSPACE, PageStatus.INDEXED)}
    assert indexed == listed
    assert pipeline.partitions() == listed
    assert sorted(materialized_pages(result)) == sorted(listed)
    report = check_index(ledger.list_pages(WORKSPACE), pipeline.point_counts())
    assert report.passed, report.describe()


def test_full_sync_skips_page_retrieval(pipeline: Pipeline):
    pipeline.server.reset_request_log()

    assert pipeline.run_job("notion_full_sync").success

    # The listing's page objects are used as they are: each page costs only block requests.
    assert pipeline.server.request_count("/v1/pages") == 0
    assert pipeline.server.request_count("/v1/blocks") >= len(listed_page_ids(pipeline))


def test_second_full_sync_fetches_and_embeds_nothing(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    counts_before = pipeline.point_counts()
    pipeline.server.reset_request_log()

    result = pipeline.run_job("notion_full_sync")

    assert result.success
    assert materialized_pages(result) == []
    assert pipeline.server.request_count("/v1/pages") == 0
    assert pipeline.server.request_count("/v1/blocks") == 0
    assert pipeline.point_counts() == counts_before
    summary = pipeline.open_ledger().list_syncs(WORKSPACE, limit=1)[0]
    assert summary.chunks_embedded == 0


def test_full_sync_removes_unshared_and_trashed_pages(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    unshared, trashed = pipeline.workspace.top_level_page_ids[:2]
    pipeline.server.unshare_page(unshared)
    pipeline.server.trash_page(trashed)

    assert pipeline.run_job("notion_full_sync").success

    ledger = pipeline.open_ledger()
    counts = pipeline.point_counts()
    for page_id in (unshared, trashed):
        assert ledger.get_page(WORKSPACE, page_id).status == PageStatus.DELETED
        assert counts.get(page_id, 0) == 0
        assert page_id not in pipeline.partitions()
    report = check_index(ledger.list_pages(WORKSPACE), counts)
    assert report.passed, report.describe()


def test_sensor_first_tick_requests_reconciliation(pipeline: Pipeline):
    result = pipeline.tick(None)

    [request] = result.run_requests
    config = request.run_config["ops"][sync_pages_op_name(WORKSPACE)]["config"]
    assert config["reconcile"] is True
    assert pipeline.server.request_count() == 0


def test_sensor_tick_without_changes_makes_one_request(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    first = pipeline.tick(None)
    pipeline.server.reset_request_log()

    second = pipeline.tick(first.cursor)

    assert second.run_requests == []
    assert pipeline.server.request_count() == 1


def test_sensor_batches_edit_and_new_page(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    cursor = pipeline.tick(None).cursor
    edited = pipeline.workspace.top_level_page_ids[0]
    pipeline.server.edit_block_text(first_paragraph_id(pipeline, edited), "The deploy freeze starts on Fridays at noon.")
    added = pipeline.server.add_page("Freeze calendar", [])

    result = pipeline.tick(cursor)

    assert len(result.run_requests) == 1
    config = result.run_requests[0].run_config["ops"][sync_pages_op_name(WORKSPACE)]["config"]
    assert sorted(config["page_ids"]) == sorted([edited, added])
    added_partitions = [
        key for request in result.dynamic_partitions_requests for key in request.partition_keys
    ]
    assert added_partitions == [added]


def test_sensor_reevaluation_reuses_run_key(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    cursor = pipeline.tick(None).cursor
    edited = pipeline.workspace.top_level_page_ids[0]
    pipeline.server.edit_block_text(first_paragraph_id(pipeline, edited), "Rotate the signing key yearly.")

    first = pipeline.tick(cursor)
    again = pipeline.tick(cursor)

    assert first.run_requests[0].run_key == again.run_requests[0].run_key


def test_sensor_run_reembeds_only_the_edit(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    cursor = pipeline.tick(None).cursor
    edited = pipeline.workspace.top_level_page_ids[0]
    pipeline.server.edit_block_text(first_paragraph_id(pipeline, edited), "Backups are tested every quarter.")
    request = pipeline.tick(cursor).run_requests[0]

    result = pipeline.run_job(f"notion_sync_pages_{WORKSPACE}", request.run_config)

    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert event.partition == edited
    assert metadata["chunks_embedded"].value <= 2
    ledger = pipeline.open_ledger()
    assert ledger.get_page(WORKSPACE, edited).status == PageStatus.INDEXED


def test_sensor_reconciliation_removes_unshared_page(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    unshared = pipeline.workspace.top_level_page_ids[1]
    pipeline.server.unshare_page(unshared)

    # No cursor: the first tick requests a run that lists the whole workspace and reconciles it.
    [request] = pipeline.tick(None).run_requests

    result = pipeline.run_job(f"notion_sync_pages_{WORKSPACE}", request.run_config)

    assert result.success
    assert materialized_pages(result) == []
    assert pipeline.open_ledger().get_page(WORKSPACE, unshared).status == PageStatus.DELETED
    assert pipeline.point_counts().get(unshared, 0) == 0


def test_reconciliation_tick_requests_one_run(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    cursor = json.loads(pipeline.tick(None).cursor)
    edited, trashed = pipeline.workspace.top_level_page_ids[:2]
    pipeline.server.edit_block_text(first_paragraph_id(pipeline, edited), "Expense reports are due on the 3rd.")
    pipeline.server.trash_page(trashed)
    added = pipeline.server.add_page("Expense policy", [])
    cursor["last_reconciled"] = 0.0
    pipeline.server.reset_request_log()

    tick = pipeline.tick(json.dumps(cursor))

    # The reconciliation run lists everything, so the tick itself makes no request.
    assert pipeline.server.request_count() == 0
    [request] = tick.run_requests
    config = request.run_config["ops"][sync_pages_op_name(WORKSPACE)]["config"]
    assert config["reconcile"] is True
    next_cursor = json.loads(tick.cursor)
    assert next_cursor["watermark"] == cursor["watermark"]
    assert next_cursor["last_reconciled"] > 0

    result = pipeline.run_job(f"notion_sync_pages_{WORKSPACE}", request.run_config)

    assert result.success
    assert sorted(materialized_pages(result)) == sorted([edited, added])
    ledger = pipeline.open_ledger()
    assert ledger.get_page(WORKSPACE, trashed).status == PageStatus.DELETED
    assert pipeline.point_counts().get(trashed, 0) == 0


def test_empty_dlq_replay_records_sync(pipeline: Pipeline):
    # A replay with nothing to replay still reports its run, so progress consumers see it end.
    result = pipeline.run_job("notion_dlq_replay")

    assert result.success
    [summary] = pipeline.open_ledger().list_syncs(WORKSPACE, limit=1)
    assert summary.run_id == result.run_id
    assert summary.pages_seen == 0
    assert summary.chunks_embedded == 0


def test_failed_page_reaches_dead_letters_and_replays(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    broken = pipeline.workspace.top_level_page_ids[2]
    pipeline.server.fail_object(broken, 503)
    config = {"ops": {sync_pages_op_name(WORKSPACE): {"config": {"page_ids": [broken]}}}}

    failed = pipeline.run_job(f"notion_sync_pages_{WORKSPACE}", config)

    assert not failed.success
    ledger = pipeline.open_ledger()
    run = pipeline.instance.get_run_by_id(failed.run_id)
    outcome = record_failed_run(pipeline.instance, run, ledger, failure_message="run failed")
    assert outcome.recorded == [(WORKSPACE, broken)]
    [letter] = ledger.list_dead_letters(WORKSPACE)
    assert letter.page_id == broken
    assert "503" in letter.error or "unavailable" in letter.error.lower()
    again = record_failed_run(pipeline.instance, run, ledger, failure_message="run failed")
    assert again.recorded == []
    assert again.already_recorded == 1

    pipeline.server.heal_object(broken)
    replay = pipeline.run_job("notion_dlq_replay")

    assert replay.success
    assert ledger.list_dead_letters(WORKSPACE) == []
    assert ledger.get_page(WORKSPACE, broken).status in (PageStatus.INDEXED, PageStatus.SKIPPED)


def test_backfill_run_marks_only_failed_partition(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    keys = pipeline.instance.get_dynamic_partitions(f"notion_pages_{WORKSPACE}")
    broken = keys[3]
    pipeline.server.fail_object(broken, 500)
    job = pipeline.defs.resolve_implicit_global_asset_job_def()

    result = job.execute_in_process(
        instance=pipeline.instance,
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
        asset_selection=[page_asset_key(WORKSPACE)],
        raise_on_error=False,
    )

    assert not result.success
    assert sorted(materialized_pages(result)) == sorted(set(keys) - {broken})
    status = get_and_update_asset_status_cache_value(
        pipeline.instance,
        page_asset_key(WORKSPACE),
        page_partitions(WORKSPACE),
        dynamic_partitions_loader=pipeline.instance,
    )
    assert json.loads(status.serialized_failed_partition_subset)["subset"] == [broken]
    # Pages whose content did not change keep their recorded chunk counts.
    report = check_index(pipeline.open_ledger().list_pages(WORKSPACE), pipeline.point_counts())
    assert report.passed, report.describe()


def test_sync_repairs_page_whose_points_went_missing(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    victim = pipeline.workspace.top_level_page_ids[0]
    expected = pipeline.point_counts()[victim]
    from notion_pipeline.indexing.store import QdrantStore

    with QdrantStore.from_settings(pipeline.settings, 384) as store:
        point_ids = list(store.page_points(WORKSPACE, victim))
        store.delete_points(WORKSPACE, victim, point_ids[:1])
    config = {"ops": {sync_pages_op_name(WORKSPACE): {"config": {"page_ids": [victim]}}}}

    assert pipeline.run_job(f"notion_sync_pages_{WORKSPACE}", config).success

    assert pipeline.point_counts()[victim] == expected
    assert pipeline.open_ledger().get_page(WORKSPACE, victim).chunk_count == expected


def test_index_check_fails_on_missing_points(pipeline: Pipeline):
    assert pipeline.run_job("notion_full_sync").success
    passing = pipeline.run_job("notion_index_check")
    [evaluation] = passing.get_asset_check_evaluations()
    assert evaluation.passed

    victim = pipeline.workspace.top_level_page_ids[0]
    from notion_pipeline.indexing.store import QdrantStore

    with QdrantStore.from_settings(pipeline.settings, 384) as store:
        assert store.delete_page(WORKSPACE, victim) > 0
    failing = pipeline.run_job("notion_index_check")
    [evaluation] = failing.get_asset_check_evaluations()
    assert not evaluation.passed
