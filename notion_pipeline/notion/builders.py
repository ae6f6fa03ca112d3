"""Builders for Notion JSON: rich text, blocks, pages and timestamps in the API's shapes.

Block builders return *partial* blocks, the shape that Notion's "append block children"
endpoint accepts: ``{"object": "block", "type": t, t: {...}}`` with nested blocks under
``block[t]["children"]``. ``materialize_blocks`` turns partial blocks into the full objects
that ``GET /v1/blocks/{id}/children`` returns (ids, timestamps, parent, ``has_children``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

# A stand-in person who created and edited every generated object.
DEFAULT_USER_ID = "6f1b4c1e-6a3e-4f7a-9a61-2d9b7b1c0001"

# Notion rejects a rich text item whose content exceeds this many characters.
MAX_TEXT_CONTENT_LENGTH = 2000

# Block types whose type object carries a ``rich_text`` array.
RICH_TEXT_BLOCK_TYPES = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
    }
)

_CANONICAL_UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MINUTE_TIMESTAMP_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
_UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


# Timestamps and ids


def format_timestamp(moment: datetime) -> str:
    """Format a datetime as Notion does: UTC, millisecond precision, ``Z`` suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; a date alone means midnight UTC)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def round_down_to_minute(moment: datetime) -> datetime:
    """Drop seconds and microseconds, as Notion does for ``last_edited_time``."""
    return moment.replace(second=0, microsecond=0)


def edited_timestamp(moment: datetime | None = None) -> str:
    """Format ``moment`` (default: now) as a ``last_edited_time`` value, rounded down to the minute."""
    return format_timestamp(round_down_to_minute(moment or datetime.now(UTC)))


def normalize_edited_timestamp(value: str) -> str:
    """Rewrite a ``last_edited_time`` in Notion's format, rounded down to the minute."""
    if _MINUTE_TIMESTAMP_PATTERN.match(value):
        return value
    return edited_timestamp(parse_timestamp(value))


def normalize_id(value: str) -> str | None:
    """Return the dashed lowercase form of a Notion id, or None when ``value`` is not a UUID."""
    if _CANONICAL_UUID_PATTERN.match(value):
        return value
    if not _UUID_PATTERN.match(value):
        return None
    return str(uuid.UUID(value.replace("-", "")))


def compact_id(object_id: str) -> str:
    """Return the id without dashes, the form Notion uses in URLs."""
    return object_id.replace("-", "")


