"""Typed views of Notion API objects (API version 2025-09-03): rich text, pages, blocks.

Raw JSON is parsed here once. A value of the wrong shape raises ``MalformedObjectError``,
which the block-tree fetch turns into a warning for that one block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MalformedObjectError(ValueError):
    """A Notion object does not have the shape API version 2025-09-03 documents."""


@dataclass(frozen=True)
class RichText:
    """One rich-text run: its plain text, link, style and, for inline equations, the TeX."""

    plain_text: str
    type: str = "text"
    href: str | None = None
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    expression: str | None = None


@dataclass(frozen=True)
class PropertyValue:
    """One page property reduced to the text worth indexing (empty when nothing is)."""

    name: str
    type: str
    text: str


@dataclass(frozen=True)
class PageObject:
    """A Notion page as returned by ``GET /v1/pages/{id}``."""

    id: str
    url: str
    title: str
    created_time: str
    last_edited_time: str
    in_trash: bool
    parent_type: str
    parent_id: str | None
    data_source_id: str | None
    properties: tuple[PropertyValue, ...] = ()


@dataclass(frozen=True)
class Block:
    """One block with its parsed text and children.

    ``payload`` is the block's type object (``block[block["type"]]``). ``rich_text`` and
    ``caption`` are parsed from it when present, and ``cells`` contains a table row's cells.
    """

    id: str
    type: str
    has_children: bool
    payload: dict[str, Any]
    rich_text: tuple[RichText, ...] = ()
    caption: tuple[RichText, ...] = ()
    cells: tuple[tuple[RichText, ...], ...] = ()
    children: tuple[Block, ...] = field(default_factory=tuple)


def plain_text(runs: tuple[RichText, ...]) -> str:
    """Join the plain text of rich-text runs."""
    return "".join(run.plain_text for run in runs)


def parse_rich_text(value: Any, where: str = "rich_text") -> tuple[RichText, ...]:
    """Parse a rich-text array; ``where`` names the field in error messages."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedObjectError(f"{where} must be a list, got {type(value).__name__}")
    runs = []
    for item in value:
        if not isinstance(item, dict):
            raise MalformedObjectError(f"{where} item must be an object, got {type(item).__name__}")
        runs.append(_parse_run(item, where))
    return tuple(runs)


def _parse_run(item: dict[str, Any], where: str) -> RichText:
    run_type = item.get("type") or "text"
    annotations = item.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise MalformedObjectError(f"{where} annotations must be an object")

    text = item.get("plain_text")
    expression = None
    if run_type == "equation":
        equation = item.get("equation") or {}
        expression = equation.get("expression") if isinstance(equation, dict) else None
        if text is None:
            text = expression
    if text is None and run_type == "text":
        content = item.get("text") or {}
        text = content.get("content") if isinstance(content, dict) else None
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise MalformedObjectError(f"{where} plain_text must be a string, got {type(text).__name__}")

    href = item.get("href")
    return RichText(
        plain_text=text,
        type=str(run_type),
        href=href if isinstance(href, str) and href else None,
        bold=bool(annotations.get("bold")),
        italic=bool(annotations.get("italic")),
        strikethrough=bool(annotations.get("strikethrough")),
        code=bool(annotations.get("code")),
        expression=expression if isinstance(expression, str) else None,
    )


def parse_page(raw: Any) -> PageObject:
    """Parse a page object (from retrieve, search or a data source query)."""
    if not isinstance(raw, dict) or raw.get("object", "page") != "page":
        raise MalformedObjectError(f"expected a page object, got {_describe(raw)}")
    page_id = raw.get("id")
    if not isinstance(page_id, str) or not page_id:
        raise MalformedObjectError("page object has no id")

    parent = raw.get("parent") if isinstance(raw.get("parent"), dict) else {}
    parent_type = str(parent.get("type") or "")
    parent_id = parent.get(parent_type) if parent_type not in ("workspace", "") else None
    data_source_id = parent.get("data_source_id") if parent_type == "data_source_id" else None

    raw_properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    title = ""
    properties = []
    for name, value in raw_properties.items():
        if not isinstance(value, dict):
            continue
        if value.get("type") == "title":
            title = plain_text(parse_rich_text(value.get("title"), f"property {name!r}"))
            continue
        properties.append(parse_property(str(name), value))

    return PageObject(
        id=page_id,
        url=str(raw.get("url") or ""),
        title=title.strip(),
        created_time=str(raw.get("created_time") or ""),
        last_edited_time=str(raw.get("last_edited_time") or ""),
        in_trash=bool(raw.get("in_trash") or raw.get("archived")),
        parent_type=parent_type,
        parent_id=parent_id if isinstance(parent_id, str) else None,
        data_source_id=data_source_id if isinstance(data_source_id, str) else None,
        properties=tuple(properties),
    )


