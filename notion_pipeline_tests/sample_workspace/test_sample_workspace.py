"""Check that the bundled sample workspace is complete, valid Notion JSON and matches its builder."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import notion_pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKSPACE_DIR = Path(notion_pipeline.__file__).resolve().parent / "sample_workspace"
QUESTIONS_PATH = REPO_ROOT / "evaluation" / "questions.jsonl"
BUILDER_PATH = REPO_ROOT / "tools" / "build_sample_workspace.py"

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BLOCK_FIELDS = {
    "object", "id", "parent", "created_time", "last_edited_time", "created_by",
    "last_edited_by", "has_children", "archived", "in_trash", "type",
}
PAGE_FIELDS = {
    "object", "id", "created_time", "last_edited_time", "created_by", "last_edited_by", "cover",
    "icon", "parent", "archived", "in_trash", "is_locked", "properties", "url", "public_url",
}
ANNOTATION_FIELDS = {"bold", "italic", "strikethrough", "underline", "code", "color"}
TEXT_BLOCK_TYPES = {
    "paragraph", "heading_1", "heading_2", "heading_3", "heading_4", "bulleted_list_item",
    "numbered_list_item", "to_do", "toggle", "quote", "callout", "code",
}
REQUIRED_BLOCK_TYPES = sorted(
    TEXT_BLOCK_TYPES
    | {
        "equation", "table", "table_row", "column_list", "column", "image", "file", "pdf", "video",
        "audio", "bookmark", "embed", "link_preview", "child_page", "child_database", "link_to_page",
        "divider", "table_of_contents", "breadcrumb", "synced_block", "unsupported", "ai_block",
    }
)


@dataclass
class Workspace:
    """The checked-in workspace, parsed once per test module."""

    pages: dict[str, dict[str, Any]]
    children: dict[str, list[dict[str, Any]]]
    databases: dict[str, dict[str, Any]]
    data_sources: dict[str, dict[str, Any]]
    meta: dict[str, Any]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return [block for blocks in self.children.values() for block in blocks]

    def blocks_of_type(self, block_type: str) -> list[dict[str, Any]]:
        return [block for block in self.blocks if block["type"] == block_type]

    def page_title(self, page_id: str) -> str:
        for value in self.pages[page_id]["properties"].values():
            if value["type"] == "title":
                return "".join(run["plain_text"] for run in value["title"])
        raise AssertionError(f"page {page_id} has no title property")


def load_folder(folder: Path) -> dict[str, Any]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def workspace() -> Workspace:
    return Workspace(
        pages=load_folder(WORKSPACE_DIR / "pages"),
        children=load_folder(WORKSPACE_DIR / "blocks"),
        databases=load_folder(WORKSPACE_DIR / "databases"),
        data_sources=load_folder(WORKSPACE_DIR / "data_sources"),
        meta=json.loads((WORKSPACE_DIR / "workspace.json").read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="module")
def questions() -> list[dict[str, Any]]:
    lines = QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def rich_text_lists(value: Any) -> Iterator[list[dict[str, Any]]]:
    """Yield every rich text array inside a block's type object or a page's properties."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("rich_text", "caption", "title") and isinstance(item, list):
                yield item
            else:
                yield from rich_text_lists(item)
    elif isinstance(value, list):
        if value and all(isinstance(item, list) for item in value):
            # table_row cells: a list of rich text arrays
            yield from value
        else:
            for item in value:
                yield from rich_text_lists(item)


def all_runs(workspace: Workspace) -> list[dict[str, Any]]:
    runs = []
    for block in workspace.blocks:
        for rich_text in rich_text_lists(block[block["type"]]):
            runs.extend(rich_text)
    for page in workspace.pages.values():
        for rich_text in rich_text_lists(page["properties"]):
            runs.extend(rich_text)
    return runs


def depth_of(workspace: Workspace, block: dict[str, Any], block_type: str) -> int:
    """Count how many blocks of ``block_type`` are nested, starting at ``block``."""
    nested = [child for child in workspace.children.get(block["id"], []) if child["type"] == block_type]
    return 1 + max((depth_of(workspace, child, block_type) for child in nested), default=0)


def page_text(workspace: Workspace, parent_id: str) -> str:
    parts = []
    for block in workspace.children.get(parent_id, []):
        for rich_text in rich_text_lists(block[block["type"]]):
            parts.extend(run["plain_text"] for run in rich_text)
        if block["has_children"] and block["type"] != "child_page":
            parts.append(page_text(workspace, block["id"]))
    return " ".join(parts)


def test_workspace_files_parse():
    for path in sorted(WORKSPACE_DIR.rglob("*.json")):
        json.loads(path.read_text(encoding="utf-8"))


def test_workspace_size_under_3mb():
    total = sum(path.stat().st_size for path in WORKSPACE_DIR.rglob("*.json"))
    assert total < 3_000_000


