"""A full sync killed with SIGKILL at seeded moments, then run again, converges to the exact index."""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from notion_pipeline.consistency import IndexCheckReport
from notion_pipeline.notion import builders
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.faults.conftest import (
    FAULT_TOKEN,
    ReferenceIndex,
    apply_environment,
    index_check,
    point_differences,
    run_full_sync,
    run_job_process,
    snapshot_points,
    start_job_process,
    sync_environment,
)

KILL_SEED = 31
POLL_SECONDS = 0.02
SHORT_KILLS = 3
LONG_KILLS = 10

# A page whose content hash did not change is skipped and keeps the payload of its last
# indexing, including the older last_edited_time, so that one key is left out of the comparison.
VOLATILE_PAYLOAD_KEYS = ("last_edited_time",)


@dataclass
class KillOutcome:
    """Per attempt: whether the kill landed, the follow-up run's result and the index afterwards."""

    killed: list[bool] = field(default_factory=list)
    follow_up_ok: list[bool] = field(default_factory=list)
    differences: list[list[str]] = field(default_factory=list)
    reports: list[IndexCheckReport] = field(default_factory=list)


def _kill_at_request(env: dict[str, str], dagster_home: Path, log_path: Path,
                     server: LocalNotionServer, kill_after_requests: int) -> bool:
    """Start a full sync and SIGKILL it once the server has seen the given number of requests.

    Returns False when the run ended by itself before that point.
    """
    server.reset_request_log()
    process = start_job_process(env, dagster_home, log_path)
    while process.poll() is None:
        if server.request_count() >= kill_after_requests:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(POLL_SECONDS)
    return False


def _edit_every_page(server: LocalNotionServer, page_ids: tuple[str, ...], attempt: int) -> list[str]:
    """Append one paragraph to every page, so the next run has every page to index again."""
    added = []
    for page_id in page_ids:
        added += server.append_blocks(page_id, [builders.paragraph_block(f"Edition {attempt} of {page_id}.")])
    return added


def kill_and_converge(reference: ReferenceIndex, root: Path, kills: int,
                      follow_up_in_process: bool) -> KillOutcome:
    """Kill ``kills`` full syncs at seeded request counts, each followed by a complete run."""
    outcome = KillOutcome()
    data_dir = root / "data"
    dagster_home = root / "dagster_home"
    rng = random.Random(KILL_SEED)
    with LocalNotionServer(reference.workspace.root, token=FAULT_TOKEN) as server, \
            pytest.MonkeyPatch.context() as patch:
        env = sync_environment(data_dir, server)
        for attempt in range(kills):
            # After the first attempt the index is complete, so every page gets an extra block
            # for the killed run to index, and loses it again before the run that must converge.
            added = _edit_every_page(server, reference.workspace.page_ids, attempt) if attempt else []
            kill_after = rng.randint(1, max(1, reference.requests - 1))
            outcome.killed.append(
                _kill_at_request(env, dagster_home, root / f"killed-{attempt}.log", server, kill_after)
            )
            for block_id in added:
                server.delete_block(block_id)

            if follow_up_in_process:
                apply_environment(patch, env)
                patch.setenv("DAGSTER_HOME", str(dagster_home))
                with dg.DagsterInstance.get() as instance:
                    outcome.follow_up_ok.append(run_full_sync(instance).success)
            else:
                status = run_job_process(env, dagster_home, root / f"after-{attempt}.log")
                outcome.follow_up_ok.append(status == 0)

            outcome.differences.append(
                point_differences(snapshot_points(data_dir), reference.points, VOLATILE_PAYLOAD_KEYS)
            )
            outcome.reports.append(index_check(data_dir))
    return outcome


@pytest.fixture(scope="module")
def short_kills(reference_index: ReferenceIndex, tmp_path_factory: pytest.TempPathFactory) -> KillOutcome:
    # The killed runs are separate processes. The run after each kill is the same job in this
    # process, where the model is already loaded, against the same DAGSTER_HOME and data.
    return kill_and_converge(reference_index, tmp_path_factory.mktemp("kills"), SHORT_KILLS, True)


@pytest.fixture(scope="module")
def long_kills(reference_index: ReferenceIndex, tmp_path_factory: pytest.TempPathFactory) -> KillOutcome:
    return kill_and_converge(reference_index, tmp_path_factory.mktemp("kills-long"), LONG_KILLS, False)


def test_kills_land_mid_run(short_kills: KillOutcome) -> None:
    assert short_kills.killed == [True] * SHORT_KILLS


def test_run_after_kill_succeeds(short_kills: KillOutcome) -> None:
    assert short_kills.follow_up_ok == [True] * SHORT_KILLS


def test_points_converge_after_kill(short_kills: KillOutcome) -> None:
    assert short_kills.differences == [[]] * SHORT_KILLS


def test_index_check_after_kill(short_kills: KillOutcome) -> None:
    assert [report.describe() for report in short_kills.reports if not report.passed] == []


@pytest.mark.slow
def test_points_converge_after_ten_kills(long_kills: KillOutcome) -> None:
    assert long_kills.killed == [True] * LONG_KILLS
    assert long_kills.follow_up_ok == [True] * LONG_KILLS
    assert long_kills.differences == [[]] * LONG_KILLS