def page_url(title: str, page_id: str) -> str:
    """Build the ``url`` field of a page: a title slug followed by the compact id."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")
    suffix = compact_id(page_id)
    return f"https://www.notion.so/{slug}-{suffix}" if slug else f"https://www.notion.so/{suffix}"


# Rich text


def rich_text(
    content: str,
    *,
    bold: bool = False,
    italic: bool = False,
    strikethrough: bool = False,
    underline: bool = False,
    code: bool = False,
    color: str = "default",
    link: str | None = None,
) -> dict:
    """Build one rich text item of type ``text``, with its annotations and ``plain_text``."""
    if len(content) > MAX_TEXT_CONTENT_LENGTH:
        raise ValueError(
            f"Rich text content is {len(content)} characters long, but Notion allows at most "
            f"{MAX_TEXT_CONTENT_LENGTH}: split it with rich_text_items()."
        )
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": {
            "bold": bold,
            "italic": italic,
            "strikethrough": strikethrough,
            "underline": underline,
            "code": code,
            "color": color,
        },
        "plain_text": content,
        "href": link,
    }


def rich_text_items(text: str | list[dict]) -> list[dict]:
    """Convert plain text to rich text items of at most 2000 characters. Lists pass through."""
    if isinstance(text, list):
        return text
    if not text:
        return []
    return [
        rich_text(text[start : start + MAX_TEXT_CONTENT_LENGTH])
        for start in range(0, len(text), MAX_TEXT_CONTENT_LENGTH)
    ]


def mention_page(page_id: str, title: str) -> dict:
    """Build a rich text item that mentions a page."""
    return {
        "type": "mention",
        "mention": {"type": "page", "page": {"id": page_id}},
        "annotations": rich_text("")["annotations"],
        "plain_text": title,
        "href": f"https://www.notion.so/{compact_id(page_id)}",
    }


def plain_text(items: Iterable[dict]) -> str:
    """Join the ``plain_text`` of rich text items."""
    return "".join(item.get("plain_text", "") for item in items)


# Partial blocks


def block(block_type: str, payload: dict, children: list[dict] | None = None) -> dict:
    """Build a partial block of any type, with ``children`` under ``payload["children"]``."""
    content = dict(payload)
    if children:
        content["children"] = list(children)
    return {"object": "block", "type": block_type, block_type: content}


def _text_block(
    block_type: str, text: str | list[dict], children: list[dict] | None, **fields: object
) -> dict:
    payload: dict = {"rich_text": rich_text_items(text), "color": "default", **fields}
    return block(block_type, payload, children)


def paragraph_block(text: str | list[dict], *, children: list[dict] | None = None) -> dict:
    """Build a paragraph block."""
    return _text_block("paragraph", text, children)


def heading_block(level: int, text: str | list[dict], *, is_toggleable: bool = False,
                  children: list[dict] | None = None) -> dict:
    """Build a ``heading_1``, ``heading_2`` or ``heading_3`` block."""
    if level not in (1, 2, 3):
        raise ValueError(f"Heading level must be 1, 2 or 3, got {level}.")
    if children and not is_toggleable:
        raise ValueError("Only a toggleable heading can have children: pass is_toggleable=True.")
    return _text_block(f"heading_{level}", text, children, is_toggleable=is_toggleable)


def bulleted_list_item_block(text: str | list[dict], *, children: list[dict] | None = None) -> dict:
    """Build a bulleted list item, optionally with nested items."""
    return _text_block("bulleted_list_item", text, children)


def numbered_list_item_block(text: str | list[dict], *, children: list[dict] | None = None) -> dict:
    """Build a numbered list item, optionally with nested items."""
    return _text_block("numbered_list_item", text, children)


def to_do_block(text: str | list[dict], *, checked: bool = False,
                children: list[dict] | None = None) -> dict:
    """Build a to-do block."""
    return _text_block("to_do", text, children, checked=checked)


def toggle_block(text: str | list[dict], *, children: list[dict] | None = None) -> dict:
    """Build a toggle block whose children are hidden until expanded."""
    return _text_block("toggle", text, children)


def quote_block(text: str | list[dict], *, children: list[dict] | None = None) -> dict:
    """Build a quote block."""
    return _text_block("quote", text, children)


def callout_block(text: str | list[dict], *, emoji: str = "💡",
                  children: list[dict] | None = None) -> dict:
    """Build a callout block with an emoji icon."""
    return _text_block("callout", text, children, icon={"type": "emoji", "emoji": emoji})


def code_block(code: str, *, language: str = "python", caption: str = "") -> dict:
    """Build a code block."""
    payload = {"rich_text": rich_text_items(code), "language": language,
               "caption": rich_text_items(caption)}
    return block("code", payload)


def divider_block() -> dict:
    """Build a divider block."""
    return block("divider", {})


def table_block(rows: list[list[str]], *, has_column_header: bool = True,
                has_row_header: bool = False) -> dict:
    """Build a table block whose children are ``table_row`` blocks, one per row of ``rows``."""
    if not rows:
        raise ValueError("A table needs at least one row.")
    width = max(len(row) for row in rows)
    row_blocks = [
        block("table_row", {"cells": [rich_text_items(cell) for cell in row + [""] * (width - len(row))]})
        for row in rows
    ]
    payload = {"table_width": width, "has_column_header": has_column_header,
               "has_row_header": has_row_header}
    return block("table", payload, row_blocks)


def synced_block_original(children: list[dict]) -> dict:
    """Build an original synced block that owns ``children``."""
    return block("synced_block", {"synced_from": None}, children)


def synced_block_reference(original_block_id: str) -> dict:
    """Build a reference synced block whose children are read from the original block."""
    return block("synced_block", {"synced_from": {"type": "block_id", "block_id": original_block_id}})


def child_database_block(title: str) -> dict:
    """Build a ``child_database`` block; its id must equal the database id."""
    return block("child_database", {"title": title})


def child_page_block(title: str) -> dict:
    """Build a ``child_page`` block; its id must equal the child page's id."""
    return block("child_page", {"title": title})


# Full objects


def user_reference(user_id: str = DEFAULT_USER_ID) -> dict:
    """Build the partial user object Notion puts in ``created_by`` and ``last_edited_by``."""
    return {"object": "user", "id": user_id}


