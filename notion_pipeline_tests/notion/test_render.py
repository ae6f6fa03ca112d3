import itertools
import logging
from dataclasses import replace

from notion_pipeline.notion import builders
from notion_pipeline.notion.blocks import FetchedPage
from notion_pipeline.notion.models import Block, PageObject, PropertyValue, parse_block, parse_page
from notion_pipeline.notion.render import render_page, render_rich_text

_ids = itertools.count(1)


def block(block_type: str, text: str | list[dict] | None = None, *children: Block, **payload) -> Block:
    """Build a parsed block; ``text`` becomes its rich_text."""
    body = dict(payload)
    if text is not None:
        body["rich_text"] = builders.rich_text_items(text)
    raw = {"object": "block", "id": f"block-{next(_ids)}", "type": block_type,
           block_type: body, "has_children": bool(children)}
    return replace(parse_block(raw), children=tuple(children))


def page(*blocks: Block, properties: tuple[PropertyValue, ...] = ()) -> FetchedPage:
    page_object = PageObject(
        id="page-1", url="https://www.notion.so/Page-1", title="Handbook",
        created_time="2025-01-01T00:00:00.000Z", last_edited_time="2025-01-02T03:04:00.000Z",
        in_trash=False, parent_type="workspace", parent_id=None, data_source_id=None,
        properties=properties,
    )
    return FetchedPage(page=page_object, blocks=list(blocks))


def markdowns(fetched: FetchedPage) -> list[str]:
    return [section.markdown for section in render_page(fetched, "default").sections]


def only_markdown(*blocks: Block) -> str:
    rendered = markdowns(page(*blocks))
    assert len(rendered) == 1, rendered
    return rendered[0]


def test_render_paragraph():
    assert only_markdown(block("paragraph", "Hello world")) == "Hello world"


def test_render_empty_paragraph_has_no_section():
    assert markdowns(page(block("paragraph", ""))) == []


def test_render_document_fields():
    document = render_page(page(block("paragraph", "x")), "team")
    assert document.workspace_id == "team"
    assert document.page_id == "page-1"
    assert document.title == "Handbook"
    assert document.last_edited_time == "2025-01-02T03:04:00.000Z"
    assert document.url == "https://www.notion.so/Page-1"


def test_render_headings_levels():
    rendered = markdowns(page(*(block(f"heading_{level}", f"H{level}") for level in range(1, 5))))
    assert rendered == ["# H1", "## H2", "### H3", "#### H4"]


def test_heading_path_nests():
    document = render_page(page(
        block("heading_1", "Guide"),
        block("heading_2", "Setup"),
        block("paragraph", "Install it."),
        block("heading_2", "Usage"),
        block("paragraph", "Run it."),
        block("heading_1", "Appendix"),
        block("paragraph", "More."),
    ), "default")
    paths = {section.markdown: section.heading_path for section in document.sections}
    assert paths["Install it."] == ("Guide", "Setup")
    assert paths["Run it."] == ("Guide", "Usage")
    assert paths["More."] == ("Appendix",)


def test_heading_section_path_excludes_itself():
    document = render_page(page(block("heading_1", "Guide"), block("heading_2", "Setup")), "default")
    assert document.sections[1].heading_path == ("Guide",)


def test_heading_section_kind():
    document = render_page(page(block("heading_3", "Deep")), "default")
    assert document.sections[0].kind == "heading_3"


def test_toggleable_heading_children_under_it():
    document = render_page(page(
        block("heading_2", "FAQ", block("paragraph", "Answer one."), is_toggleable=True),
        block("paragraph", "After."),
    ), "default")
    sections = {section.markdown: section.heading_path for section in document.sections}
    assert sections["Answer one."] == ("FAQ",)
    assert sections["After."] == ("FAQ",)


def test_toggleable_heading_inner_headings_end():
    document = render_page(page(
        block("heading_1", "Outer", block("heading_2", "Inner"), block("paragraph", "in"),
              is_toggleable=True),
        block("paragraph", "out"),
    ), "default")
    paths = {section.markdown: section.heading_path for section in document.sections}
    assert paths["in"] == ("Outer", "Inner")
    assert paths["out"] == ("Outer",)


