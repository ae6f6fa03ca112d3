"""A hostile workspace: malformed and extreme pages and blocks next to a few ordinary pages.

Files follow the local server's layout (``pages/<id>.json``, ``blocks/<parent id>.json``).
Shapes the server's loader rejects (a block without an id, a page without ``last_edited_time``)
are put into the running server's in-memory store by ``inject_unloadable`` instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from notion_pipeline.notion import builders
from notion_pipeline.notion.server import LocalNotionServer

NAMESPACE = uuid.UUID("0c6f3a53-2b55-4c55-a7f7-7f3b8b7f0a11")
CREATED = "2026-05-01T08:00:00.000Z"
EDITED = "2026-05-02T09:30:00.000Z"
MEGABYTE = 1024 * 1024

GOOD_PAGES = {
    "good_runbook": "Restart the ingestion workers one zone at a time and watch the queue depth.",
    "good_glossary": "A partition is one Notion page; a point is one chunk of that page in Qdrant.",
    "good_oncall": "Page the secondary on-call engineer when the primary does not answer in ten minutes.",
    "good_budget": "Cloud spend is reviewed every quarter against the forecast agreed with finance.",
    "good_release": "Releases ship on Tuesdays after the staging soak passes without new alerts.",
}


def object_id(name: str) -> str:
    """Return the fixed UUID of a named page or block."""
    return str(uuid.uuid5(NAMESPACE, name))


def page(name: str, title: object = None, **overrides: object) -> dict:
    """Build a page object titled ``name`` (or ``title``), then apply raw overrides."""
    value = builders.page_object(
        object_id(name), str(title if title is not None else name),
        builders.workspace_parent(), created_time=CREATED, last_edited_time=EDITED,
    )
    value.update(overrides)
    return value


def block(name: str, block_type: object, payload: object, *, has_children: bool = False,
          **overrides: object) -> dict:
    """Build a full block object with any (possibly wrong) type and payload."""
    value = {
        "object": "block", "id": object_id(name), "created_time": CREATED, "last_edited_time": EDITED,
        "has_children": has_children, "archived": False, "in_trash": False, "type": block_type,
    }
    if isinstance(block_type, str):
        value[block_type] = payload
    value.update(overrides)
    return value


def paragraph(name: str, text: str, **overrides: object) -> dict:
    return block(name, "paragraph", {"rich_text": builders.rich_text_items(text) if len(text) <= 2000
                                     else [_long_run(text)], "color": "default"}, **overrides)


def _long_run(text: str) -> dict:
    # One run far beyond Notion's 2,000-character limit, as a hostile server could send.
    return {"type": "text", "text": {"content": text, "link": None}, "annotations": {},
            "plain_text": text, "href": None}


@dataclass
class HostileWorkspace:
    """The directory, the hostile page ids by case name, and the ordinary page ids."""

    root: Path
    cases: dict[str, str] = field(default_factory=dict)
    good: dict[str, str] = field(default_factory=dict)
    injections: list[Callable[[LocalNotionServer], None]] = field(default_factory=list)

    def inject_unloadable(self, server: LocalNotionServer) -> None:
        """Put the shapes the server's file loader rejects into the running server."""
        server.store.load_all()
        for inject in self.injections:
            inject(server)


class _Writer:
    def __init__(self, root: Path) -> None:
        self.workspace = HostileWorkspace(root)
        (root / "pages").mkdir(parents=True)
        (root / "blocks").mkdir()

    def page(self, case: str, page_json: dict, blocks: list[dict] | None = None,
             children: dict[str, list[dict]] | None = None) -> str:
        page_id = page_json["id"] if isinstance(page_json.get("id"), str) else object_id(case)
        if case not in GOOD_PAGES:
            self.workspace.cases[case] = page_id
        (self.workspace.root / "pages" / f"{page_id}.json").write_text(json.dumps(page_json))
        for parent_id, items in {page_id: blocks or [], **(children or {})}.items():
            if items:
                (self.workspace.root / "blocks" / f"{parent_id}.json").write_text(json.dumps(items))
        return page_id


def _nested(case: str, levels: int) -> tuple[list[dict], dict[str, list[dict]]]:
    """Build ``levels`` toggles each inside the previous one, each with a line of text."""
    top = block(f"{case}-0", "toggle", {"rich_text": builders.rich_text_items(f"{case} level 0")},
                has_children=True)
    children: dict[str, list[dict]] = {}
    for level in range(1, levels):
        parent = object_id(f"{case}-{level - 1}")
        children[parent] = [block(f"{case}-{level}", "toggle",
                                  {"rich_text": builders.rich_text_items(f"{case} level {level}")},
                                  has_children=level < levels - 1)]
    return [top], children


