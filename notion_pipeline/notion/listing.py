"""List the pages and data sources a Notion integration can read.

Both listings are generators, so a caller keeps one page of results at a time and never the
whole workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from notion_pipeline.notion.client import DEFAULT_PAGE_SIZE, NotionClient
from notion_pipeline.notion.models import (
    MalformedObjectError,
    PageObject,
    parse_page,
    parse_rich_text,
    plain_text,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSummary:
    """A page as a listing reports it: enough to decide whether to fetch it."""

    id: str
    last_edited_time: str  # ISO 8601 as Notion returns it, rounded down to the minute
    in_trash: bool
    url: str
    title: str
    parent_type: str
    data_source_id: str | None
    page: PageObject | None = field(default=None, compare=False, repr=False)
    """The whole page object the listing returned, so fetching the page needs no request for it."""


@dataclass(frozen=True)
class DataSourceSummary:
    """One data source (a table of a database) that the integration can read."""

    id: str
    title: str
    database_id: str | None
    last_edited_time: str


def list_pages(
    client: NotionClient, *, since: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[PageSummary]:
    """Yield pages newest first; with ``since``, stop at the first page edited before it.

    Without ``since`` (a full listing) the rows of every data source are queried as well,
    because search may not return every row, and each page id is yielded once.
    """
    if since is not None:
        yield from _list_changed_pages(client, since, page_size)
        return

    seen: set[str] = set()
    for raw in client.search(filter_object="page", page_size=page_size):
        summary = _summarize(raw)
        if summary is not None and summary.id not in seen:
            seen.add(summary.id)
            yield summary

    for data_source in list_data_sources(client, page_size=page_size):
        for raw in client.iter_data_source_rows(data_source.id, page_size=page_size):
            summary = _summarize(raw)
            if summary is not None and summary.id not in seen:
                seen.add(summary.id)
                yield summary


def _list_changed_pages(client: NotionClient, since: str, page_size: int) -> Iterator[PageSummary]:
    for raw in client.search(filter_object="page", page_size=page_size):
        summary = _summarize(raw)
        if summary is None:
            continue
        # ISO 8601 timestamps in the same zone and format compare correctly as strings;
        # Notion always writes UTC with a trailing Z.
        if summary.last_edited_time < since:
            return
        yield summary


def list_data_sources(
    client: NotionClient, *, page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[DataSourceSummary]:
    """Yield every data source the integration can read."""
    for raw in client.search(filter_object="data_source", page_size=page_size):
        summary = _summarize_data_source(raw)
        if summary is not None:
            yield summary


def _summarize(raw: Any) -> PageSummary | None:
    try:
        page = parse_page(raw)
    except MalformedObjectError as error:
        logger.warning("Skipped a malformed page in the listing: %s", error)
        return None
    return PageSummary(
        id=page.id,
        last_edited_time=page.last_edited_time,
        in_trash=page.in_trash,
        url=page.url,
        title=page.title,
        parent_type=page.parent_type,
        data_source_id=page.data_source_id,
        page=page,
    )


def _summarize_data_source(raw: Any) -> DataSourceSummary | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        logger.warning("Skipped a malformed data source in the listing: %r", type(raw).__name__)
        return None
    try:
        title = plain_text(parse_rich_text(raw.get("title"), f"data source {raw['id']} title"))
    except MalformedObjectError as error:
        logger.warning("Read data source %s without a title: %s", raw["id"], error)
        title = ""
    parent = raw.get("parent") if isinstance(raw.get("parent"), dict) else {}
    database_id = parent.get("database_id")
    return DataSourceSummary(
        id=raw["id"],
        title=title,
        database_id=database_id if isinstance(database_id, str) else None,
        last_edited_time=str(raw.get("last_edited_time") or ""),
    )