def parse_property(name: str, value: dict[str, Any]) -> PropertyValue:
    """Reduce one page property value to display text; unsupported types get empty text."""
    property_type = str(value.get("type") or "")
    content = value.get(property_type)
    try:
        text = _property_text(property_type, content)
    except (AttributeError, TypeError, MalformedObjectError):
        # A malformed property must not cost the page its content, only this one value.
        text = ""
    return PropertyValue(name=name, type=property_type, text=text.strip())


def _property_text(property_type: str, content: Any) -> str:
    if content is None:
        return ""
    if property_type == "rich_text":
        return plain_text(parse_rich_text(content))
    if property_type in ("select", "status"):
        return str(content.get("name") or "")
    if property_type == "multi_select":
        return ", ".join(str(option.get("name")) for option in content if option.get("name"))
    if property_type == "date":
        return _date_text(content)
    if property_type == "people":
        return ", ".join(str(person.get("name")) for person in content if person.get("name"))
    if property_type in ("url", "email", "phone_number"):
        return str(content)
    if property_type == "number":
        return _number_text(content)
    if property_type == "checkbox":
        return "Yes" if content else "No"
    if property_type == "formula":
        return _formula_text(content)
    return ""


def _date_text(content: dict[str, Any]) -> str:
    start = content.get("start") or ""
    end = content.get("end")
    return f"{start} → {end}" if end else str(start)


def _number_text(content: Any) -> str:
    if isinstance(content, bool) or not isinstance(content, int | float):
        return ""
    if isinstance(content, float) and content.is_integer():
        return str(int(content))
    return str(content)


def _formula_text(content: dict[str, Any]) -> str:
    result_type = content.get("type")
    result = content.get(result_type)
    if result_type == "boolean":
        return "Yes" if result else "No"
    if result_type == "number":
        return _number_text(result)
    if result_type == "date" and isinstance(result, dict):
        return _date_text(result)
    return str(result) if isinstance(result, str) else ""


def parse_block(raw: Any) -> Block:
    """Parse a block without its children; raise ``MalformedObjectError`` on a bad shape."""
    if not isinstance(raw, dict):
        raise MalformedObjectError(f"expected a block object, got {_describe(raw)}")
    block_id = raw.get("id")
    if not isinstance(block_id, str) or not block_id:
        raise MalformedObjectError("block has no id")
    block_type = raw.get("type")
    if not isinstance(block_type, str) or not block_type:
        raise MalformedObjectError(f"block {block_id} has no type")
    payload = raw.get(block_type)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise MalformedObjectError(
            f"block {block_id} of type {block_type} has a {type(payload).__name__} "
            "where its type object belongs"
        )
    if block_type not in _TYPES_WITHOUT_PAYLOAD and block_type not in raw:
        raise MalformedObjectError(f"block {block_id} of type {block_type} has no {block_type} object")

    rich_text = parse_rich_text(payload.get("rich_text"), f"block {block_id} rich_text")
    caption = parse_rich_text(payload.get("caption"), f"block {block_id} caption")
    cells: tuple[tuple[RichText, ...], ...] = ()
    if block_type == "table_row":
        raw_cells = payload.get("cells") or []
        if not isinstance(raw_cells, list):
            raise MalformedObjectError(f"block {block_id} table_row cells must be a list")
        cells = tuple(
            parse_rich_text(cell, f"block {block_id} cell {index}")
            for index, cell in enumerate(raw_cells)
        )

    return Block(
        id=block_id,
        type=block_type,
        has_children=bool(raw.get("has_children")),
        payload=payload,
        rich_text=rich_text,
        caption=caption,
        cells=cells,
    )


# The API sends these types with an empty or missing type object; they still parse.
_TYPES_WITHOUT_PAYLOAD = frozenset({"unsupported", "divider", "breadcrumb", "column_list"})


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"object {value.get('object')!r}"
    return type(value).__name__