def build_hostile_workspace(root: Path, *, full_size: bool = False) -> HostileWorkspace:
    """Write the hostile workspace under ``root``.

    With ``full_size`` the 1 MB block is prose (about 1,000 chunks to embed) and all 10,000
    blocks carry text. Otherwise the 1 MB block is one unbroken word and most of the 10,000
    blocks are empty, which exercises fetching and rendering at a fraction of the embedding time.
    """
    writer = _Writer(root)
    text = builders.rich_text_items

    for name, body in GOOD_PAGES.items():
        writer.workspace.good[name] = writer.page(name, page(name), [paragraph(f"{name}-p", body)])

    def simple(case: str, page_json: dict | None = None, blocks: list[dict] | None = None, **kwargs) -> None:
        writer.page(case, page_json or page(case),
                    blocks if blocks is not None else [paragraph(f"{case}-p", f"Text of {case}.")], **kwargs)

    # Page fields.
    simple("missing_properties", {k: v for k, v in page("missing_properties").items() if k != "properties"})
    simple("properties_not_object", page("properties_not_object", properties="oops"))
    simple("null_title", page("null_title", properties={"title": {"id": "title", "type": "title", "title": None}}))
    simple("title_not_list", page("title_not_list", properties={"title": {"type": "title", "title": "plain"}}))
    simple("empty_title", page("empty_title", properties={"title": {"type": "title", "title": []}}))
    simple("title_plain_text_number", page("title_plain_text_number", properties={
        "title": {"type": "title", "title": [{"type": "text", "plain_text": 5}]}}))
    simple("title_100k_chars", page("title_100k_chars", properties={
        "title": {"type": "title", "title": [_long_run("T" * 100_000)]}}))
    simple("title_control_chars", page("title_control_chars", "nul\x00 bell\x07 rtl\u202e zw\u200b"))
    simple("property_value_garbage", page("property_value_garbage", properties={
        "title": {"type": "title", "title": text("Garbage properties")},
        "Due": {"type": "date", "date": "tomorrow"}, "Tags": {"type": "multi_select", "multi_select": 3},
        "Score": {"type": "number", "number": "NaN"}, "Odd": 17}))

    # Block shapes.
    simple("unknown_block_type", blocks=[block("ubt", "hologram", {"rich_text": text("beam me up")}),
                                         paragraph("ubt-p", "Text after an unknown block.")])
    simple("block_missing_type_object", blocks=[
        {k: v for k, v in block("bmto", "paragraph", {}).items() if k != "paragraph"},
        paragraph("bmto-p", "Text after a block without its type object.")])
    simple("block_type_not_string", blocks=[block("btns", 5, None), paragraph("btns-p", "After type 5.")])
    simple("block_payload_list", blocks=[block("bpl", "paragraph", [1, 2]), paragraph("bpl-p", "After a list.")])
    simple("rich_text_not_list", blocks=[block("rtnl", "paragraph", {"rich_text": "hello"}),
                                         paragraph("rtnl-p", "After string rich text.")])
    simple("rich_text_item_not_object", blocks=[block("rtino", "paragraph", {"rich_text": ["hello", 3]})])
    simple("plain_text_object", blocks=[block("pto", "paragraph", {"rich_text": [{"type": "text", "plain_text": {"a": 1}}]})])
    simple("annotations_not_object", blocks=[block("ano", "quote", {"rich_text": [
        {"type": "text", "plain_text": "styled", "annotations": "bold"}]})])
    simple("empty_rich_text", blocks=[block(f"ert-{i}", kind, {"rich_text": []}) for i, kind in
                                      enumerate(("paragraph", "heading_1", "bulleted_list_item", "quote", "code"))])
    simple("has_children_string", blocks=[block("hcs", "paragraph", {"rich_text": text("odd flag")},
                                                has_children="yes")])
    simple("has_children_without_file", blocks=[block("hcwf", "toggle", {"rich_text": text("no kids")},
                                                      has_children=True)])
    simple("ai_block_children", blocks=[block("abc", "ai_block", {}, has_children=True),
                                        paragraph("abc-p", "Text after an AI block.")])
    simple("caption_and_language_wrong", blocks=[block("calw", "code", {
        "rich_text": text("print('hi')"), "language": None, "caption": 7})])
    simple("equation_without_expression", blocks=[block("ewe", "equation", {}),
                                                  paragraph("ewe-p", "After an empty equation.")])
    simple("image_without_file", blocks=[block("iwf", "image", {"type": "external"}),
                                         paragraph("iwf-p", "After a bare image.")])
    simple("child_page_missing", blocks=[block("cpm", "child_page", {"title": "Gone child"}),
                                         paragraph("cpm-p", "After a missing child page.")])
    simple("table_row_extra_cells", blocks=[block("trec", "table", {
        "table_width": 2, "has_column_header": True, "has_row_header": False}, has_children=True)],
        children={object_id("trec"): [
            block("trec-r0", "table_row", {"cells": [text("a"), text("b")]}),
            block("trec-r1", "table_row", {"cells": [text(str(i)) for i in range(5)]})]})
    simple("table_row_cells_not_list", blocks=[block("trcnl", "table", {"table_width": 1}, has_children=True)],
           children={object_id("trcnl"): [block("trcnl-r", "table_row", {"cells": "x"})]})
    simple("lone_surrogate_block", blocks=[paragraph("lsb", "half a pair \udc80 here")])

    # Size and depth.
    if full_size:
        huge = " ".join(f"word{i % 997}" for i in range(MEGABYTE // 8))[:MEGABYTE]
    else:
        huge = "x" * MEGABYTE
    simple("one_megabyte_block", blocks=[paragraph("omb", huge)])
    many = []
    for i in range(10_000):
        content = f"Line {i} of ten thousand." if full_size or i % 1000 == 0 else ""
        many.append(paragraph(f"ttb-{i}", content))
    simple("ten_thousand_blocks", blocks=many)
    top, children = _nested("nest20", 20)
    simple("nesting_20_levels", blocks=top, children=children)
    top, children = _nested("nest40", 40)
    simple("nesting_40_levels", blocks=top, children=children)

    # Cycles.
    original = object_id("cycle-original")
    simple("synced_cycle", blocks=[block("cycle-original", "synced_block", {"synced_from": None}, has_children=True)],
           children={original: [paragraph("cycle-text", "Synced text."),
                                block("cycle-ref", "synced_block",
                                      {"synced_from": {"type": "block_id", "block_id": original}})]})
    simple("synced_self_reference", blocks=[block("self-ref", "synced_block", {
        "synced_from": {"type": "block_id", "block_id": object_id("self-ref")}}),
        paragraph("self-ref-p", "After a self reference.")])
    simple("synced_reference_missing", blocks=[block("ref-missing", "synced_block", {
        "synced_from": {"type": "block_id", "block_id": object_id("nowhere")}}),
        paragraph("ref-missing-p", "After a dangling reference.")])
    self_id = object_id("links_to_itself")
    simple("links_to_itself", blocks=[
        block("lti-link", "link_to_page", {"type": "page_id", "page_id": self_id}),
        block("lti-mention", "paragraph", {"rich_text": [builders.mention_page(self_id, "links_to_itself")]})])

    # Duplicate ids: a second page file with the id of another hostile page, and a block id
    # used on two pages.
    duplicate = page("duplicate_page_id", "Duplicate of the empty-title page id")
    duplicate["id"] = builders.compact_id(writer.workspace.cases["empty_title"])
    (root / "pages" / "duplicate-page.json").write_text(json.dumps(duplicate))
    shared_block = paragraph("shared-block", "A block id that two pages use.")
    simple("duplicate_block_id_a", blocks=[shared_block])
    simple("duplicate_block_id_b", blocks=[shared_block])
    # Its block list always returns 500, so the page fails for good inside the job run and the
    # dead-letter path is exercised.
    failing = writer.page("children_always_fail", page("children_always_fail"), [paragraph("caf", "Never served.")])
    writer.workspace.injections.append(lambda server: server.fail_object(failing, 500))

    _add_injections(writer.workspace)
    return writer.workspace


def _add_injections(workspace: HostileWorkspace) -> None:
    no_id_page = object_id("block_without_id")
    no_edit_page = object_id("page_without_last_edited_time")
    workspace.cases["block_without_id"] = no_id_page
    workspace.cases["page_without_last_edited_time"] = no_edit_page

    def block_without_id(server: LocalNotionServer) -> None:
        store = server.store
        store.pages[no_id_page] = page("block_without_id")
        orphan = {k: v for k, v in paragraph("bwi", "A block with no id.").items() if k != "id"}
        store.blocks[object_id("bwi")] = orphan
        store.blocks[object_id("bwi-p")] = paragraph("bwi-p", "Text after a block without an id.")
        store.children[no_id_page] = [object_id("bwi"), object_id("bwi-p")]

    def page_without_last_edited_time(server: LocalNotionServer) -> None:
        store = server.store
        value = page("page_without_last_edited_time")
        del value["last_edited_time"]
        store.pages[no_edit_page] = value
        store.blocks[object_id("pwl-p")] = paragraph("pwl-p", "Text of a page without an edit time.")
        store.children[no_edit_page] = [object_id("pwl-p")]

    parent_page = object_id("parent_not_object")
    workspace.cases["parent_not_object"] = parent_page

    def parent_not_object(server: LocalNotionServer) -> None:
        store = server.store
        store.pages[parent_page] = page("parent_not_object", parent="workspace")
        store.blocks[object_id("pno-p")] = paragraph("pno-p", "Text of a page whose parent is a string.")
        store.children[parent_page] = [object_id("pno-p")]

    workspace.injections += [block_without_id, page_without_last_edited_time, parent_not_object]


def build_surrogate_title_workspace(root: Path) -> str:
    """Write one page whose title contains a lone surrogate (valid JSON, invalid Unicode); return its id."""
    writer = _Writer(root)
    return writer.page("title_lone_surrogate", page("title_lone_surrogate", "broken \ud800 title"),
                       [paragraph("tls-p", "Text under a broken title.")])


def build_good_only_workspace(root: Path) -> Path:
    """Write only the ordinary pages, with the same ids and content, for a reference index."""
    writer = _Writer(root)
    for name, body in GOOD_PAGES.items():
        writer.page(name, page(name), [paragraph(f"{name}-p", body)])
    return root
