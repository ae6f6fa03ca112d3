"""Tests of the synthetic workspace generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notion_pipeline.notion import builders
from notion_pipeline.notion.generator import generate_workspace, main
from notion_pipeline.notion.workspace_store import WorkspaceStore


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.json"))}


def test_same_seed_identical_files(tmp_path: Path) -> None:
    generate_workspace(tmp_path / "a", 25, seed=4, edge_cases=True)
    generate_workspace(tmp_path / "b", 25, seed=4, edge_cases=True)
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")


def test_other_seed_differs(tmp_path: Path) -> None:
    first = generate_workspace(tmp_path / "a", 10, seed=1)
    second = generate_workspace(tmp_path / "b", 10, seed=2)
    assert set(first.page_ids).isdisjoint(second.page_ids)


def test_page_count_includes_every_role(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 60, seed=3, rows_fraction=0.25, edge_cases=True)
    assert len(result.page_ids) == 60
    assert len(list((tmp_path / "pages").glob("*.json"))) == 60
    assert len(result.row_page_ids) == round((60 - 4 - 1) * 0.25)
    assert result.child_page_ids
    assert len(result.trashed_page_ids) == 1
    assert len(result.unshared_page_ids) == 1


def test_word_counts_within_bounds(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 30, seed=5, rows_fraction=0.0, long_page_fraction=0.0,
                                min_words=300, max_words=3000)
    counts = [result.words_by_page[page_id] for page_id in result.page_ids]
    assert min(counts) >= 300
    # A page stops after the section that crosses its target, so it may overshoot a little.
    assert max(counts) <= 3000 + 600


def test_long_pages_when_requested(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 4, seed=6, rows_fraction=0.0, long_page_fraction=1.0)
    assert min(result.words_by_page.values()) >= 8000


def test_pages_are_api_shaped(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 12, seed=8)
    page = json.loads((tmp_path / "pages" / f"{result.top_level_page_ids[0]}.json").read_text())
    assert page["object"] == "page"
    assert page["parent"] == {"type": "workspace", "workspace": True}
    assert page["in_trash"] is False
    assert builders.page_title(page)
    assert page["last_edited_time"].endswith(":00.000Z")


def test_blocks_are_api_shaped(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 12, seed=8)
    page_id = result.top_level_page_ids[0]
    blocks = json.loads((tmp_path / "blocks" / f"{page_id}.json").read_text())
    for block in blocks:
        assert block["object"] == "block"
        assert block["parent"] == {"type": "page_id", "page_id": page_id}
        assert block["type"] in block
        # A child_page block shares its id with its page, so that page's blocks file is no evidence.
        if block["type"] not in ("child_page", "child_database"):
            assert block["has_children"] == (tmp_path / "blocks" / f"{block['id']}.json").exists()


def test_rich_text_items_under_limit(tmp_path: Path) -> None:
    generate_workspace(tmp_path, 15, seed=9, edge_cases=True)
    for path in (tmp_path / "blocks").glob("*.json"):
        for block in json.loads(path.read_text()):
            for item in block[block["type"]].get("rich_text", []):
                assert len(item["plain_text"]) <= builders.MAX_TEXT_CONTENT_LENGTH


def test_content_mix_present(tmp_path: Path) -> None:
    generate_workspace(tmp_path, 40, seed=10)
    types = {block["type"] for path in (tmp_path / "blocks").glob("*.json") for block in json.loads(path.read_text())}
    expected = {"heading_2", "paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle",
                "table", "table_row", "code", "child_page", "child_database"}
    assert expected <= types


def test_rows_follow_schema(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 20, seed=11)
    data_source = json.loads((tmp_path / "data_sources" / f"{result.data_source_id}.json").read_text())
    row = json.loads((tmp_path / "pages" / f"{result.row_page_ids[0]}.json").read_text())
    assert set(row["properties"]) == set(data_source["properties"])
    assert row["parent"]["data_source_id"] == result.data_source_id


def test_database_block_points_at_database(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 20, seed=12)
    blocks = json.loads((tmp_path / "blocks" / f"{result.database_page_id}.json").read_text())
    database_blocks = [block["id"] for block in blocks if block["type"] == "child_database"]
    assert database_blocks == [result.database_id]


def test_store_loads_generated_workspace(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 30, seed=13, edge_cases=True)
    store = WorkspaceStore.load(tmp_path)
    assert store.counts()["blocks"] == result.block_count
    assert store.unshared == set(result.unshared_page_ids)


def test_single_page_has_no_database(tmp_path: Path) -> None:
    result = generate_workspace(tmp_path, 1, seed=14)
    assert result.database_id is None
    assert len(result.page_ids) == 1


def test_refuses_non_empty_target(tmp_path: Path) -> None:
    generate_workspace(tmp_path, 2, seed=15)
    with pytest.raises(FileExistsError):
        generate_workspace(tmp_path, 2, seed=15)


def test_rejects_zero_pages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pages"):
        generate_workspace(tmp_path, 0)


def test_main_writes_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--pages", "5", "--seed", "2", "--out", str(tmp_path / "w")]) == 0
    assert len(list((tmp_path / "w" / "pages").glob("*.json"))) == 5
    assert "Wrote 5 pages" in capsys.readouterr().out