def test_page_count(workspace):
    assert len(workspace.pages) >= 40


def test_pages_have_required_fields(workspace):
    for page_id, page in workspace.pages.items():
        assert PAGE_FIELDS <= page.keys(), page_id
        assert page["object"] == "page", page_id
        assert page["id"] == page_id
        assert UUID.match(page_id), page_id
        assert TIMESTAMP.match(page["created_time"]), page_id
        assert TIMESTAMP.match(page["last_edited_time"]), page_id
        assert page["created_time"] <= page["last_edited_time"], page_id
        assert page["created_by"]["object"] == "user", page_id
        assert page["is_locked"] is False, page_id
        assert page["url"].endswith("-" + page_id.replace("-", "")), page_id


def test_page_parents_exist(workspace):
    for page_id, page in workspace.pages.items():
        parent = page["parent"]
        if parent["type"] == "page_id":
            assert parent["page_id"] in workspace.pages, page_id
        elif parent["type"] == "data_source_id":
            assert parent["data_source_id"] in workspace.data_sources, page_id
            assert parent["database_id"] in workspace.databases, page_id
        else:
            assert parent == {"type": "workspace", "workspace": True}, page_id


def test_child_pages_listed_on_parent(workspace):
    child_page_blocks = {block["id"]: block for block in workspace.blocks_of_type("child_page")}
    for page_id, page in workspace.pages.items():
        if page["parent"]["type"] != "page_id":
            continue
        block = child_page_blocks.get(page_id)
        assert block is not None, f"page {page_id} has no child_page block"
        assert block["parent"] == page["parent"], page_id
        assert block["child_page"]["title"] == workspace.page_title(page_id)


def test_blocks_have_required_fields(workspace):
    for parent_id, blocks in workspace.children.items():
        for block in blocks:
            assert BLOCK_FIELDS <= block.keys(), block.get("id")
            assert block["object"] == "block", block["id"]
            assert UUID.match(block["id"]), block["id"]
            assert block["type"] in block, block["id"]
            assert TIMESTAMP.match(block["created_time"]), block["id"]
            assert TIMESTAMP.match(block["last_edited_time"]), block["id"]
            parent = block["parent"]
            assert parent[parent["type"]] == parent_id, block["id"]


def test_block_ids_unique(workspace):
    counts = Counter(block["id"] for block in workspace.blocks)
    duplicates = [block_id for block_id, count in counts.items() if count > 1]
    assert duplicates == []


def test_block_ids_distinct_from_page_ids(workspace):
    # A child_page block shares its id with the page it shows, as in Notion. No other block may.
    for block in workspace.blocks:
        if block["type"] != "child_page":
            assert block["id"] not in workspace.pages, block["id"]


def test_children_files_match_has_children(workspace):
    block_by_id = {block["id"]: block for block in workspace.blocks}
    for block in workspace.blocks:
        has_file = block["id"] in workspace.children
        is_reference = block["type"] == "synced_block" and block["synced_block"]["synced_from"] is not None
        if is_reference or block["type"] == "ai_block":
            assert block["has_children"] is True, block["id"]
            assert has_file is False, block["id"]
        else:
            assert block["has_children"] is has_file, block["id"]
    for parent_id in workspace.children:
        assert parent_id in workspace.pages or parent_id in block_by_id, parent_id


def test_children_files_not_empty(workspace):
    # An empty page is written without a children file, so an empty list would mean a builder bug.
    for parent_id, blocks in workspace.children.items():
        assert blocks != [], parent_id


def test_rich_text_objects_complete(workspace):
    runs = all_runs(workspace)
    assert runs != []
    for run in runs:
        assert run["type"] in ("text", "mention", "equation"), run
        assert run["type"] in run, run
        assert set(run["annotations"]) == ANNOTATION_FIELDS, run
        assert isinstance(run["plain_text"], str), run
        assert "href" in run, run
        if run["type"] == "text":
            assert set(run["text"]) == {"content", "link"}, run
            assert run["text"]["content"] == run["plain_text"], run


def test_no_markup_left_in_text(workspace):
    for run in all_runs(workspace):
        if run["type"] == "text" and not run["annotations"]["code"]:
            assert "@[" not in run["plain_text"], run["plain_text"]
            assert "**" not in run["plain_text"], run["plain_text"]


@pytest.mark.parametrize("block_type", REQUIRED_BLOCK_TYPES)
def test_block_type_present(workspace, block_type):
    assert workspace.blocks_of_type(block_type) != []


def test_text_blocks_have_rich_text(workspace):
    for block_type in TEXT_BLOCK_TYPES:
        for block in workspace.blocks_of_type(block_type):
            assert isinstance(block[block_type]["rich_text"], list), block["id"]