def block_parent(parent_id: str, parent_is_page: bool) -> dict:
    """Build the ``parent`` of a block: a page or another block."""
    if parent_is_page:
        return {"type": "page_id", "page_id": parent_id}
    return {"type": "block_id", "block_id": parent_id}


def materialize_blocks(
    partial_blocks: list[dict],
    parent_id: str,
    *,
    parent_is_page: bool,
    created_time: str,
    last_edited_time: str,
    new_id: Callable[[], str],
) -> list[tuple[str, list[dict]]]:
    """Turn partial blocks into full block objects, depth first.

    Returns ``(parent_id, children)`` pairs: the first pair contains the full forms of
    ``partial_blocks``, later pairs contain nested children. A partial block may carry an ``id``
    (required for ``child_page`` and ``child_database``, whose ids are the page's or
    database's); otherwise ``new_id`` makes one. Nested children may sit under
    ``block[type]["children"]`` (Notion's append format) or ``block["children"]``.
    """
    result: list[tuple[str, list[dict]]] = []
    full_blocks: list[dict] = []
    nested: list[tuple[str, list[dict]]] = []
    for partial in partial_blocks:
        block_type = partial.get("type")
        if not block_type or block_type not in partial:
            raise ValueError(
                f"Invalid block {partial!r}: it needs a 'type' and an object under that type's key."
            )
        payload = dict(partial[block_type])
        children = payload.pop("children", None) or partial.get("children") or []
        block_id = normalize_id(partial["id"]) if partial.get("id") else new_id()
        if block_id is None:
            raise ValueError(f"Invalid block id {partial['id']!r}: use a UUID.")

        full_blocks.append(
            {
                "object": "block",
                "id": block_id,
                "parent": block_parent(parent_id, parent_is_page),
                "created_time": created_time,
                "last_edited_time": last_edited_time,
                "created_by": user_reference(),
                "last_edited_by": user_reference(),
                "has_children": bool(children),
                "archived": False,
                "in_trash": False,
                "type": block_type,
                block_type: payload,
            }
        )
        if children:
            nested.append((block_id, children))

    result.append((parent_id, full_blocks))
    for block_id, children in nested:
        result.extend(
            materialize_blocks(
                children,
                block_id,
                parent_is_page=False,
                created_time=created_time,
                last_edited_time=last_edited_time,
                new_id=new_id,
            )
        )
    return result


def title_property(title: str, name: str = "title") -> dict:
    """Build the ``properties`` entry of a page title."""
    return {name: {"id": "title", "type": "title", "title": rich_text_items(title)}}


def page_object(
    page_id: str,
    title: str,
    parent: dict,
    *,
    created_time: str,
    last_edited_time: str,
    properties: dict | None = None,
    title_property_name: str = "title",
    icon: dict | None = None,
) -> dict:
    """Build a page object as ``GET /v1/pages/{id}`` returns it.

    ``parent`` is ``{"type": "workspace", "workspace": True}``, a page parent or a data
    source parent. ``properties`` contains extra property values for a data source row.
    """
    all_properties = title_property(title, title_property_name)
    all_properties.update(properties or {})
    return {
        "object": "page",
        "id": page_id,
        "created_time": created_time,
        "last_edited_time": last_edited_time,
        "created_by": user_reference(),
        "last_edited_by": user_reference(),
        "cover": None,
        "icon": icon,
        "parent": parent,
        "archived": False,
        "in_trash": False,
        "is_locked": False,
        "properties": all_properties,
        "url": page_url(title, page_id),
        "public_url": None,
    }


def workspace_parent() -> dict:
    """Build the parent of a top-level page."""
    return {"type": "workspace", "workspace": True}


def page_parent(page_id: str) -> dict:
    """Build the parent of a page nested in another page."""
    return {"type": "page_id", "page_id": page_id}


def data_source_parent(data_source_id: str, database_id: str) -> dict:
    """Build the parent of a data source row (API version 2025-09-03 names both ids)."""
    return {"type": "data_source_id", "data_source_id": data_source_id, "database_id": database_id}


def page_title(page: dict) -> str:
    """Return the plain text of a page's title property, or an empty string."""
    for value in page.get("properties", {}).values():
        if value.get("type") == "title":
            return plain_text(value.get("title", []))
    return ""
