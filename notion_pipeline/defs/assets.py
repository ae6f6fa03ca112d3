"""The page asset: one per workspace, one partition per Notion page."""


import dagster as dg

from notion_pipeline.defs.execution import SyncServices, run_page_sync
from notion_pipeline.defs.partitions import page_asset_key, page_partitions
from notion_pipeline.defs.resources import (
    EmbeddingResource,
    LedgerResource,
    NotionResource,
    ProgressEventsResource,
    QdrantResource,
)
from notion_pipeline.defs.tags import pool_name
from notion_pipeline.settings import Settings


def page_retry_policy(settings: Settings) -> dg.RetryPolicy:
    """Retry a failed page step with exponential backoff and jitter (PAGE_RETRY_MAX, PAGE_RETRY_DELAY_SECONDS)."""
    return dg.RetryPolicy(
        max_retries=settings.page_retry_max,
        delay=settings.page_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def index_code_version(settings: Settings) -> str:
    """Return a code version that changes whenever chunks or vectors would change."""
    model = settings.embedding_model or "bundled-all-MiniLM-L6-v2"
    return (
        f"v1|model={model}|chunk={settings.chunk_max_tokens}"
        f"|overlap={settings.chunk_overlap_tokens}"
    )


def build_page_asset(settings: Settings, workspace_id: str) -> dg.AssetsDefinition:
    """Build the dynamically partitioned page asset of one workspace."""

    @dg.asset(
        key=page_asset_key(workspace_id),
        partitions_def=page_partitions(workspace_id),
        group_name="notion",
        kinds={"notion", "qdrant", "python"},
        code_version=index_code_version(settings),
        retry_policy=page_retry_policy(settings),
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.backfill_pages_per_run),
        pool=pool_name(settings, workspace_id),
        output_required=False,
        description=(
            f"Pages of the Notion workspace `{workspace_id}`, chunked, embedded and indexed in "
            "Qdrant. Each partition is one page id; materializing it fetches the page and its "
            "block tree, renders it, and replaces exactly that page's points (only changed chunks "
            "are embedded). A page that was deleted, trashed or unshared loses its points and "
            "its partition. A backfill processes many pages per run and loads the model once."
        ),
    )
    def notion_pages(
        context: dg.AssetExecutionContext,
        notion: NotionResource,
        qdrant: QdrantResource,
        ledger: LedgerResource,
        embedding: EmbeddingResource,
        progress_events: ProgressEventsResource,
    ):
        services = SyncServices(notion, qdrant, ledger, embedding, progress_events)
        page_ids = list(context.partition_keys)
        kind = "backfill" if len(page_ids) > 1 else "pages"
        yield from run_page_sync(context, services, workspace_id, page_ids=page_ids, kind=kind)

    return notion_pages
