import uuid
from collections.abc import Iterator

import pytest

from notion_pipeline.errors import NotionRequestError, PageGoneError
from notion_pipeline.notion import builders
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient, NotionNotFoundError
from notion_pipeline.notion.faults import FaultSettings
from notion_pipeline.notion.generator import generate_workspace
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.ratelimit import TokenBucket
from notion_pipeline.notion.render import render_page
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.conftest import LOCAL_NOTION_TOKEN


@pytest.fixture
def client(notion_server) -> Iterator[NotionClient]:
    with NotionClient(token=LOCAL_NOTION_TOKEN, base_url=notion_server.url,
                      backoff_base_seconds=0.01, max_retry_seconds=20) as notion_client:
        yield notion_client


def paragraphs(count: int, prefix: str = "Line") -> list[dict]:
    return [builders.paragraph_block(f"{prefix} {index}") for index in range(count)]


def all_ids(blocks) -> list[str]:
    ids = []
    for block in blocks:
        ids.append(block.id)
        ids.extend(all_ids(block.children))
    return ids


def test_fetch_follows_pagination_on_every_level(notion_server, client):
    toggle = builders.toggle_block("Many children", children=paragraphs(120, "Nested"))
    page_id = notion_server.add_page("Long page", paragraphs(250) + [toggle])
    fetched = fetch_page(client, page_id)
    assert len(fetched.blocks) == 251
    assert len(fetched.blocks[-1].children) == 120
    assert fetched.warnings == []


def test_fetch_keeps_reading_order(notion_server, client):
    page_id = notion_server.add_page("Ordered", paragraphs(150))
    fetched = fetch_page(client, page_id)
    texts = [block.rich_text[0].plain_text for block in fetched.blocks]
    assert texts == [f"Line {index}" for index in range(150)]


def test_fetch_resolves_synced_reference(notion_server, client):
    original = builders.synced_block_original([builders.paragraph_block("Shared policy text")])
    original["id"] = str(uuid.uuid4())
    notion_server.add_page("Original", [original])
    reference_page = notion_server.add_page(
        "Reference", [builders.synced_block_reference(original["id"])])
    document = render_page(fetch_page(client, reference_page), "default")
    assert [section.markdown for section in document.sections] == ["Shared policy text"]


def test_rejected_children_skipped_with_one_warning(notion_server, client):
    ai_block = builders.block("ai_block", {}, [builders.paragraph_block("hidden")])
    page_id = notion_server.add_page("AI", [builders.paragraph_block("before"), ai_block,
                                            builders.paragraph_block("after")])
    fetched = fetch_page(client, page_id)
    assert len(fetched.warnings) == 1
    assert page_id in fetched.warnings[0]
    markdown = [section.markdown for section in render_page(fetched, "default").sections]
    assert markdown == ["before", "after"]


def test_missing_synced_original_skipped_with_one_warning(notion_server, client):
    missing = str(uuid.uuid4())
    page_id = notion_server.add_page("Broken sync", [builders.synced_block_reference(missing),
                                                     builders.paragraph_block("still here")])
    fetched = fetch_page(client, page_id)
    assert len(fetched.warnings) == 1
    assert "404" in fetched.warnings[0]
    assert [s.markdown for s in render_page(fetched, "default").sections] == ["still here"]


def test_child_database_not_followed(notion_server, client, local_workspace):
    fetched = fetch_page(client, local_workspace.database_page_id)
    titles = [block.payload.get("title") for block in fetched.blocks if block.type == "child_database"]
    assert titles == ["Project tracker"]
    assert notion_server.request_count("/v1/databases") == 0


def test_linked_database_without_source_keeps_title(notion_server, client):
    linked = builders.child_database_block("Linked view")
    linked["id"] = str(uuid.uuid4())
    page_id = notion_server.add_page("Links", [linked])
    document = render_page(fetch_page(client, page_id), "default")
    assert document.sections[0].markdown == "[database: Linked view]"


def test_child_page_not_descended(notion_server, client):
    parent = notion_server.add_page("Parent", [builders.paragraph_block("intro")])
    notion_server.add_page("Child", paragraphs(3), parent_page_id=parent)
    notion_server.reset_request_log()
    fetched = fetch_page(client, parent)
    assert [block.type for block in fetched.blocks] == ["paragraph", "child_page"]
    assert notion_server.request_count("/v1/blocks") == 1


def test_fetch_page_reuses_listed_page(notion_server, client):
    page_id = notion_server.add_page("Listed", paragraphs(3))
    [listed] = [summary for summary in list_pages(client) if summary.id == page_id]
    notion_server.reset_request_log()

    fetched = fetch_page(client, page_id, page=listed.page)

    assert fetched.page == listed.page
    assert len(fetched.blocks) == 3
    assert notion_server.request_count("/v1/pages") == 0
    assert notion_server.request_count("/v1/blocks") == 1
    assert fetch_page(client, page_id).page == listed.page


def test_trashed_page_raises_page_gone(notion_server, client):
    page_id = notion_server.add_page("Old", paragraphs(1))
    notion_server.trash_page(page_id)
    with pytest.raises(PageGoneError, match="in trash"):
        fetch_page(client, page_id)


def test_unknown_page_raises_page_gone(client):
    with pytest.raises(PageGoneError):
        fetch_page(client, str(uuid.uuid4()))


def test_unshared_page_raises_page_gone(notion_server, client):
    page_id = notion_server.add_page("Private", paragraphs(1))
    notion_server.unshare_page(page_id)
    with pytest.raises(PageGoneError):
        fetch_page(client, page_id)


