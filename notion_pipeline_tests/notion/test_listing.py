from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from notion_pipeline.notion import builders
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.listing import list_data_sources, list_pages
from notion_pipeline_tests.conftest import LOCAL_NOTION_TOKEN


@pytest.fixture
def client(notion_server) -> Iterator[NotionClient]:
    with NotionClient(token=LOCAL_NOTION_TOKEN, base_url=notion_server.url) as notion_client:
        yield notion_client


def visible_page_ids(workspace) -> set[str]:
    hidden = set(workspace.trashed_page_ids) | set(workspace.unshared_page_ids)
    return set(workspace.page_ids) - hidden


def newest_edit(client: NotionClient) -> datetime:
    first = next(list_pages(client))
    return builders.parse_timestamp(first.last_edited_time)


def test_full_listing_finds_every_visible_page(client, local_workspace):
    listed = {summary.id for summary in list_pages(client, page_size=7)}
    assert listed == visible_page_ids(local_workspace)


def test_full_listing_has_no_duplicates(client):
    ids = [summary.id for summary in list_pages(client, page_size=7)]
    assert len(ids) == len(set(ids))


def test_full_listing_includes_data_source_rows(client, local_workspace):
    rows = {summary.id for summary in list_pages(client) if summary.data_source_id}
    assert rows == set(local_workspace.row_page_ids) & visible_page_ids(local_workspace)


def test_listing_newest_first(client):
    times = [summary.last_edited_time for summary in list_pages(client, since="2000-01-01T00:00:00.000Z")]
    assert times == sorted(times, reverse=True)


def test_incremental_unchanged_makes_one_request(notion_server, client):
    since = builders.format_timestamp(newest_edit(client) + timedelta(minutes=1))
    notion_server.reset_request_log()
    changed = list(list_pages(client, since=since, page_size=5))
    assert changed == []
    assert notion_server.request_count() == 1


def test_incremental_returns_touched_page(notion_server, client, local_workspace):
    later = newest_edit(client) + timedelta(minutes=5)
    page_id = local_workspace.top_level_page_ids[0]
    notion_server.touch_page(page_id, when=later)
    changed = [summary.id for summary in list_pages(client, since=builders.format_timestamp(later))]
    assert changed == [page_id]


def test_incremental_stops_paging_early(notion_server, client):
    later = newest_edit(client) + timedelta(minutes=5)
    for index in range(3):
        notion_server.add_page(f"New {index}", [], when=later)
    notion_server.reset_request_log()
    changed = list(list_pages(client, since=builders.format_timestamp(later), page_size=2))
    assert len(changed) == 3
    assert notion_server.request_count() == 2


def test_summary_fields(notion_server, client):
    when = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    page_id = notion_server.add_page("Fields check", [], when=when)
    summary = next(list_pages(client, since="2031-01-01T00:00:00.000Z"))
    assert summary.id == page_id
    assert summary.title == "Fields check"
    assert summary.last_edited_time == "2031-01-02T03:04:00.000Z"
    assert summary.parent_type == "workspace"
    assert summary.in_trash is False
    assert summary.url


def test_list_data_sources(client, local_workspace):
    ids = [data_source.id for data_source in list_data_sources(client)]
    assert ids == [local_workspace.data_source_id]
