"""Run tags that drive the run queue's concurrency limits (see dagster.yaml)."""

from __future__ import annotations

from notion_pipeline.settings import Settings

WORKSPACE_TAG = "notion_pipeline/workspace"
QDRANT_LOCAL_TAG = "notion_pipeline/qdrant_local"


def run_tags(settings: Settings, workspace_id: str | None) -> dict[str, str]:
    """Return the tags that serialise syncs of one workspace and writers of a local Qdrant.

    The queued run coordinator allows one run per workspace tag value, and one run at a time
    carrying the local-Qdrant tag, because Qdrant's local mode takes an exclusive file lock.
    """
    tags: dict[str, str] = {}
    if workspace_id is not None:
        tags[WORKSPACE_TAG] = workspace_id
    if not settings.qdrant_url:
        tags[QDRANT_LOCAL_TAG] = "true"
    return tags


def pool_name(settings: Settings, workspace_id: str) -> str:
    """Return the concurrency pool of steps that write a workspace's points.

    With a local Qdrant every workspace shares one pool, because the on-disk store admits one
    process at a time. With a Qdrant server each workspace has its own pool. dagster.yaml gives
    every pool a limit of one.
    """
    if not settings.qdrant_url:
        return "notion_pipeline_qdrant_local"
    return f"notion_pipeline_{workspace_id}"