def test_depth_limit_skips_with_warning(notion_server, client):
    nested = builders.bulleted_list_item_block("level 3")
    for level in (2, 1):
        nested = builders.bulleted_list_item_block(f"level {level}", children=[nested])
    page_id = notion_server.add_page("Deep", [nested])
    fetched = fetch_page(client, page_id, max_depth=1)
    assert len(fetched.warnings) == 1
    assert all_ids(fetched.blocks)[-1] == fetched.blocks[0].children[0].id


def test_block_limit_truncates_with_warning(notion_server, client):
    page_id = notion_server.add_page("Big", paragraphs(30))
    fetched = fetch_page(client, page_id, max_blocks=10)
    assert len(fetched.blocks) == 10
    assert len(fetched.warnings) == 1


class FakeClient:
    """Serve a page and hand-written children, to feed shapes the local server never produces."""

    def __init__(self, children: dict[str, list], errors: dict[str, Exception] | None = None):
        self.children = children
        self.errors = errors or {}
        self.requests: list[str] = []

    def retrieve_page(self, page_id: str) -> dict:
        return builders.page_object(page_id, "Fake", builders.workspace_parent(),
                                    created_time="2025-01-01T00:00:00.000Z",
                                    last_edited_time="2025-01-01T00:00:00.000Z")

    def iter_block_children(self, block_id: str):
        self.requests.append(block_id)
        if block_id in self.errors:
            raise self.errors[block_id]
        yield from self.children.get(block_id, [])


def raw_block(block_id: str, block_type: str, payload: dict, has_children: bool = False) -> dict:
    return {"object": "block", "id": block_id, "type": block_type, block_type: payload,
            "has_children": has_children}


def text_payload(text: str) -> dict:
    return {"rich_text": builders.rich_text_items(text)}


def test_malformed_blocks_skipped_with_warnings():
    client = FakeClient({"page": [
        {"object": "block", "id": "no-type", "has_children": False},
        {"object": "block", "id": "no-object", "type": "paragraph", "has_children": False},
        raw_block("bad-text", "paragraph", {"rich_text": "not a list"}),
        raw_block("bad-payload", "paragraph", None) | {"paragraph": ["x"]},
        "not a block",
        raw_block("good", "paragraph", text_payload("fine")),
    ]})
    fetched = fetch_page(client, "page")
    assert [block.id for block in fetched.blocks] == ["good"]
    assert len(fetched.warnings) == 5


def test_synced_cycle_skipped_with_warning():
    client = FakeClient({
        "page": [raw_block("ref-a", "synced_block", {"synced_from": {"block_id": "orig-a"}}, True)],
        "orig-a": [raw_block("ref-b", "synced_block", {"synced_from": {"block_id": "orig-b"}}, True)],
        "orig-b": [raw_block("ref-a2", "synced_block", {"synced_from": {"block_id": "orig-a"}}, True),
                   raw_block("text", "paragraph", text_payload("inside b"))],
    })
    fetched = fetch_page(client, "page")
    assert len(fetched.warnings) == 1
    assert "orig-a" in fetched.warnings[0]
    assert [s.markdown for s in render_page(fetched, "default").sections] == ["inside b"]


def test_not_found_on_top_level_raises_page_gone():
    client = FakeClient({}, errors={"page": NotionNotFoundError("page", "404")})
    with pytest.raises(PageGoneError):
        fetch_page(client, "page")


def test_rejected_nested_block_keeps_own_text():
    client = FakeClient(
        {"page": [raw_block("toggle", "toggle", text_payload("Visible"), True)]},
        errors={"toggle": NotionRequestError("Block type toggle is not supported via the API.")},
    )
    fetched = fetch_page(client, "page")
    assert render_page(fetched, "default").sections[0].markdown == "Visible"


def render_workspace(root, page_ids, faults: FaultSettings | None) -> dict[str, str]:
    rendered = {}
    with LocalNotionServer(root, token=LOCAL_NOTION_TOKEN, faults=faults) as server:
        client = NotionClient(token=LOCAL_NOTION_TOKEN, base_url=server.url,
                              rate_limiter=TokenBucket(10_000, 1000),
                              backoff_base_seconds=0.005, backoff_max_seconds=0.05,
                              max_retry_seconds=30)
        for page_id in page_ids:
            try:
                document = render_page(fetch_page(client, page_id), "default")
            except PageGoneError as error:
                rendered[page_id] = f"gone: {error.reason}"
                continue
            rendered[page_id] = document.content_hash + "\n" + document.markdown
        dropped = sum(1 for record in server.request_log if record.fault)
    return rendered, dropped


def test_faults_do_not_change_documents(tmp_path):
    workspace = generate_workspace(tmp_path / "workspace", 30, seed=11, edge_cases=True,
                                   min_words=80, max_words=300)
    calm, _ = render_workspace(workspace.root, workspace.page_ids, None)
    faults = FaultSettings(error_rate=0.2, drop_rate=0.02, latency_seconds=0.002,
                           retry_after_seconds=0.02, seed=5)
    stormy, faulted = render_workspace(workspace.root, workspace.page_ids, faults)
    gone = [page_id for page_id, text in calm.items() if text.startswith("gone")]
    assert sorted(gone) == sorted(workspace.trashed_page_ids + workspace.unshared_page_ids)
    assert faulted > 0
    assert stormy == calm
