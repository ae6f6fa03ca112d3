"""Render a fetched page as Markdown sections for chunking and embedding.

Each top-level block becomes one section, with everything nested inside it. A heading is a
section of its own and sets the heading path of the sections after it. Column lists, columns
and synced blocks only arrange other blocks, so their children are rendered as if they were
top-level blocks. Block types without text, unknown types and ``unsupported`` blocks are
skipped with a debug log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from notion_pipeline.notion.blocks import FetchedPage
from notion_pipeline.notion.document import RenderedDocument, Section
from notion_pipeline.notion.models import Block, PageObject, RichText, plain_text

logger = logging.getLogger(__name__)

UNTITLED = "Untitled"
HEADING_TYPES = {f"heading_{level}": level for level in range(1, 5)}
LIST_ITEM_TYPES = frozenset({"bulleted_list_item", "numbered_list_item", "to_do"})
LAYOUT_TYPES = frozenset({"column_list", "column", "synced_block"})
MEDIA_TYPES = frozenset({"image", "file", "pdf", "video", "audio"})
LINK_TYPES = frozenset({"bookmark", "embed", "link_preview"})
SILENT_TYPES = frozenset({"table_of_contents", "breadcrumb", "link_to_page"})
# Notion's language name "plain text" contains a space, which a fence info string cannot.
CODE_LANGUAGE_ALIASES = {"plain text": "text"}


def render_page(fetched: FetchedPage, workspace_id: str) -> RenderedDocument:
    """Render a fetched page into a document: a properties section, then one per block."""
    page = fetched.page
    sections: list[Section] = []

    properties = render_properties(page)
    if properties:
        sections.append(Section(markdown=properties, kind="properties", heading_path=(),
                                block_ids=()))

    builder = _SectionBuilder(page.id)
    builder.add_blocks(fetched.blocks)
    sections.extend(builder.sections)

    return RenderedDocument(
        workspace_id=workspace_id,
        page_id=page.id,
        title=page.title or UNTITLED,
        url=page.url,
        last_edited_time=page.last_edited_time,
        sections=tuple(sections),
    )


def render_properties(page: PageObject) -> str:
    """Render the page's indexable properties as "Name: value" lines, sorted by name."""
    lines = [
        f"{prop.name}: {prop.text}"
        for prop in sorted(page.properties, key=lambda prop: prop.name)
        if prop.text
    ]
    return "\n".join(lines)


@dataclass
class _Heading:
    level: int
    text: str


class _SectionBuilder:
    """Turn a sequence of top-level blocks into sections, tracking the heading path."""

    def __init__(self, page_id: str) -> None:
        self.page_id = page_id
        self.sections: list[Section] = []
        self.headings: list[_Heading] = []

    @property
    def heading_path(self) -> tuple[str, ...]:
        return tuple(heading.text for heading in self.headings)

    def add_blocks(self, blocks: tuple[Block, ...] | list[Block]) -> None:
        number = 0
        for block in blocks:
            number = _next_number(block, number)
            if block.type in HEADING_TYPES:
                self.add_heading(block)
            elif block.type in LAYOUT_TYPES:
                self.add_blocks(_layout_children(block))
            else:
                markdown = render_block(block, number, self.page_id)
                if markdown.strip():
                    self.sections.append(Section(
                        markdown=markdown,
                        kind=block.type,
                        heading_path=self.heading_path,
                        block_ids=_subtree_ids(block),
                    ))

    def add_heading(self, block: Block) -> None:
        level = HEADING_TYPES[block.type]
        text = plain_text(block.rich_text).strip()
        if text:
            while self.headings and self.headings[-1].level >= level:
                self.headings.pop()
            self.sections.append(Section(
                markdown=f"{'#' * level} {render_rich_text(block.rich_text).strip()}",
                kind=block.type,
                heading_path=self.heading_path,
                block_ids=(block.id,),
            ))
            self.headings.append(_Heading(level, text))

        if block.children:
            # Headings inside a toggleable heading end where the toggle ends. After it, the
            # path is again the one this heading set.
            path_after = list(self.headings)
            self.add_blocks(block.children)
            self.headings = path_after


