"""Compare the ledger with the points in Qdrant: the index is complete when both agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from notion_pipeline.ledger import PageRecord, PageStatus


@dataclass
class IndexCheckReport:
    """Differences between the ledger and Qdrant for one workspace."""

    pages_checked: int = 0
    points_total: int = 0
    wrong_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    deleted_with_points: dict[str, int] = field(default_factory=dict)
    unknown_with_points: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.wrong_counts or self.deleted_with_points or self.unknown_with_points)

    def describe(self) -> str:
        if self.passed:
            return f"{self.pages_checked} pages and {self.points_total} points agree with the ledger"
        parts = []
        if self.wrong_counts:
            sample = ", ".join(
                f"{page} (ledger {expected}, Qdrant {actual})"
                for page, (expected, actual) in list(self.wrong_counts.items())[:5]
            )
            parts.append(f"{len(self.wrong_counts)} pages with the wrong number of points: {sample}")
        if self.deleted_with_points:
            parts.append(f"{len(self.deleted_with_points)} deleted pages still have points")
        if self.unknown_with_points:
            parts.append(f"{len(self.unknown_with_points)} pages unknown to the ledger have points")
        return "; ".join(parts) + ". Run notion_full_sync with force: true to repair."


def check_index(records: Iterable[PageRecord], point_counts: Mapping[str, int]) -> IndexCheckReport:
    """Check that every indexed page has exactly its chunk count of points and no gone page has any.

    A failed page keeps the points of its last successful sync, so it is held to its recorded
    chunk count too.
    """
    report = IndexCheckReport(points_total=sum(point_counts.values()))
    known: set[str] = set()
    for record in records:
        known.add(record.page_id)
        report.pages_checked += 1
        actual = point_counts.get(record.page_id, 0)
        if record.status == PageStatus.DELETED:
            if actual:
                report.deleted_with_points[record.page_id] = actual
        elif actual != record.chunk_count:
            report.wrong_counts[record.page_id] = (record.chunk_count, actual)
    for page_id, count in point_counts.items():
        if page_id not in known and count:
            report.unknown_with_points[page_id] = count
    return report
