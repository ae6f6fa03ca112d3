"""Measure the capacity figures of docs/capacity.md on this machine.

Two measurements, each printed as one JSON object per line:

- ``full_sync``: a full sync of a generated workspace through Dagster, in one run worker, with the
  local Notion server's rate limit off; pages per hour follow, and an estimate for Notion's
  average limit of 3 requests per second from the requests each page needed.
- ``partitions``: 50,000 dynamic partitions added in batches to a SQLite instance and, when
  PostgreSQL is reachable, to a PostgreSQL instance (deploy/dagster.yaml); then the time of
  ``get_dynamic_partitions`` and of one change-sensor tick that finds no change.

Run: ``.venv/bin/python scripts/capacity.py --pages 200 --partitions 50000``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "secret_capacity_token"
NOTION_AVERAGE_REQUESTS_PER_SECOND = 3.0


def machine_description() -> dict[str, object]:
    import psutil
    import torch

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def configure_environment(server_url: str, data_dir: Path, workspace_id: str) -> None:
    """Point Settings.load() at the local server, a scratch data directory and no Redis."""
    for name in ("NOTION_PIPELINE_CONFIG", "NOTION_WORKSPACES", "QDRANT_URL", "QDRANT_PATH", "MONGODB_URI",
                 "REDIS_URL", "NOTION_PIPELINE_SQLITE_PATH"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "NOTION_BASE_URL": server_url,
            "NOTION_TOKEN": TOKEN,
            "NOTION_WORKSPACE_ID": workspace_id,
            "NOTION_PIPELINE_DATA_DIR": str(data_dir),
            "NOTION_PIPELINE_AUTOMATION": "off",
            "NOTION_REQUESTS_PER_SECOND": "1000",
            "NOTION_BURST": "1000",
        }
    )


def measure_full_sync(server, pages: int) -> dict[str, object]:
    """Run notion_full_sync in process on an ephemeral instance and time it."""
    import dagster as dg

    from notion_pipeline.definitions import build_definitions
    from notion_pipeline.settings import Settings

    defs = build_definitions(Settings.load())
    server.reset_request_log()
    started = time.perf_counter()
    result = defs.resolve_job_def("notion_full_sync").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    elapsed = time.perf_counter() - started
    requests = server.request_count()
    requests_per_page = requests / pages
    return {
        "measurement": "full_sync",
        "success": result.success,
        "pages": pages,
        "seconds": round(elapsed, 1),
        "pages_per_hour": round(pages / elapsed * 3600),
        "notion_requests": requests,
        "requests_per_page": round(requests_per_page, 2),
        # An estimate: at 3 requests per second the requests alone take this long, if the
        # embedding work overlaps with them (pages are prefetched while earlier ones are indexed).
        "estimated_pages_per_hour_at_3_rps": round(
            min(pages / elapsed, NOTION_AVERAGE_REQUESTS_PER_SECOND / requests_per_page) * 3600
        ),
    }


def measure_partitions(label: str, instance, workspace_id: str, count: int) -> dict[str, object]:
    """Add ``count`` partitions in batches, read them back, and time one no-change sensor tick."""
    import dagster as dg

    from notion_pipeline.definitions import build_definitions
    from notion_pipeline.defs.partitions import PARTITION_BATCH_SIZE, partitions_name
    from notion_pipeline.defs.resources import build_resources
    from notion_pipeline.defs.sensors import ChangeCursor
    from notion_pipeline.planning import batched
    from notion_pipeline.settings import Settings

    name = partitions_name(workspace_id)
    keys = [f"{secrets.token_hex(16)}" for _ in range(count)]
    started = time.perf_counter()
    for batch in batched(keys, PARTITION_BATCH_SIZE):
        instance.add_dynamic_partitions(name, list(batch))
    add_seconds = time.perf_counter() - started

    started = time.perf_counter()
    stored = instance.get_dynamic_partitions(name)
    read_seconds = time.perf_counter() - started

    defs = build_definitions(Settings.load())
    sensor = defs.resolve_sensor_def(f"notion_changes_{workspace_id}")
    # A recent watermark and reconciliation make the tick incremental: one search request,
    # then the partition lookup for whatever it found.
    cursor = ChangeCursor(watermark=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z"),
                          last_reconciled=time.time())
    with dg.build_sensor_context(instance=instance, cursor=cursor.dump(), resources=build_resources()) as context:
        started = time.perf_counter()
        result = sensor(context)
        tick_seconds = time.perf_counter() - started
    return {
        "measurement": "partitions",
        "instance": label,
        "partitions": len(stored),
        "batch_size": PARTITION_BATCH_SIZE,
        "add_seconds": round(add_seconds, 1),
        "get_dynamic_partitions_seconds": round(read_seconds, 3),
        "no_change_tick_seconds": round(tick_seconds, 3),
        "tick_runs_requested": len(result.run_requests or []),
    }


def postgres_instance(home: Path):
    """Create a scratch database and an instance on it from deploy/dagster.yaml, or return None."""
    import dagster as dg
    import psycopg2

    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        print(f"PostgreSQL is not reachable, skipping it: {error}", file=sys.stderr)
        return None, None
    admin.autocommit = True
    database = f"notion_pipeline_capacity_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    os.environ.update({"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "postgres",
                       "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": database})
    home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")

    def drop() -> None:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()

    return dg.DagsterInstance.from_config(str(home)), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages in the generated workspace (default: 200)")
    parser.add_argument("--partitions", type=int, default=50_000,
                        help="dynamic partitions to add to each instance (default: 50000)")
    parser.add_argument("--skip-sync", action="store_true", help="measure only the partitions")
    args = parser.parse_args(argv)

    import dagster as dg

    from notion_pipeline.notion.generator import generate_workspace
    from notion_pipeline.notion.server import LocalNotionServer

    print(json.dumps({"measurement": "machine", **machine_description()}), flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="notion_pipeline_capacity_"))
    try:
        workspace = generate_workspace(scratch / "workspace", args.pages, seed=5)
        with LocalNotionServer(workspace.root, token=TOKEN) as server:
            workspace_id = "capacity"
            configure_environment(server.url, scratch / "data", workspace_id)
            if not args.skip_sync:
                print(json.dumps(measure_full_sync(server, args.pages)), flush=True)

            (scratch / "sqlite_home").mkdir()
            sqlite = dg.DagsterInstance.from_config(str(scratch / "sqlite_home"))
            print(json.dumps(measure_partitions("sqlite", sqlite, workspace_id, args.partitions)), flush=True)
            sqlite.dispose()

            postgres, drop = postgres_instance(scratch / "postgres_home")
            if postgres is not None:
                try:
                    print(json.dumps(measure_partitions("postgres", postgres, workspace_id, args.partitions)),
                          flush=True)
                finally:
                    postgres.dispose()
                    drop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
