"""Op jobs: the full sync, batched page syncs requested by the sensor, and dead-letter replay.

These jobs sync many pages in one process, so the model loads once per run, and they log one
asset materialization per page partition, so the page asset's history stays complete whichever
path synced a page.
"""


import dagster as dg

from notion_pipeline.defs.assets import page_retry_policy
from notion_pipeline.defs.execution import SyncServices, reconcile_workspace, run_page_sync
from notion_pipeline.defs.partitions import add_partitions
from notion_pipeline.defs.resources import (
    EmbeddingResource,
    LedgerResource,
    NotionResource,
    ProgressEventsResource,
    QdrantResource,
)
from notion_pipeline.defs.tags import pool_name, run_tags
from notion_pipeline.planning import PageRemoval
from notion_pipeline.settings import Settings

FULL_SYNC_JOB_NAME = "notion_full_sync"
DLQ_REPLAY_JOB_NAME = "notion_dlq_replay"


def sync_pages_job_name(workspace_id: str) -> str:
    return f"notion_sync_pages_{workspace_id}"


def sync_pages_op_name(workspace_id: str) -> str:
    return f"sync_pages_{workspace_id}"


class FullSyncConfig(dg.Config):
    """Options of a full sync."""

    force: bool = False
    """Diff every listed page against Qdrant, not only pages whose last_edited_time moved."""


class PageRemovalConfig(dg.Config):
    page_id: str
    reason: str


class SyncPagesConfig(dg.Config):
    """Pages to sync in one run."""

    page_ids: list[str] = []
    removals: list[PageRemovalConfig] = []
    force: bool = False
    reconcile: bool = False
    """List the whole workspace and sync it as the full sync does (new, edited and gone pages)."""


class DeadLetterReplayConfig(dg.Config):
    """Selection of the dead-letter records to replay."""

    workspace_id: str | None = None
    """Replay only this workspace; all workspaces when empty."""
    page_ids: list[str] = []
    """Replay only these pages; every open dead-letter record when empty."""


def _build_full_sync_op(settings: Settings, workspace_id: str) -> dg.OpDefinition:
    @dg.op(
        name=f"full_sync_{workspace_id}",
        pool=pool_name(settings, workspace_id),
        out={},
        description=f"List every page of workspace `{workspace_id}`, reconcile partitions and "
        "the ledger with Notion, index what changed and remove what is gone.",
    )
    def full_sync(
        context: dg.OpExecutionContext,
        config: FullSyncConfig,
        notion: NotionResource,
        qdrant: QdrantResource,
        ledger: LedgerResource,
        embedding: EmbeddingResource,
        progress_events: ProgressEventsResource,
    ):
        services = SyncServices(notion, qdrant, ledger, embedding, progress_events)
        yield from reconcile_workspace(context, services, workspace_id, kind="full", force=config.force)

    return full_sync


def build_full_sync_job(settings: Settings) -> dg.JobDefinition:
    """Build ``notion_full_sync``: one op per workspace, run one after another in one process."""
    ops = [_build_full_sync_op(settings, workspace.id) for workspace in settings.workspaces]

    @dg.graph(name=FULL_SYNC_JOB_NAME)
    def full_sync_graph():
        for op in ops:
            op()

    return full_sync_graph.to_job(
        name=FULL_SYNC_JOB_NAME,
        description="Sync every configured Notion workspace completely: new, edited, deleted and "
        "unshared pages. Runs in one process, so `dagster job execute` needs no daemon.",
        executor_def=dg.in_process_executor,
        tags=run_tags(settings, None),
    )


def build_sync_pages_job(settings: Settings, workspace_id: str) -> dg.JobDefinition:
    """Build the job that syncs a given list of pages of one workspace in one run."""

    @dg.op(
        name=sync_pages_op_name(workspace_id),
        pool=pool_name(settings, workspace_id),
        retry_policy=page_retry_policy(settings),
        out={},
        description=f"Sync the configured pages of workspace `{workspace_id}` and remove the "
        "configured gone pages.",
    )
    def sync_pages(
        context: dg.OpExecutionContext,
        config: SyncPagesConfig,
        notion: NotionResource,
        qdrant: QdrantResource,
        ledger: LedgerResource,
        embedding: EmbeddingResource,
        progress_events: ProgressEventsResource,
    ):
        services = SyncServices(notion, qdrant, ledger, embedding, progress_events)
        if config.reconcile:
            yield from reconcile_workspace(
                context, services, workspace_id, kind="incremental", force=config.force
            )
            return
        add_partitions(context.instance, workspace_id, config.page_ids)
        removals = [PageRemoval(item.page_id, item.reason) for item in config.removals]
        yield from run_page_sync(
            context,
            services,
            workspace_id,
            page_ids=config.page_ids,
            removals=removals,
            kind="incremental",
            force=config.force,
        )

    @dg.graph(name=sync_pages_job_name(workspace_id))
    def sync_pages_graph():
        sync_pages()

    return sync_pages_graph.to_job(
        name=sync_pages_job_name(workspace_id),
        description=f"Sync a batch of pages of workspace `{workspace_id}` in one process "
        "(requested by the change sensor).",
        executor_def=dg.in_process_executor,
        tags=run_tags(settings, workspace_id),
    )


def build_dlq_replay_job(settings: Settings) -> dg.JobDefinition:
    """Build the job that syncs again every page with an open dead-letter record."""
    # A replay can span workspaces, so it joins a pool only for the local Qdrant, which every
    # workspace shares; with a Qdrant server no single workspace pool fits.
    replay_pool = None if settings.qdrant_url else pool_name(settings, settings.workspaces[0].id)

    @dg.op(
        name="replay_dead_letters",
        pool=replay_pool,
        out={},
        description="Sync again the pages recorded in the dead-letter records; a page that "
        "syncs resolves its records.",
    )
    def replay_dead_letters(
        context: dg.OpExecutionContext,
        config: DeadLetterReplayConfig,
        notion: NotionResource,
        qdrant: QdrantResource,
        ledger: LedgerResource,
        embedding: EmbeddingResource,
        progress_events: ProgressEventsResource,
    ):
        services = SyncServices(notion, qdrant, ledger, embedding, progress_events)
        workspace_ids = [config.workspace_id] if config.workspace_id else [w.id for w in settings.workspaces]
        requested_pages = set(config.page_ids)
        failures: list[dg.Failure] = []
        for workspace_id in workspace_ids:
            settings.workspace(workspace_id)
            letters = ledger.ledger().list_dead_letters(workspace_id)
            page_ids = sorted({letter.page_id for letter in letters if not requested_pages or letter.page_id in requested_pages})
            context.log.info(
                "Replaying %d pages with open dead-letter records in workspace %s", len(page_ids), workspace_id
            )
            if page_ids:
                add_partitions(context.instance, workspace_id, page_ids)
            try:
                yield from run_page_sync(
                    context, services, workspace_id, page_ids=page_ids, kind="pages"
                )
            except dg.Failure as failure:
                failures.append(failure)
        if failures:
            raise dg.Failure(
                description="\n\n".join(failure.description or "" for failure in failures),
                allow_retries=False,
            )

    @dg.graph(name=DLQ_REPLAY_JOB_NAME)
    def replay_graph():
        replay_dead_letters()

    return replay_graph.to_job(
        name=DLQ_REPLAY_JOB_NAME,
        description="Sync again every page recorded in the dead-letter records.",
        executor_def=dg.in_process_executor,
        tags=run_tags(settings, None),
    )
