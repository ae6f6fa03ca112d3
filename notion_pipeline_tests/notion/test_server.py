"""Tests of the local Notion server over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from notion_pipeline.notion import builders
from notion_pipeline.notion.faults import FaultSettings
from notion_pipeline.notion.generator import GeneratedWorkspace
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.conftest import LOCAL_NOTION_TOKEN

VERSION = "2025-09-03"


@pytest.fixture
def api(notion_server: LocalNotionServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {LOCAL_NOTION_TOKEN}", "Notion-Version": VERSION}
    with httpx.Client(base_url=notion_server.url, headers=headers, timeout=10) as client:
        yield client


def collect(api: httpx.Client, method: str, path: str, body: dict | None = None,
            page_size: int = 100) -> tuple[list[dict], list[dict]]:
    """Follow next_cursor to the end; return all results and every envelope."""
    results: list[dict] = []
    envelopes: list[dict] = []
    cursor = None
    while True:
        if method == "GET":
            params = {"page_size": page_size, **({"start_cursor": cursor} if cursor else {})}
            response = api.get(path, params=params)
        else:
            payload = {**(body or {}), "page_size": page_size, **({"start_cursor": cursor} if cursor else {})}
            response = api.post(path, json=payload)
        assert response.status_code == 200, response.text
        envelope = response.json()
        envelopes.append(envelope)
        results.extend(envelope["results"])
        if not envelope["has_more"]:
            return results, envelopes
        cursor = envelope["next_cursor"]


def find_page(api: httpx.Client, title: str) -> dict:
    response = api.post("/v1/search", json={"query": title, "filter": {"property": "object", "value": "page"}})
    matches = [page for page in response.json()["results"] if builders.page_title(page) == title]
    assert matches, f"no page titled {title!r}"
    return matches[0]


# Envelopes and pagination


def test_children_envelope_shape(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    envelope = api.get(f"/v1/blocks/{local_workspace.top_level_page_ids[0]}/children").json()
    assert envelope["object"] == "list"
    assert envelope["type"] == "block"
    assert envelope["block"] == {}
    assert isinstance(envelope["request_id"], str)
    assert all(item["object"] == "block" for item in envelope["results"])


def test_children_paginate_250_blocks(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    texts = [f"Paragraph {index}" for index in range(250)]
    page_id = notion_server.add_page("Many blocks", [builders.paragraph_block(text) for text in texts])

    results, envelopes = collect(api, "GET", f"/v1/blocks/{page_id}/children")

    assert [len(envelope["results"]) for envelope in envelopes] == [100, 100, 50]
    assert [builders.plain_text(block["paragraph"]["rich_text"]) for block in results] == texts
    assert envelopes[-1]["next_cursor"] is None


def test_cursors_are_not_offsets(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Cursor page", [builders.paragraph_block("x") for _ in range(5)])
    envelope = api.get(f"/v1/blocks/{page_id}/children", params={"page_size": 2}).json()
    cursor = envelope["next_cursor"]
    assert not cursor.isdigit()
    assert builders.normalize_id(cursor) is not None


def test_cursor_of_another_list_rejected(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    first = notion_server.add_page("First", [builders.paragraph_block("a") for _ in range(3)])
    second = notion_server.add_page("Second", [builders.paragraph_block("b") for _ in range(3)])
    cursor = api.get(f"/v1/blocks/{first}/children", params={"page_size": 1}).json()["next_cursor"]
    response = api.get(f"/v1/blocks/{second}/children", params={"start_cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("page_size", ["101", "0", "ten"])
def test_children_page_size_out_of_range(api: httpx.Client, local_workspace: GeneratedWorkspace,
                                         page_size: str) -> None:
    page_id = local_workspace.top_level_page_ids[0]
    response = api.get(f"/v1/blocks/{page_id}/children", params={"page_size": page_size})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_search_page_size_over_100(api: httpx.Client) -> None:
    response = api.post("/v1/search", json={"page_size": 101})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# Authentication, headers and error bodies


def test_missing_token_unauthorized(notion_server: LocalNotionServer) -> None:
    response = httpx.get(f"{notion_server.url}/v1/users/me", headers={"Notion-Version": VERSION})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_wrong_token_unauthorized(notion_server: LocalNotionServer) -> None:
    headers = {"Notion-Version": VERSION, "Authorization": "Bearer secret_wrong"}
    response = httpx.get(f"{notion_server.url}/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["object"] == "error"


def test_any_token_accepted_without_configured_token(local_workspace: GeneratedWorkspace) -> None:
    with LocalNotionServer(local_workspace.root) as server:
        headers = {"Notion-Version": VERSION, "Authorization": "Bearer anything"}
        response = httpx.get(f"{server.url}/v1/users/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["type"] == "bot"


def test_missing_version_rejected(notion_server: LocalNotionServer) -> None:
    headers = {"Authorization": f"Bearer {LOCAL_NOTION_TOKEN}"}
    response = httpx.get(f"{notion_server.url}/v1/users/me", headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "missing_version"


def test_unknown_page_404_body(api: httpx.Client) -> None:
    page_id = "0b6d3c52-9d0e-4c59-8e1e-3a5e7f000000"
    response = api.get(f"/v1/pages/{page_id}")
    body = response.json()
    assert response.status_code == 404
    assert body["object"] == "error"
    assert body["status"] == 404
    assert body["code"] == "object_not_found"
    assert page_id in body["message"]
    assert "shared with your integration" in body["message"]
    assert body["request_id"]


def test_undashed_id_accepted(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.top_level_page_ids[0]
    response = api.get(f"/v1/pages/{page_id.replace('-', '')}")
    assert response.json()["id"] == page_id


def test_malformed_id_validation_error(api: httpx.Client) -> None:
    response = api.get("/v1/pages/not-a-page-id")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_invalid_json_body(api: httpx.Client) -> None:
    response = api.post("/v1/search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_unknown_endpoint_invalid_request_url(api: httpx.Client) -> None:
    response = api.get("/v1/comments/everything")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request_url"


def test_users_me_is_bot(api: httpx.Client) -> None:
    body = api.get("/v1/users/me").json()
    assert body["object"] == "user"
    assert body["type"] == "bot"


# Sharing and trash


def test_unshared_page_404_everywhere(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.unshared_page_ids[0]
    assert api.get(f"/v1/pages/{page_id}").status_code == 404
    assert api.get(f"/v1/blocks/{page_id}/children").status_code == 404
    assert api.get(f"/v1/blocks/{page_id}").status_code == 404


def test_unsharing_parent_hides_child_page(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    parent_id = notion_server.add_page("Parent")
    child_id = notion_server.add_page("Child", [builders.paragraph_block("hi")], parent_page_id=parent_id)
    notion_server.unshare_page(parent_id)
    assert api.get(f"/v1/pages/{child_id}").status_code == 404
    notion_server.share_page(parent_id)
    assert api.get(f"/v1/pages/{child_id}").status_code == 200


def test_unshared_block_children_404(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Toggle page", [builders.toggle_block("t", children=[builders.paragraph_block("x")])])
    toggle_id = api.get(f"/v1/blocks/{page_id}/children").json()["results"][0]["id"]
    notion_server.unshare_page(page_id)
    assert api.get(f"/v1/blocks/{toggle_id}/children").status_code == 404


def test_search_excludes_trashed_and_unshared(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    results, _ = collect(api, "POST", "/v1/search", {"filter": {"property": "object", "value": "page"}})
    found = {page["id"] for page in results}
    assert not found & set(local_workspace.trashed_page_ids)
    assert not found & set(local_workspace.unshared_page_ids)
    expected = set(local_workspace.page_ids) - set(local_workspace.trashed_page_ids) - set(local_workspace.unshared_page_ids)
    assert found == expected


def test_trashed_page_readable_with_in_trash(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    page = api.get(f"/v1/pages/{local_workspace.trashed_page_ids[0]}").json()
    assert page["in_trash"] is True
    assert page["archived"] is True


def test_trashing_parent_trashes_child_page(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    parent_id = notion_server.add_page("Parent to trash")
    child_id = notion_server.add_page("Child of trashed", parent_page_id=parent_id)
    notion_server.trash_page(parent_id)
    assert api.get(f"/v1/pages/{child_id}").json()["in_trash"] is True
    notion_server.restore_page(parent_id)
    assert api.get(f"/v1/pages/{child_id}").json()["in_trash"] is False


def test_search_sorted_by_last_edited_descending(api: httpx.Client) -> None:
    results, _ = collect(api, "POST", "/v1/search", {"sort": {"direction": "descending", "timestamp": "last_edited_time"}},
                         page_size=7)
    times = [item["last_edited_time"] for item in results]
    assert times == sorted(times, reverse=True)


def test_search_sorted_ascending(api: httpx.Client) -> None:
    body = {"sort": {"direction": "ascending", "timestamp": "last_edited_time"}}
    times = [item["last_edited_time"] for item in collect(api, "POST", "/v1/search", body)[0]]
    assert times == sorted(times)


def test_search_query_matches_title(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Quarterly Zebra Review")
    results = api.post("/v1/search", json={"query": "zebra"}).json()["results"]
    assert [item["id"] for item in results] == [page_id]


def test_search_data_source_filter(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    body = {"filter": {"property": "object", "value": "data_source"}}
    envelope = api.post("/v1/search", json=body).json()
    assert envelope["type"] == "page_or_data_source"
    assert [item["id"] for item in envelope["results"]] == [local_workspace.data_source_id]


def test_search_database_filter_rejected(api: httpx.Client) -> None:
    response = api.post("/v1/search", json={"filter": {"property": "object", "value": "database"}})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# Databases and data sources


def test_database_lists_data_source(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    database = api.get(f"/v1/databases/{local_workspace.database_id}").json()
    assert database["object"] == "database"
    assert [source["id"] for source in database["data_sources"]] == [local_workspace.data_source_id]


def test_data_source_has_schema(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    data_source = api.get(f"/v1/data_sources/{local_workspace.data_source_id}").json()
    assert data_source["parent"] == {"type": "database_id", "database_id": local_workspace.database_id}
    assert data_source["properties"]["Name"]["type"] == "title"


def test_data_source_query_returns_rows(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    rows, _ = collect(api, "POST", f"/v1/data_sources/{local_workspace.data_source_id}/query", page_size=3)
    assert {row["id"] for row in rows} == set(local_workspace.row_page_ids)
    assert all(row["parent"]["data_source_id"] == local_workspace.data_source_id for row in rows)


def test_data_source_query_edited_filter(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    path = f"/v1/data_sources/{local_workspace.data_source_id}/query"
    all_rows = collect(api, "POST", path)[0]
    threshold = sorted(row["last_edited_time"] for row in all_rows)[len(all_rows) // 2]
    body = {
        "filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": threshold}},
        "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
    }
    rows = collect(api, "POST", path, body)[0]
    expected = [row["id"] for row in sorted(all_rows, key=lambda r: (r["last_edited_time"], r["id"]))
                if row["last_edited_time"] >= threshold]
    assert [row["id"] for row in rows] == expected


def test_data_source_query_property_filter_rejected(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    body = {"filter": {"property": "Status", "select": {"equals": "Done"}}}
    response = api.post(f"/v1/data_sources/{local_workspace.data_source_id}/query", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_data_source_query_skips_trashed_row(api: httpx.Client, notion_server: LocalNotionServer,
                                             local_workspace: GeneratedWorkspace) -> None:
    row_id = local_workspace.row_page_ids[0]
    notion_server.trash_page(row_id)
    rows = collect(api, "POST", f"/v1/data_sources/{local_workspace.data_source_id}/query")[0]
    assert row_id not in {row["id"] for row in rows}


def test_unshared_database_404(api: httpx.Client, notion_server: LocalNotionServer,
                               local_workspace: GeneratedWorkspace) -> None:
    notion_server.unshare_page(local_workspace.database_id)
    assert api.get(f"/v1/databases/{local_workspace.database_id}").status_code == 404
    assert api.get(f"/v1/data_sources/{local_workspace.data_source_id}").status_code == 404
    assert api.get(f"/v1/pages/{local_workspace.row_page_ids[0]}").status_code == 404


# Special blocks


def test_ai_block_children_rejected(api: httpx.Client) -> None:
    page = find_page(api, "Edge cases original")
    blocks = api.get(f"/v1/blocks/{page['id']}/children").json()["results"]
    ai_block = next(block for block in blocks if block["type"] == "ai_block")
    response = api.get(f"/v1/blocks/{ai_block['id']}/children")
    assert response.status_code == 400
    assert response.json()["message"] == "Block type ai_block is not supported via the API."


def test_synced_reference_returns_original_children(api: httpx.Client) -> None:
    original_page = find_page(api, "Edge cases original")
    reference_page = find_page(api, "Edge cases reference")
    original = next(b for b in api.get(f"/v1/blocks/{original_page['id']}/children").json()["results"]
                    if b["type"] == "synced_block")
    reference = next(b for b in api.get(f"/v1/blocks/{reference_page['id']}/children").json()["results"]
                     if b["type"] == "synced_block")
    assert reference["synced_block"]["synced_from"]["block_id"] == original["id"]

    original_children = api.get(f"/v1/blocks/{original['id']}/children").json()["results"]
    reference_children = api.get(f"/v1/blocks/{reference['id']}/children").json()["results"]
    assert reference_children == original_children
    assert original_children


def test_child_page_block_shares_page_id(api: httpx.Client, local_workspace: GeneratedWorkspace) -> None:
    child_id = local_workspace.child_page_ids[0]
    parent_id = api.get(f"/v1/pages/{child_id}").json()["parent"]["page_id"]
    blocks = collect(api, "GET", f"/v1/blocks/{parent_id}/children")[0]
    assert child_id in {block["id"] for block in blocks if block["type"] == "child_page"}


# Mutations and timestamps


def test_edit_rounds_time_down_to_minute(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Rounding", [builders.paragraph_block("before")],
                                     when=datetime(2024, 1, 1, tzinfo=UTC))
    block_id = api.get(f"/v1/blocks/{page_id}/children").json()["results"][0]["id"]

    notion_server.edit_block_text(block_id, "after", when=datetime(2024, 5, 6, 12, 34, 56, 789000, tzinfo=UTC))

    block = api.get(f"/v1/blocks/{block_id}").json()
    page = api.get(f"/v1/pages/{page_id}").json()
    assert block["last_edited_time"] == "2024-05-06T12:34:00.000Z"
    assert page["last_edited_time"] == "2024-05-06T12:34:00.000Z"
    assert builders.plain_text(block["paragraph"]["rich_text"]) == "after"


def test_nested_edit_bumps_page(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    toggle = builders.toggle_block("t", children=[builders.paragraph_block("inner")])
    page_id = notion_server.add_page("Nested", [toggle], when=datetime(2024, 1, 1, tzinfo=UTC))
    toggle_id = api.get(f"/v1/blocks/{page_id}/children").json()["results"][0]["id"]
    inner_id = api.get(f"/v1/blocks/{toggle_id}/children").json()["results"][0]["id"]

    notion_server.edit_block_text(inner_id, "changed", when=datetime(2024, 2, 2, 8, 0, 30, tzinfo=UTC))

    assert api.get(f"/v1/pages/{page_id}").json()["last_edited_time"] == "2024-02-02T08:00:00.000Z"


def test_live_edit_uses_current_minute(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Live")
    edited = api.get(f"/v1/pages/{page_id}").json()["last_edited_time"]
    assert edited.endswith(":00.000Z")


def test_append_blocks_bumps_page(api: httpx.Client, notion_server: LocalNotionServer,
                                  local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.top_level_page_ids[1]
    before = api.get(f"/v1/pages/{page_id}").json()["last_edited_time"]
    ids = notion_server.append_blocks(page_id, [builders.paragraph_block("appended")],
                                      when=datetime(2025, 3, 3, 3, 3, tzinfo=UTC))
    children = collect(api, "GET", f"/v1/blocks/{page_id}/children")[0]
    assert before != "2025-03-03T03:03:00.000Z"
    assert api.get(f"/v1/pages/{page_id}").json()["last_edited_time"] == "2025-03-03T03:03:00.000Z"
    assert children[-1]["id"] == ids[0]


def test_deleted_block_not_listed(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Delete", [builders.paragraph_block("a"), builders.paragraph_block("b")])
    first, second = [block["id"] for block in api.get(f"/v1/blocks/{page_id}/children").json()["results"]]
    notion_server.delete_block(first)
    remaining = [block["id"] for block in api.get(f"/v1/blocks/{page_id}/children").json()["results"]]
    assert remaining == [second]


def test_touch_moves_page_to_search_front(api: httpx.Client, notion_server: LocalNotionServer,
                                          local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.top_level_page_ids[2]
    notion_server.touch_page(page_id, when=datetime(2030, 1, 1, tzinfo=UTC))
    body = {"sort": {"direction": "descending", "timestamp": "last_edited_time"}, "page_size": 1}
    assert api.post("/v1/search", json=body).json()["results"][0]["id"] == page_id


def test_add_row_to_data_source(api: httpx.Client, notion_server: LocalNotionServer,
                                local_workspace: GeneratedWorkspace) -> None:
    row_id = notion_server.add_page("New row", data_source_id=local_workspace.data_source_id)
    row = api.get(f"/v1/pages/{row_id}").json()
    assert row["properties"]["Name"]["title"][0]["plain_text"] == "New row"
    rows = collect(api, "POST", f"/v1/data_sources/{local_workspace.data_source_id}/query")[0]
    assert row_id in {item["id"] for item in rows}


def test_mutations_leave_files_untouched(notion_server: LocalNotionServer, local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.top_level_page_ids[0]
    page_file = local_workspace.root / "pages" / f"{page_id}.json"
    before = page_file.read_bytes()
    notion_server.touch_page(page_id, when=datetime(2031, 1, 1, tzinfo=UTC))
    notion_server.append_blocks(page_id, [builders.paragraph_block("new")])
    assert page_file.read_bytes() == before


# Rate limit and faults


def test_rate_limit_429_with_retry_after(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    # A refill of one token per 100 s keeps the third request limited however slow the machine is.
    notion_server.set_rate_limit(0.01, burst=2)
    statuses = [api.get("/v1/users/me").status_code for _ in range(3)]
    response = api.get("/v1/users/me")
    assert statuses == [200, 200, 429]
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1


def test_rate_limit_off_again(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_rate_limit(0.01, burst=1)
    api.get("/v1/users/me")
    notion_server.set_rate_limit(None)
    assert api.get("/v1/users/me").status_code == 200


def fault_statuses(api: httpx.Client, count: int) -> list[int | None]:
    statuses: list[int | None] = []
    for _ in range(count):
        try:
            statuses.append(api.get("/v1/users/me").status_code)
        except httpx.TransportError:
            statuses.append(None)
    return statuses


def test_fault_rates_roughly_honoured(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(error_rate=0.3, drop_rate=0.1, seed=11))
    statuses = fault_statuses(api, 300)
    errors = sum(1 for status in statuses if status is not None and status != 200)
    drops = statuses.count(None)
    assert 60 <= errors <= 120
    assert 10 <= drops <= 50
    assert {429, 500, 502, 503, 504} <= set(statuses)


def test_faults_deterministic_with_seed(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(error_rate=0.5, seed=5))
    first = fault_statuses(api, 40)
    notion_server.set_faults(FaultSettings(error_rate=0.5, seed=5))
    second = fault_statuses(api, 40)
    assert first == second


def test_injected_429_retry_after(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(error_rate=1.0, retry_after_seconds=0.25, seed=1))
    response = next(r for r in (api.get("/v1/users/me") for _ in range(60)) if r.status_code == 429)
    assert response.headers["Retry-After"] == "0.25"
    assert response.json()["code"] == "rate_limited"


def test_injected_502_is_html(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(error_rate=1.0, seed=2))
    response = next(r for r in (api.get("/v1/users/me") for _ in range(60)) if r.status_code == 502)
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<html>")


def test_injected_503_json_body(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(error_rate=1.0, seed=3))
    response = next(r for r in (api.get("/v1/users/me") for _ in range(60)) if r.status_code == 503)
    assert response.json()["code"] == "service_unavailable"


def test_dropped_connection_is_transport_error(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    notion_server.set_faults(FaultSettings(drop_rate=1.0))
    with pytest.raises(httpx.TransportError):
        api.get("/v1/users/me")
    assert notion_server.request_log[-1].status is None


def test_invalid_fault_settings_rejected() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultSettings(error_rate=1.5)


# Accounting, control API and command line


def test_request_count_by_prefix(api: httpx.Client, notion_server: LocalNotionServer,
                                 local_workspace: GeneratedWorkspace) -> None:
    notion_server.reset_request_log()
    api.get("/v1/users/me")
    api.get(f"/v1/pages/{local_workspace.top_level_page_ids[0]}")
    api.get(f"/v1/blocks/{local_workspace.top_level_page_ids[0]}/children")
    assert notion_server.request_count() == 3
    assert notion_server.request_count("/v1/blocks") == 1
    assert [record.status for record in notion_server.request_log] == [200, 200, 200]


def test_control_api_trash_and_stats(api: httpx.Client, notion_server: LocalNotionServer,
                                     local_workspace: GeneratedWorkspace) -> None:
    page_id = local_workspace.top_level_page_ids[0]
    response = httpx.post(f"{notion_server.url}/_control/pages/{page_id}/trash",
                          json={"when": "2026-01-01T00:00:30Z"})
    assert response.status_code == 200
    page = api.get(f"/v1/pages/{page_id}").json()
    assert page["in_trash"] is True
    assert page["last_edited_time"] == "2026-01-01T00:00:00.000Z"
    stats = httpx.get(f"{notion_server.url}/_control/stats").json()
    assert stats["requests"] == 1
    assert stats["workspace"]["pages"] == len(local_workspace.page_ids)


def test_control_api_edit_text(api: httpx.Client, notion_server: LocalNotionServer) -> None:
    page_id = notion_server.add_page("Control edit", [builders.paragraph_block("old")])
    block_id = api.get(f"/v1/blocks/{page_id}/children").json()["results"][0]["id"]
    httpx.post(f"{notion_server.url}/_control/blocks/{block_id}/text", json={"text": "new"})
    block = api.get(f"/v1/blocks/{block_id}").json()
    assert builders.plain_text(block["paragraph"]["rich_text"]) == "new"


def test_control_api_duplicate_page_conflict(notion_server: LocalNotionServer,
                                             local_workspace: GeneratedWorkspace) -> None:
    body = {"title": "Again", "page_id": local_workspace.top_level_page_ids[0]}
    response = httpx.post(f"{notion_server.url}/_control/pages", json=body)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict_error"


def test_control_api_unknown_page_404(notion_server: LocalNotionServer) -> None:
    response = httpx.post(f"{notion_server.url}/_control/pages/0b6d3c52-9d0e-4c59-8e1e-3a5e7f000001/touch")
    assert response.status_code == 404


def test_missing_workspace_dir_raises(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        LocalNotionServer(tmp_path / "missing")


def test_cli_serves_workspace(local_workspace: GeneratedWorkspace) -> None:
    command = [sys.executable, "-m", "notion_pipeline.notion.server", "--workspace", str(local_workspace.root),
               "--port", "0", "--token", "cli-token"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        headers = {"Authorization": "Bearer cli-token", "Notion-Version": VERSION}
        response = httpx.get(f"{url}/v1/users/me", headers=headers, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "listening on http://127.0.0.1:" in line
    assert response.status_code == 200
    assert process.returncode == 0
