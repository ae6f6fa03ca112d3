"""One dynamic partitions definition per workspace: one partition per Notion page id."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from notion_pipeline.planning import batched

# Adding tens of thousands of partitions in one call fails on SQLite run storage ("too many SQL
# variables"), so partitions are added and removed in batches of this size.
PARTITION_BATCH_SIZE = 500


def partitions_name(workspace_id: str) -> str:
    return f"notion_pages_{workspace_id}"


def page_partitions(workspace_id: str) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=partitions_name(workspace_id))


def page_asset_key(workspace_id: str) -> dg.AssetKey:
    return dg.AssetKey(["notion", workspace_id, "pages"])


def add_partitions(instance: dg.DagsterInstance, workspace_id: str, page_ids: Iterable[str]) -> int:
    """Add partitions for pages that do not have one yet; return how many were added."""
    name = partitions_name(workspace_id)
    existing = set(instance.get_dynamic_partitions(name))
    new_ids = sorted(set(page_ids) - existing)
    for batch in batched(new_ids, PARTITION_BATCH_SIZE):
        instance.add_dynamic_partitions(name, batch)
    return len(new_ids)


def remove_partitions(instance: dg.DagsterInstance, workspace_id: str, page_ids: Iterable[str]) -> int:
    """Remove the partitions of pages that are gone; return how many were removed."""
    name = partitions_name(workspace_id)
    existing = set(instance.get_dynamic_partitions(name))
    removed = 0
    for page_id in sorted(set(page_ids) & existing):
        instance.delete_dynamic_partition(name, page_id)
        removed += 1
    return removed