def test_toggleable_heading_has_children(workspace):
    headings = [
        block
        for level in (1, 2, 3, 4)
        for block in workspace.blocks_of_type(f"heading_{level}")
        if block[f"heading_{level}"]["is_toggleable"]
    ]
    assert headings != []
    assert all(block["has_children"] for block in headings)


def test_to_do_checked_and_unchecked(workspace):
    states = {block["to_do"]["checked"] for block in workspace.blocks_of_type("to_do")}
    assert states == {True, False}


def test_callouts_have_emoji_icon(workspace):
    for block in workspace.blocks_of_type("callout"):
        assert block["callout"]["icon"]["type"] == "emoji", block["id"]


def test_code_has_language_and_caption(workspace):
    blocks = workspace.blocks_of_type("code")
    assert all(block["code"]["language"] for block in blocks)
    assert any(block["code"]["caption"] for block in blocks)


def test_table_rows_match_width(workspace):
    for table in workspace.blocks_of_type("table"):
        width = table["table"]["table_width"]
        rows = workspace.children[table["id"]]
        assert all(row["type"] == "table_row" for row in rows), table["id"]
        assert all(len(row["table_row"]["cells"]) == width for row in rows), table["id"]


def test_table_has_empty_cell(workspace):
    cells = [cell for row in workspace.blocks_of_type("table_row") for cell in row["table_row"]["cells"]]
    assert [] in cells


def test_table_has_multi_run_cell(workspace):
    cells = [cell for row in workspace.blocks_of_type("table_row") for cell in row["table_row"]["cells"]]
    assert any(len(cell) > 1 for cell in cells)


def test_table_header_flags_vary(workspace):
    tables = workspace.blocks_of_type("table")
    assert any(table["table"]["has_row_header"] for table in tables)
    assert any(table["table"]["has_column_header"] for table in tables)


def test_columns_inside_column_lists(workspace):
    for column_list in workspace.blocks_of_type("column_list"):
        columns = workspace.children[column_list["id"]]
        assert len(columns) >= 2, column_list["id"]
        assert all(column["type"] == "column" for column in columns), column_list["id"]


@pytest.mark.parametrize("block_type", ["image", "file", "pdf", "video", "audio"])
def test_media_has_caption_and_url(workspace, block_type):
    for block in workspace.blocks_of_type(block_type):
        body = block[block_type]
        assert body["caption"] != [], block["id"]
        assert body[body["type"]]["url"].startswith("https://"), block["id"]


@pytest.mark.parametrize("mention_type", ["user", "page", "date", "database"])
def test_mention_type_present(workspace, mention_type):
    mentions = [run["mention"] for run in all_runs(workspace) if run["type"] == "mention"]
    assert any(mention["type"] == mention_type for mention in mentions)


def test_mentions_point_at_existing_objects(workspace):
    for run in all_runs(workspace):
        if run["type"] != "mention":
            continue
        mention = run["mention"]
        if mention["type"] == "page":
            assert mention["page"]["id"] in workspace.pages, run
        elif mention["type"] == "database":
            assert mention["database"]["id"] in workspace.databases, run
        elif mention["type"] == "user":
            assert mention["user"]["name"], run


def test_inline_equation_present(workspace):
    assert any(run["type"] == "equation" for run in all_runs(workspace))


def test_link_to_page_targets_exist(workspace):
    for block in workspace.blocks_of_type("link_to_page"):
        assert block["link_to_page"]["page_id"] in workspace.pages, block["id"]


def test_synced_reference_points_to_original(workspace):
    originals = {
        block["id"]
        for block in workspace.blocks_of_type("synced_block")
        if block["synced_block"]["synced_from"] is None
    }
    references = [
        block["synced_block"]["synced_from"]
        for block in workspace.blocks_of_type("synced_block")
        if block["synced_block"]["synced_from"] is not None
    ]
    assert references != []
    for synced_from in references:
        assert synced_from["block_id"] in originals


def test_synced_original_has_children(workspace):
    originals = [
        block for block in workspace.blocks_of_type("synced_block") if block["synced_block"]["synced_from"] is None
    ]
    assert originals != []
    assert all(block["id"] in workspace.children for block in originals)


def test_unshared_child_database_not_in_workspace(workspace):
    unshared = workspace.meta["unshared"]
    child_databases = {block["id"] for block in workspace.blocks_of_type("child_database")}
    assert unshared != []
    for database_id in unshared:
        assert database_id in child_databases, database_id
        assert database_id not in workspace.databases, database_id


def test_shared_child_databases_exist(workspace):
    unshared = set(workspace.meta["unshared"])
    for block in workspace.blocks_of_type("child_database"):
        if block["id"] not in unshared:
            assert block["id"] in workspace.databases, block["id"]


