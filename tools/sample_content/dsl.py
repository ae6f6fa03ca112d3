"""Compact definitions of sample pages, blocks and databases, turned into Notion JSON by the builder.

Text fields use a small inline markup that the builder parses into rich text runs:
``**bold**``, ``*italic*``, ``~~strikethrough~~``, ``++underline++``, ``==red text==``,
`` `code` ``, ``[text](https://url)``, ``$inline equation$`` and mentions
``@[user:slug]``, ``@[page:slug]``, ``@[db:slug]``, ``@[date:2026-03-02]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BlockSpec:
    """One block before serialization: its type, markup text, extra fields and children."""

    type: str
    text: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    children: list[BlockSpec] = field(default_factory=list)


@dataclass
class PageSpec:
    """One page: a normal page under a page or the workspace, or a row of a database."""

    slug: str
    title: str
    blocks: list[BlockSpec] = field(default_factory=list)
    parent: str | None = None
    icon: str | None = None
    cover: str | None = None
    in_trash: bool = False
    database: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class DatabaseSpec:
    """One database with a single data source. ``schema`` maps property names to type configs."""

    slug: str
    title: str
    parent: str
    description: str
    icon: str | None
    schema: dict[str, dict[str, Any]]


def _text_block(block_type: str, text: str, children: tuple[BlockSpec, ...], **fields: Any) -> BlockSpec:
    return BlockSpec(block_type, text, {"color": "default", **fields}, list(children))


def p(text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block("paragraph", text, children)


def h1(text: str) -> BlockSpec:
    return _text_block("heading_1", text, (), is_toggleable=False)


def h2(text: str) -> BlockSpec:
    return _text_block("heading_2", text, (), is_toggleable=False)


def h3(text: str) -> BlockSpec:
    return _text_block("heading_3", text, (), is_toggleable=False)


def h4(text: str) -> BlockSpec:
    return _text_block("heading_4", text, (), is_toggleable=False)


def toggle_heading(level: int, text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block(f"heading_{level}", text, children, is_toggleable=True)


def ul(text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block("bulleted_list_item", text, children)


def ol(text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block("numbered_list_item", text, children)


def todo(text: str, checked: bool = False, *children: BlockSpec) -> BlockSpec:
    return _text_block("to_do", text, children, checked=checked)


def toggle(text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block("toggle", text, children)


def quote(text: str, *children: BlockSpec) -> BlockSpec:
    return _text_block("quote", text, children)


def callout(emoji: str, text: str, *children: BlockSpec, color: str = "gray_background") -> BlockSpec:
    spec = _text_block("callout", text, children, icon={"type": "emoji", "emoji": emoji})
    spec.fields["color"] = color
    return spec


def code(language: str, source: str, caption: str = "") -> BlockSpec:
    return BlockSpec("code", source, {"language": language, "caption": caption})


def equation(expression: str) -> BlockSpec:
    return BlockSpec("equation", None, {"expression": expression})


def table(rows: list[list[str]], column_header: bool = True, row_header: bool = False) -> BlockSpec:
    """Build a table from rows of markup cells. An empty string is an empty cell."""
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError(f"every table row must have {width} cells: {rows!r}")
    cells = [BlockSpec("table_row", None, {"cells": list(row)}) for row in rows]
    return BlockSpec(
        "table",
        None,
        {"table_width": width, "has_column_header": column_header, "has_row_header": row_header},
        cells,
    )


def columns(*column_children: list[BlockSpec]) -> BlockSpec:
    return BlockSpec("column_list", None, {}, [BlockSpec("column", None, {}, list(c)) for c in column_children])


def media(block_type: str, url: str, caption: str, name: str | None = None) -> BlockSpec:
    """Build an image, file, pdf, video or audio block hosted at an external URL."""
    fields: dict[str, Any] = {"caption": caption, "type": "external", "external": {"url": url}}
    if name is not None:
        fields["name"] = name
    return BlockSpec(block_type, None, fields)


def bookmark(url: str, caption: str = "") -> BlockSpec:
    return BlockSpec("bookmark", None, {"caption": caption, "url": url})


def embed(url: str, caption: str = "") -> BlockSpec:
    return BlockSpec("embed", None, {"caption": caption, "url": url})


def link_preview(url: str) -> BlockSpec:
    return BlockSpec("link_preview", None, {"url": url})


def child_page(slug: str) -> BlockSpec:
    return BlockSpec("child_page", None, {"slug": slug})


def child_database(slug: str) -> BlockSpec:
    return BlockSpec("child_database", None, {"slug": slug})


def unshared_database(slug: str, title: str) -> BlockSpec:
    """Build a child_database block whose database is not shared with the integration."""
    return BlockSpec("child_database", None, {"slug": slug, "title": title, "unshared": True})


def link_to_page(slug: str) -> BlockSpec:
    return BlockSpec("link_to_page", None, {"slug": slug})


def divider() -> BlockSpec:
    return BlockSpec("divider")


def table_of_contents() -> BlockSpec:
    return BlockSpec("table_of_contents", None, {"color": "default"})


def breadcrumb() -> BlockSpec:
    return BlockSpec("breadcrumb")


def synced_original(key: str, *children: BlockSpec) -> BlockSpec:
    return BlockSpec("synced_block", None, {"key": key}, list(children))


def synced_reference(key: str) -> BlockSpec:
    """Build a synced_block that shows the original named ``key``. The reference has no children of its own."""
    return BlockSpec("synced_block", None, {"from_key": key})


def unsupported(block_type: str) -> BlockSpec:
    return BlockSpec("unsupported", None, {"block_type": block_type})


def ai_block() -> BlockSpec:
    """Build an AI block. Notion reports that it has children but rejects requests to list them."""
    return BlockSpec("ai_block")