def test_render_nested_bulleted_list():
    item = block("bulleted_list_item", "one",
                 block("bulleted_list_item", "two", block("bulleted_list_item", "three")))
    assert only_markdown(item) == "- one\n  - two\n    - three"


def test_render_numbered_list_counts():
    rendered = markdowns(page(block("numbered_list_item", "a"), block("numbered_list_item", "b"),
                              block("paragraph", "break"), block("numbered_list_item", "c")))
    assert rendered == ["1. a", "2. b", "break", "1. c"]


def test_render_nested_numbered_list():
    item = block("numbered_list_item", "steps",
                 block("numbered_list_item", "first"), block("numbered_list_item", "second"))
    assert only_markdown(item) == "1. steps\n   1. first\n   2. second"


def test_list_item_section_holds_children_ids():
    child = block("bulleted_list_item", "child")
    parent = block("bulleted_list_item", "parent", child)
    document = render_page(page(parent), "default")
    assert document.sections[0].block_ids == (parent.id, child.id)


def test_render_to_do_checked():
    assert only_markdown(block("to_do", "ship", checked=True)) == "- [x] ship"


def test_render_to_do_unchecked():
    assert only_markdown(block("to_do", "ship", checked=False)) == "- [ ] ship"


def test_render_toggle_text_then_children():
    toggle = block("toggle", "Details", block("paragraph", "Hidden text"))
    assert only_markdown(toggle) == "Details\n\nHidden text"


def test_toggle_is_one_section():
    toggle = block("toggle", "Details", block("paragraph", "a"), block("paragraph", "b"))
    document = render_page(page(toggle), "default")
    assert len(document.sections) == 1


def test_render_quote():
    assert only_markdown(block("quote", "line one\nline two")) == "> line one\n> line two"


def test_render_callout_with_icon_and_children():
    callout = block("callout", "Careful", block("paragraph", "Details"),
                    icon={"type": "emoji", "emoji": "⚠️"})
    assert only_markdown(callout) == "> ⚠️ Careful\n>\n> Details"


def test_render_code_with_language_and_caption():
    code = block("code", "print(1)", language="python",
                 caption=builders.rich_text_items("Prints one"))
    assert only_markdown(code) == "```python\nprint(1)\n```\n\nPrints one"


def test_render_code_plain_text_language():
    assert only_markdown(block("code", "x", language="plain text")) == "```text\nx\n```"


def test_render_code_containing_fence():
    assert only_markdown(block("code", "```", language="markdown")).startswith("````markdown\n")


def test_render_equation_block():
    assert only_markdown(block("equation", expression="e^{i\\pi}+1=0")) == "$$e^{i\\pi}+1=0$$"


def table(rows: list[list[str | list[dict]]], *, header: bool) -> Block:
    row_blocks = [block("table_row", cells=[builders.rich_text_items(cell) for cell in row])
                  for row in rows]
    width = max(len(row) for row in rows)
    return block("table", None, *row_blocks, table_width=width, has_column_header=header)


def test_render_table_with_header():
    rendered = only_markdown(table([["Name", "Role"], ["Ada", "Engineer"]], header=True))
    assert rendered == "| Name | Role |\n| --- | --- |\n| Ada | Engineer |"


def test_render_table_generated_header():
    rendered = only_markdown(table([["Ada", "Engineer"]], header=False))
    assert rendered.splitlines()[0] == "| Column 1 | Column 2 |"


def test_render_table_with_empty_cell():
    rendered = only_markdown(table([["A", "B", "C"], ["1", "", "3"]], header=True))
    assert rendered.splitlines()[2] == "| 1 |  | 3 |"


def test_render_table_escapes_pipe_and_newline():
    rendered = only_markdown(table([["A"], ["x | y\nz"]], header=True))
    assert rendered.splitlines()[2] == "| x \\| y<br>z |"