@pytest.mark.parametrize("block_type", ["toggle", "bulleted_list_item", "numbered_list_item"])
def test_nesting_four_levels_deep(workspace, block_type):
    deepest = max(depth_of(workspace, block, block_type) for block in workspace.blocks_of_type(block_type))
    assert deepest >= 4


def test_long_page_over_250_blocks(workspace):
    longest = max(len(workspace.children.get(page_id, [])) for page_id in workspace.pages)
    assert longest > 250


def test_block_with_over_100_children(workspace):
    block_ids = {block["id"] for block in workspace.blocks}
    nested_lengths = [len(blocks) for parent_id, blocks in workspace.children.items() if parent_id in block_ids]
    assert max(nested_lengths) > 100


def test_database_links_its_data_source(workspace):
    assert workspace.databases != {}
    for database_id, database in workspace.databases.items():
        assert database["object"] == "database"
        for reference in database["data_sources"]:
            data_source = workspace.data_sources[reference["id"]]
            assert data_source["object"] == "data_source"
            assert data_source["parent"] == {"type": "database_id", "database_id": database_id}
            assert data_source["database_parent"] == database["parent"]


def test_decision_rows(workspace):
    rows = [page for page in workspace.pages.values() if page["parent"]["type"] == "data_source_id"]
    assert len(rows) >= 8
    assert all(page["id"] in workspace.children for page in rows)


def test_rows_follow_schema(workspace):
    for page in workspace.pages.values():
        if page["parent"]["type"] != "data_source_id":
            continue
        schema = workspace.data_sources[page["parent"]["data_source_id"]]["properties"]
        assert set(page["properties"]) == set(schema), page["id"]
        for name, value in page["properties"].items():
            assert value["type"] == schema[name]["type"], (page["id"], name)
            assert value["id"] == schema[name]["id"], (page["id"], name)


@pytest.mark.parametrize(
    "property_type", ["title", "status", "select", "multi_select", "date", "people", "url", "rich_text"]
)
def test_decisions_schema_has_type(workspace, property_type):
    types = {prop["type"] for source in workspace.data_sources.values() for prop in source["properties"].values()}
    assert property_type in types


def test_people_values_have_names(workspace):
    people = [
        person
        for page in workspace.pages.values()
        for value in page["properties"].values()
        if value["type"] == "people"
        for person in value["people"]
    ]
    assert people != []
    for person in people:
        assert person["name"], person
        assert person["person"]["email"], person


def test_empty_page_present(workspace):
    empty = [page_id for page_id in workspace.pages if page_id not in workspace.children]
    assert empty != []


def test_trashed_page_present(workspace):
    trashed = [page for page in workspace.pages.values() if page["in_trash"]]
    assert trashed != []
    assert all(page["archived"] for page in trashed)


@pytest.mark.parametrize(
    ("script", "pattern"),
    [
        ("CJK", r"[\u4e00-\u9fff]"),
        ("Japanese kana", r"[\u3040-\u30ff]"),
        ("accented Latin", r"[À-ÿ]"),
        ("emoji", r"[\U0001F300-\U0001FAFF]"),
        ("Hebrew", r"[\u0590-\u05ff]"),
        ("Arabic", r"[\u0600-\u06ff]"),
    ],
)
def test_non_ascii_script_present(workspace, script, pattern):
    text = " ".join(run["plain_text"] for run in all_runs(workspace))
    assert re.search(pattern, text), script


def test_questions_count(questions):
    assert len(questions) >= 40


def test_question_ids_unique(questions):
    ids = [question["id"] for question in questions]
    assert len(ids) == len(set(ids))


def test_question_pages_exist(workspace, questions):
    for question in questions:
        assert question["page_id"] in workspace.pages, question["id"]
        assert question["page_title"] == workspace.page_title(question["page_id"]), question["id"]
        assert workspace.pages[question["page_id"]]["in_trash"] is False, question["id"]


def test_question_pages_have_text(workspace, questions):
    for question in questions:
        assert page_text(workspace, question["page_id"]).strip(), question["id"]


def test_builder_output_matches_committed(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_sample_workspace", BUILDER_PATH)
    builder = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module runs.
    monkeypatch.setitem(sys.modules, spec.name, builder)
    spec.loader.exec_module(builder)
    output_dir = tmp_path / "workspace"
    questions_path = tmp_path / "questions.jsonl"

    builder.build(output_dir, questions_path)

    built = {path.relative_to(output_dir): path.read_bytes() for path in output_dir.rglob("*.json")}
    committed = {path.relative_to(WORKSPACE_DIR): path.read_bytes() for path in WORKSPACE_DIR.rglob("*.json")}
    assert sorted(built) == sorted(committed)
    changed = [str(path) for path in built if built[path] != committed[path]]
    assert changed == []
    assert questions_path.read_bytes() == QUESTIONS_PATH.read_bytes()
