"""Asset checks: the index agrees with the ledger."""


import dagster as dg

from notion_pipeline.consistency import check_index
from notion_pipeline.defs.partitions import page_asset_key
from notion_pipeline.defs.resources import EmbeddingResource, LedgerResource, QdrantResource
from notion_pipeline.defs.tags import pool_name
from notion_pipeline.settings import Settings


def build_index_check(settings: Settings, workspace_id: str) -> dg.AssetChecksDefinition:
    """Build the check that every indexed page has exactly its chunk count of points."""

    @dg.asset_check(
        asset=page_asset_key(workspace_id),
        name="index_matches_ledger",
        pool=pool_name(settings, workspace_id),
        description=(
            "Every page the ledger calls indexed has exactly its chunk count of points in Qdrant, "
            "and no deleted or unknown page has any."
        ),
    )
    def index_matches_ledger(
        qdrant: QdrantResource, ledger: LedgerResource, embedding: EmbeddingResource
    ) -> dg.AssetCheckResult:
        store = qdrant.store(embedding.embedder().dimension)
        report = check_index(ledger.ledger().list_pages(workspace_id), store.workspace_page_counts(workspace_id))
        return dg.AssetCheckResult(
            passed=report.passed,
            description=report.describe(),
            metadata={
                "pages_checked": report.pages_checked,
                "points_total": report.points_total,
                "pages_with_wrong_counts": len(report.wrong_counts),
                "deleted_pages_with_points": len(report.deleted_with_points),
                "unknown_pages_with_points": len(report.unknown_with_points),
            },
        )

    return index_matches_ledger