def test_render_table_joins_cell_runs():
    cell = [builders.rich_text("Hello, "), builders.rich_text("world")]
    rendered = only_markdown(table([["A"], [cell]], header=True))
    assert rendered.splitlines()[2] == "| Hello, world |"


def test_render_table_pads_short_rows():
    rows = [block("table_row", cells=[builders.rich_text_items("a")])]
    rendered = only_markdown(block("table", None, *rows, table_width=3, has_column_header=False))
    assert rendered.splitlines()[2] == "| a |  |  |"


def test_table_is_one_section_with_row_ids():
    table_block = table([["A"], ["1"], ["2"]], header=True)
    document = render_page(page(table_block), "default")
    assert document.sections[0].block_ids == (table_block.id,) + tuple(
        row.id for row in table_block.children)


def test_render_columns_in_order():
    columns = block("column_list", None,
                    block("column", None, block("paragraph", "left")),
                    block("column", None, block("paragraph", "right")))
    assert markdowns(page(columns)) == ["left", "right"]


def test_render_image_caption():
    image = block("image", type="external", external={"url": "https://example.com/a.png"},
                  caption=builders.rich_text_items("Architecture"))
    assert only_markdown(image) == "[image: Architecture]"


def test_render_image_without_caption_skipped():
    image = block("image", type="file", file={"url": "https://s3.example/x?sig=1"}, caption=[])
    assert markdowns(page(image)) == []


def test_render_pdf_name_without_caption():
    pdf = block("pdf", type="file", file={"url": "https://s3.example/x"}, name="spec.pdf")
    assert only_markdown(pdf) == "[pdf: spec.pdf]"


def test_render_bookmark_with_caption():
    bookmark = block("bookmark", url="https://example.com",
                     caption=builders.rich_text_items("Example"))
    assert only_markdown(bookmark) == "[Example](https://example.com)"


def test_render_embed_url_only():
    assert only_markdown(block("embed", url="https://example.com/e")) == "<https://example.com/e>"


def test_render_link_preview():
    preview = block("link_preview", url="https://github.com/x/y/pull/1")
    assert only_markdown(preview) == "<https://github.com/x/y/pull/1>"


def test_render_child_page_title():
    assert only_markdown(block("child_page", title="Roadmap")) == "[page: Roadmap]"


def test_render_child_database_title():
    assert only_markdown(block("child_database", title="Tasks")) == "[database: Tasks]"


def test_link_to_page_skipped():
    link = block("link_to_page", type="page_id", page_id="abc")
    assert markdowns(page(link)) == []


def test_render_divider():
    assert only_markdown(block("divider")) == "---"


def test_render_synced_block_children():
    synced = block("synced_block", None, block("paragraph", "shared text"), synced_from=None)
    assert markdowns(page(synced)) == ["shared text"]


def test_unknown_type_skipped(caplog):
    caplog.set_level(logging.DEBUG, logger="notion_pipeline.notion.render")
    rendered = markdowns(page(block("meeting_notes", None), block("paragraph", "kept")))
    assert rendered == ["kept"]


def test_unknown_type_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="notion_pipeline.notion.render")
    unknown = block("unsupported", None)
    markdowns(page(unknown))
    assert unknown.id in caplog.text


def test_render_bold_italic_code_link():
    runs = parse_runs([
        builders.rich_text("bold", bold=True), builders.rich_text(" and "),
        builders.rich_text("it", italic=True), builders.rich_text(" "),
        builders.rich_text("x()", code=True), builders.rich_text(" "),
        builders.rich_text("docs", link="https://example.com"),
    ])
    assert render_rich_text(runs) == "**bold** and *it* `x()` [docs](https://example.com)"


def test_render_annotation_spaces_outside_markers():
    runs = parse_runs([builders.rich_text("word ", bold=True), builders.rich_text("next")])
    assert render_rich_text(runs) == "**word** next"


