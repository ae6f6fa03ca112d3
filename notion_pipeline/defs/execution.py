"""Run-side helpers shared by the page asset and the sync jobs.

They turn a list of page ids into per-page materializations, progress logs, progress events, a
sync summary in the ledger and, when pages failed, one ``dg.Failure`` that names them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from notion_pipeline.defs.partitions import (
    add_partitions,
    page_asset_key,
    partitions_name,
    remove_partitions,
)
from notion_pipeline.defs.resources import (
    EmbeddingResource,
    LedgerResource,
    NotionResource,
    ProgressEventsResource,
    QdrantResource,
)
from notion_pipeline.ledger import SyncSummary
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.models import PageObject
from notion_pipeline.planning import PageRemoval, plan_full_sync
from notion_pipeline.settings import Settings
from notion_pipeline.sync import (
    PageOutcome,
    PagePrefetcher,
    PageSyncer,
    PreparedPage,
    SyncCounts,
    prepare_page,
)

PROGRESS_EVERY_PAGES = 10


@dataclass
class SyncServices:
    """The resources one sync needs, bundled so asset and op bodies stay short."""

    notion: NotionResource
    qdrant: QdrantResource
    ledger: LedgerResource
    embedding: EmbeddingResource
    progress_events: ProgressEventsResource

    def syncer(self, workspace_id: str) -> PageSyncer:
        """Build a page syncer for one workspace; the model loads once per process."""
        embedder = self.embedding.embedder()
        return PageSyncer(
            workspace_id=workspace_id,
            client=self.notion.client(workspace_id),
            ledger=self.ledger.ledger(),
            store=self.qdrant.store(embedder.dimension),
            embedder=embedder,
            chunker=self.embedding.chunker(),
        )


def run_page_sync(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    services: SyncServices,
    workspace_id: str,
    *,
    page_ids: Sequence[str],
    removals: Sequence[PageRemoval] = (),
    kind: str,
    force: bool = False,
    counts: SyncCounts | None = None,
    listed: Mapping[str, PageObject] | None = None,
) -> Iterator[dg.AssetMaterialization]:
    """Sync ``page_ids`` and remove ``removals``, yielding one materialization per synced page.

    ``listed`` holds page objects a listing returned, by page id; those pages are fetched
    without retrieving the page object again.

    One failing page never stops the others. Pages removed here also lose their partition.
    Raises ``dg.Failure`` at the end when any page failed. The failure allows retries only when
    every page failed transiently, so a RetryPolicy does not re-run a page that cannot succeed.
    """
    log = context.log
    run_id = context.run_id
    page_ids = list(dict.fromkeys(page_ids))
    counts = counts or SyncCounts()
    counts.total += len(page_ids) + len(removals)
    events = services.progress_events.events()
    asset_key = page_asset_key(workspace_id)
    started_at = datetime.now(timezone.utc)
    events.sync_started(workspace_id, run_id, kind, counts.total)
    log.info(
        "Syncing workspace %s: %d pages to index, %d to remove (%s)",
        workspace_id, len(page_ids), len(removals), kind,
    )

    failures: list[PageOutcome] = []
    removed_ids: list[str] = []

    def account(outcome: PageOutcome) -> None:
        counts.add(outcome)
        if outcome.status == "failed":
            failures.append(outcome)
            events.page_failed(workspace_id, run_id, outcome.page_id, outcome.error or "")
        if counts.done % PROGRESS_EVERY_PAGES == 0 or counts.done == counts.total:
            log.info("Progress for workspace %s: %d of %d pages done", workspace_id, counts.done, counts.total)
            events.progress(workspace_id, run_id, counts.done, counts.total)

    # A run with nothing to sync (an empty dead-letter replay, a reconciliation that found no
    # change) still records and publishes its start and end, but never loads the model.
    if page_ids or removals:
        settings = Settings.load()
        # The model loads in the background while the first pages are fetched.
        services.embedding.preload()
        client = services.notion.client(workspace_id)
        listed = listed or {}

        def prepare(page_id: str) -> PreparedPage:
            return prepare_page(client, workspace_id, page_id, listed=listed.get(page_id))

        with PagePrefetcher(
            prepare,
            page_ids,
            workers=settings.fetch_workers,
            ahead=settings.prefetch_pages,
        ) as prepared_pages:
            syncer = services.syncer(workspace_id)
            for removal in removals:
                outcome = syncer.remove_page(removal.page_id, removal.reason)
                removed_ids.append(removal.page_id)
                account(outcome)

            outcomes = syncer.sync_pages(
                prepared_pages, force=force, batch_chunks=settings.embedding_batch_chunks
            )
            for outcome in outcomes:
                if outcome.status == "removed":
                    removed_ids.append(outcome.page_id)
                elif outcome.status in ("indexed", "unchanged"):
                    yield dg.AssetMaterialization(
                        asset_key=asset_key,
                        partition=outcome.page_id,
                        description=outcome.title or None,
                        metadata=outcome.metadata(),
                    )
                account(outcome)

    if removed_ids:
        removed_partitions = remove_partitions(context.instance, workspace_id, removed_ids)
        log.info("Removed %d partitions of gone pages in workspace %s", removed_partitions, workspace_id)

    summary = counts.as_dict()
    services.ledger.ledger().record_sync(
        SyncSummary(
            workspace_id=workspace_id,
            run_id=run_id,
            kind=kind,
            started_at=started_at,
            finished_at=datetime.now(timezone.utc),
            pages_seen=counts.total,
            pages_indexed=counts.indexed,
            pages_skipped=counts.unchanged,
            pages_failed=counts.failed,
            pages_deleted=counts.removed,
            chunks_embedded=counts.chunks_embedded,
            chunks_deleted=counts.chunks_deleted,
        )
    )
    events.sync_completed(workspace_id, run_id, summary, counts.elapsed_seconds)
    log.info(
        "Finished syncing workspace %s in %.1f s: %d indexed, %d unchanged, %d removed, %d failed, "
        "%d chunks embedded",
        workspace_id, counts.elapsed_seconds, counts.indexed, counts.unchanged, counts.removed,
        counts.failed, counts.chunks_embedded,
    )
    if failures:
        raise_for_failures(workspace_id, failures)


def raise_for_failures(workspace_id: str, failures: Sequence[PageOutcome]) -> None:
    """Raise one ``dg.Failure`` naming every failed page; retryable only if all were transient."""
    lines = [f"{failure.page_id}: {failure.error}" for failure in failures[:50]]
    if len(failures) > 50:
        lines.append(f"... and {len(failures) - 50} more")
    raise dg.Failure(
        description=(
            f"{len(failures)} pages of workspace {workspace_id} failed to sync:\n" + "\n".join(lines)
        ),
        metadata={
            "failed_page_ids": dg.MetadataValue.json([failure.page_id for failure in failures]),
            "workspace_id": workspace_id,
        },
        allow_retries=all(failure.retryable for failure in failures),
    )


def reconcile_workspace(
    context: dg.OpExecutionContext,
    services: SyncServices,
    workspace_id: str,
    *,
    kind: str,
    force: bool = False,
) -> Iterator[dg.AssetMaterialization]:
    """List every page of a workspace, reconcile partitions and the ledger with it, and sync.

    New and edited pages are indexed, pages that are gone (deleted, trashed, unshared) lose their
    points and partitions. With ``force`` every listed page is diffed against Qdrant.
    """
    listed = list(list_pages(services.notion.client(workspace_id)))
    records = {record.page_id: record for record in services.ledger.ledger().list_pages(workspace_id)}
    partitions = context.instance.get_dynamic_partitions(partitions_name(workspace_id))
    plan = plan_full_sync(listed, records, partitions)
    context.log.info(
        "Reconciling workspace %s: %d pages listed, %d to index, %d unchanged, %d to remove, "
        "%d new partitions, %d stale partitions",
        workspace_id, len(listed), len(plan.to_index), len(plan.unchanged),
        len(plan.to_remove), len(plan.new_partitions), len(plan.stale_partitions),
    )

    add_partitions(context.instance, workspace_id, plan.new_partitions)
    removing = {removal.page_id for removal in plan.to_remove}
    stale_only = [page_id for page_id in plan.stale_partitions if page_id not in removing]
    remove_partitions(context.instance, workspace_id, stale_only)

    if force:
        page_ids = [summary.id for summary in listed if not summary.in_trash]
    else:
        page_ids = [summary.id for summary in plan.to_index]
    yield from run_page_sync(
        context,
        services,
        workspace_id,
        page_ids=page_ids,
        removals=plan.to_remove,
        kind=kind,
        force=force,
        counts=SyncCounts(total=len(plan.unchanged), unchanged=len(plan.unchanged)) if not force else None,
        listed={summary.id: summary.page for summary in listed if summary.page is not None},
    )