def render_block(block: Block, number: int = 1, page_id: str = "") -> str:
    """Render one block and its children as Markdown; ``number`` numbers a numbered item."""
    render = _RENDERERS.get(block.type)
    if render is not None:
        return render(block, number, page_id)
    if block.type in HEADING_TYPES:
        return _render_heading(block, page_id)
    if block.type in LAYOUT_TYPES:
        return _render_children(_layout_children(block), page_id)
    if block.type in MEDIA_TYPES:
        return _render_media(block)
    if block.type in LINK_TYPES:
        return _render_link(block)
    if block.type in SILENT_TYPES:
        return ""
    logger.debug("Skipped block %s of type %s on page %s: no renderer for this type",
                 block.id, block.type, page_id)
    return ""


def render_rich_text(runs: tuple[RichText, ...]) -> str:
    """Render rich text as inline Markdown; mentions render as their plain text."""
    return "".join(_render_run(run) for run in _merge_runs(runs))


def _render_paragraph(block: Block, number: int, page_id: str) -> str:
    return _join_parts([render_rich_text(block.rich_text), _render_children(block.children, page_id)])


def _render_heading(block: Block, page_id: str) -> str:
    text = render_rich_text(block.rich_text).strip()
    heading = f"{'#' * HEADING_TYPES[block.type]} {text}" if text else ""
    return _join_parts([heading, _render_children(block.children, page_id)])


def _render_list_item(block: Block, number: int, page_id: str) -> str:
    if block.type == "numbered_list_item":
        marker = f"{number}."
    elif block.type == "to_do":
        marker = "- [x]" if block.payload.get("checked") else "- [ ]"
    else:
        marker = "-"
    # Continuation lines and nested items align with the text after the marker.
    indent = " " * (len(marker.split(" ")[0]) + 1)
    text = _indent(render_rich_text(block.rich_text), indent)
    item = f"{marker} {text}".rstrip()
    children = _render_children(block.children, page_id)
    if not children:
        return item
    return f"{item}\n{_indent(children, indent, first=True)}"


def _render_toggle(block: Block, number: int, page_id: str) -> str:
    return _join_parts([render_rich_text(block.rich_text), _render_children(block.children, page_id)])


def _render_quote(block: Block, number: int, page_id: str) -> str:
    body = _join_parts([render_rich_text(block.rich_text), _render_children(block.children, page_id)])
    return _quote(body)


def _render_callout(block: Block, number: int, page_id: str) -> str:
    icon = block.payload.get("icon")
    emoji = icon.get("emoji") if isinstance(icon, dict) and icon.get("type") == "emoji" else None
    text = render_rich_text(block.rich_text)
    if isinstance(emoji, str) and emoji:
        text = f"{emoji} {text}".rstrip()
    return _quote(_join_parts([text, _render_children(block.children, page_id)]))


def _render_code(block: Block, number: int, page_id: str) -> str:
    language = str(block.payload.get("language") or "")
    language = CODE_LANGUAGE_ALIASES.get(language, language).replace(" ", "_")
    code = plain_text(block.rich_text)
    # A fence must be longer than any backtick run inside the code.
    longest_run = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest_run + 1)
    rendered = f"{fence}{language}\n{code}\n{fence}"
    caption = render_rich_text(block.caption).strip()
    return _join_parts([rendered, caption])


def _render_equation(block: Block, number: int, page_id: str) -> str:
    expression = block.payload.get("expression")
    return f"$${expression}$$" if isinstance(expression, str) and expression.strip() else ""


def _render_table(block: Block, number: int, page_id: str) -> str:
    rows = [[_table_cell(cell) for cell in row.cells] for row in block.children
            if row.type == "table_row"]
    declared_width = block.payload.get("table_width")
    width = max([len(row) for row in rows] + [declared_width if isinstance(declared_width, int) else 0])
    if width == 0:
        return ""
    rows = [row + [""] * (width - len(row)) for row in rows]

    if block.payload.get("has_column_header") and rows:
        header, body = rows[0], rows[1:]
    else:
        header, body = [f"Column {index}" for index in range(1, width + 1)], rows
    lines = [_table_line(header), _table_line(["---"] * width)]
    lines.extend(_table_line(row) for row in body)
    return "\n".join(lines)


def _table_cell(runs: tuple[RichText, ...]) -> str:
    text = render_rich_text(runs).strip()
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _table_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _render_media(block: Block) -> str:
    caption = plain_text(block.caption).strip()
    name = block.payload.get("name")
    label = caption or (name.strip() if isinstance(name, str) else "")
    # NOTE: file URLs are left out because Notion signs them and they change on every fetch.
    return f"[{block.type}: {label}]" if label else ""