def test_render_merges_same_style_runs():
    runs = parse_runs([builders.rich_text("ab", bold=True), builders.rich_text("cd", bold=True)])
    assert render_rich_text(runs) == "**abcd**"


def test_render_mention_as_plain_text():
    runs = parse_runs([builders.rich_text("See "), builders.mention_page("abc", "Roadmap")])
    assert render_rich_text(runs) == "See Roadmap"


def test_render_date_mention():
    mention = {"type": "mention", "plain_text": "2025-03-01",
               "mention": {"type": "date", "date": {"start": "2025-03-01"}}, "href": None}
    assert render_rich_text(parse_runs([mention])) == "2025-03-01"


def test_render_inline_equation():
    equation = {"type": "equation", "equation": {"expression": "x^2"}, "plain_text": "x^2",
                "href": None}
    assert render_rich_text(parse_runs([builders.rich_text("Area "), equation])) == "Area $x^2$"


def parse_runs(items: list[dict]):
    return block("paragraph", items).rich_text


def raw_page(properties: dict) -> dict:
    return builders.page_object(
        "page-2", "Task", builders.workspace_parent(), created_time="2025-01-01T00:00:00.000Z",
        last_edited_time="2025-01-01T00:00:00.000Z", properties=properties, title_property_name="Name",
    )


def properties_markdown(properties: dict) -> str:
    parsed = parse_page(raw_page(properties))
    document = render_page(FetchedPage(page=parsed, blocks=[]), "default")
    assert document.sections[0].kind == "properties"
    return document.sections[0].markdown


def test_properties_section_first():
    parsed = parse_page(raw_page({"Status": {"type": "status", "status": {"name": "Done"}}}))
    document = render_page(FetchedPage(page=parsed, blocks=[block("paragraph", "body")]), "default")
    assert document.sections[0].kind == "properties"


def test_title_from_title_property():
    assert parse_page(raw_page({})).title == "Task"


def test_properties_exclude_title():
    parsed = parse_page(raw_page({}))
    assert render_page(FetchedPage(page=parsed, blocks=[]), "default").sections == ()


def test_render_property_types():
    rendered = properties_markdown({
        "Notes": {"type": "rich_text", "rich_text": builders.rich_text_items("Call back")},
        "Priority": {"type": "select", "select": {"name": "High"}},
        "Tags": {"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]},
        "Status": {"type": "status", "status": {"name": "In progress"}},
        "Due": {"type": "date", "date": {"start": "2025-05-01", "end": "2025-05-03"}},
        "Owner": {"type": "people", "people": [{"object": "user", "id": "u1", "name": "Ada"}]},
        "Link": {"type": "url", "url": "https://example.com"},
        "Points": {"type": "number", "number": 3.0},
        "Done": {"type": "checkbox", "checkbox": False},
    })
    assert rendered.splitlines() == [
        "Done: No",
        "Due: 2025-05-01 → 2025-05-03",
        "Link: https://example.com",
        "Notes: Call back",
        "Owner: Ada",
        "Points: 3",
        "Priority: High",
        "Status: In progress",
        "Tags: a, b",
    ]


def test_render_checkbox_yes():
    assert properties_markdown({"Done": {"type": "checkbox", "checkbox": True}}) == "Done: Yes"


def test_empty_properties_skipped():
    rendered = properties_markdown({
        "Priority": {"type": "select", "select": None},
        "Points": {"type": "number", "number": None},
        "Done": {"type": "checkbox", "checkbox": True},
    })
    assert rendered == "Done: Yes"


def test_relation_property_skipped():
    rendered = properties_markdown({
        "Related": {"type": "relation", "relation": [{"id": "x"}]},
        "Done": {"type": "checkbox", "checkbox": True},
    })
    assert rendered == "Done: Yes"


def test_render_is_deterministic():
    fetched = page(block("heading_1", "A"), block("paragraph", "b"),
                   table([["x", "y"], ["1", "2"]], header=True))
    assert render_page(fetched, "default") == render_page(fetched, "default")