def _render_link(block: Block) -> str:
    url = block.payload.get("url")
    if not isinstance(url, str) or not url:
        return ""
    caption = render_rich_text(block.caption).strip()
    return f"[{caption}]({url})" if caption else f"<{url}>"


def _render_child_page(block: Block, number: int, page_id: str) -> str:
    title = str(block.payload.get("title") or "").strip()
    return f"[page: {title or UNTITLED}]"


def _render_child_database(block: Block, number: int, page_id: str) -> str:
    title = str(block.payload.get("title") or "").strip()
    return f"[database: {title or UNTITLED}]"


def _render_divider(block: Block, number: int, page_id: str) -> str:
    return "---"


_RENDERERS: dict[str, Callable[[Block, int, str], str]] = {
    "paragraph": _render_paragraph,
    "template": _render_paragraph,
    "bulleted_list_item": _render_list_item,
    "numbered_list_item": _render_list_item,
    "to_do": _render_list_item,
    "toggle": _render_toggle,
    "quote": _render_quote,
    "callout": _render_callout,
    "code": _render_code,
    "equation": _render_equation,
    "table": _render_table,
    "child_page": _render_child_page,
    "child_database": _render_child_database,
    "divider": _render_divider,
}


def _render_children(children: tuple[Block, ...], page_id: str) -> str:
    """Render nested blocks; list items in a row are one line apart, other blocks two."""
    parts: list[tuple[str, str]] = []
    number = 0
    for child in children:
        number = _next_number(child, number)
        markdown = render_block(child, number, page_id)
        if markdown.strip():
            parts.append((child.type, markdown))

    rendered = ""
    previous_type = ""
    for block_type, markdown in parts:
        if rendered:
            both_items = block_type in LIST_ITEM_TYPES and previous_type in LIST_ITEM_TYPES
            rendered += "\n" if both_items else "\n\n"
        rendered += markdown
        previous_type = block_type
    return rendered


def _layout_children(block: Block) -> tuple[Block, ...]:
    """Return the blocks a layout block arranges, columns in order."""
    if block.type == "column_list":
        return tuple(grandchild for column in block.children for grandchild in
                     (column.children if column.type == "column" else (column,)))
    return block.children


def _next_number(block: Block, previous: int) -> int:
    """Return a numbered list item's number, counting from the first item of its run."""
    if block.type != "numbered_list_item":
        return 0
    if previous == 0:
        start = block.payload.get("list_start_index")
        return start if isinstance(start, int) and start > 0 else 1
    return previous + 1


def _subtree_ids(block: Block) -> tuple[str, ...]:
    ids = [block.id]
    for child in block.children:
        ids.extend(_subtree_ids(child))
    return tuple(ids)


def _join_parts(parts: list[str]) -> str:
    return "\n\n".join(part for part in parts if part.strip())


def _indent(text: str, prefix: str, *, first: bool = False) -> str:
    """Indent every line after the first (and the first too when ``first``)."""
    lines = text.split("\n")
    return "\n".join(
        (prefix + line if line and (index > 0 or first) else line)
        for index, line in enumerate(lines)
    )


def _quote(text: str) -> str:
    if not text.strip():
        return ""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _merge_runs(runs: tuple[RichText, ...]) -> list[RichText]:
    """Merge neighbouring plain-text runs of the same style, so Markdown markers do not split words."""
    merged: list[RichText] = []
    for run in runs:
        previous = merged[-1] if merged else None
        if (previous is not None and run.type == "text" and previous.type == "text"
                and replace(previous, plain_text="") == replace(run, plain_text="")):
            merged[-1] = replace(previous, plain_text=previous.plain_text + run.plain_text)
        else:
            merged.append(run)
    return merged


def _render_run(run: RichText) -> str:
    if run.type == "equation":
        expression = run.expression if run.expression is not None else run.plain_text
        return f"${expression}$"
    text = run.plain_text
    if run.type == "mention" or not text.strip():
        return text

    # Markers must touch the text, so surrounding spaces move outside them.
    stripped = text.strip()
    leading = text[: len(text) - len(text.lstrip())]
    trailing = text[len(text.rstrip()):]
    if run.code:
        ticks = "``" if "`" in stripped else "`"
        stripped = f"{ticks}{stripped}{ticks}"
    if run.bold:
        stripped = f"**{stripped}**"
    if run.italic:
        stripped = f"*{stripped}*"
    if run.strikethrough:
        stripped = f"~~{stripped}~~"
    if run.href:
        stripped = f"[{stripped}]({run.href})"
    return f"{leading}{stripped}{trailing}"
