"""The in-memory workspace behind the local Notion server: loading, reads with Notion's rules, mutations.

Rules this store follows (checked against developers.notion.com, API version 2025-09-03):

- Sharing is inherited. An object is hidden (404 on every endpoint, absent from search and
  queries) when it, or any page, block, database or data source above it, is listed as
  unshared. The same rule applies to ``restricted`` ids, which return 403 instead.
- Trash is inherited the same way. ``GET /v1/pages/{id}`` still returns a trashed page, with
  ``in_trash`` (and its deprecated alias ``archived``) set to true, and its blocks can still be
  listed. Search and data source queries leave trashed pages out.
- Deleted blocks (``in_trash: true``) are left out of their parent's children.
- ``last_edited_time`` is always rounded down to the minute, including timestamps passed to
  mutations and timestamps read from the workspace files.
- List cursors are the id of the first item of the next page, as Notion's are; a cursor whose
  item has left the list is rejected with 400 validation_error.

Block files are parsed on first use, so a large workspace starts in seconds. Clients walk
block trees from the page down, which reads each parent's file before its children are asked
for; looking up any block id not seen yet parses every remaining file first.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from notion_pipeline.notion import builders

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100

# Block types that Notion's API cannot read: asking for their children returns 400.
UNSUPPORTED_CHILDREN_BLOCK_TYPES = frozenset({"ai_block", "external_object_instance_page"})

_TIMESTAMP_OPERATORS = ("equals", "before", "after", "on_or_before", "on_or_after")


class ApiError(Exception):
    """An error response of the Notion API: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")


def validation_error(message: str) -> ApiError:
    """Build a 400 validation_error."""
    return ApiError(400, "validation_error", message)


def object_not_found(kind: str, object_id: str) -> ApiError:
    """Build a 404 object_not_found worded like Notion's."""
    return ApiError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        "databases are shared with your integration.",
    )


def restricted_resource(kind: str, object_id: str) -> ApiError:
    """Build a 403 restricted_resource."""
    return ApiError(
        403,
        "restricted_resource",
        f"Insufficient permissions to read {kind} {object_id}: grant the integration read "
        "content capabilities for it.",
    )


class DuplicateIdError(ValueError):
    """A mutation tried to add an object whose id is already in the workspace."""


@dataclass(frozen=True)
class ListPage:
    """One page of a paginated list response."""

    results: list[dict]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class TimestampCondition:
    """One ``timestamp`` filter of a data source query, e.g. last_edited_time on_or_after X."""

    timestamp: str
    operator: str
    value: datetime

    def matches(self, item: dict) -> bool:
        moment = builders.parse_timestamp(item[self.timestamp])
        # Notion's timestamp filters compare at the precision it stores (minutes for edits).
        if self.operator == "equals":
            return moment == self.value
        if self.operator == "before":
            return moment < self.value
        if self.operator == "after":
            return moment > self.value
        if self.operator == "on_or_before":
            return moment <= self.value
        return moment >= self.value


class WorkspaceStore:
    """Pages, blocks, databases and data sources held in memory. Every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.pages: dict[str, dict] = {}
        self.blocks: dict[str, dict] = {}
        self.databases: dict[str, dict] = {}
        self.data_sources: dict[str, dict] = {}
        self.children: dict[str, list[str]] = {}
        self.block_parents: dict[str, str] = {}
        self.rows_by_data_source: dict[str, list[str]] = {}
        self.unshared: set[str] = set()
        self.restricted: set[str] = set()
        # Block files not parsed yet, by parent id.
        self._pending_block_files: dict[str, Path] = {}
        # Bumped by every mutation so cached search orders are rebuilt.
        self._version = 0
        self._search_cache: dict[tuple, list[str]] = {}

    # Loading

    @classmethod
    def load(cls, directory: Path) -> WorkspaceStore:
        """Read a workspace directory (pages/, blocks/, databases/, data_sources/, workspace.json)."""
        if not directory.is_dir():
            raise FileNotFoundError(
                f"Workspace directory {directory} not found: pass a directory with pages/ and "
                "blocks/ folders, e.g. one written by notion_pipeline.notion.generator."
            )
        store = cls()
        for path in sorted((directory / "pages").glob("*.json")):
            store._add_loaded_page(_read_json(path))
        for path in sorted((directory / "databases").glob("*.json")):
            database = _read_json(path)
            store.databases[_require_id(database, path)] = database
        for path in sorted((directory / "data_sources").glob("*.json")):
            data_source = _read_json(path)
            store.data_sources[_require_id(data_source, path)] = data_source
        for path in sorted((directory / "blocks").glob("*.json")):
            parent_id = builders.normalize_id(path.stem)
            if parent_id is None:
                raise ValueError(f"Block file {path} must be named <parent id>.json.")
            store._pending_block_files[parent_id] = path

        control_path = directory / "workspace.json"
        if control_path.exists():
            control = _read_json(control_path)
            store.unshared = {_normalize_or_raise(value, control_path) for value in control.get("unshared", [])}
            store.restricted = {
                _normalize_or_raise(value, control_path) for value in control.get("restricted", [])
            }
        logger.info(
            "Loaded workspace %s: %d pages, %d blocks, %d databases, %d data sources",
            directory, len(store.pages), len(store.blocks), len(store.databases), len(store.data_sources),
        )
        logger.info("Block files of %s are parsed on first use (%d files)", directory,
                    len(store._pending_block_files))
        return store

    def _load_children(self, parent_id: str) -> None:
        """Parse the block file of ``parent_id`` if it has one that is not parsed yet."""
        path = self._pending_block_files.pop(parent_id, None)
        if path is None:
            return
        blocks = _read_json(path)
        if not isinstance(blocks, list):
            raise ValueError(f"Block file {path} must contain a JSON array of blocks.")
        self._add_loaded_children(parent_id, blocks, path)

    def _load_all_children(self) -> None:
        for parent_id in list(self._pending_block_files):
            self._load_children(parent_id)

    def _is_known(self, object_id: str) -> bool:
        """Check whether the id is stored, parsing every pending block file before returning False."""
        known = (
            object_id in self.pages
            or object_id in self.blocks
            or object_id in self.data_sources
            or object_id in self.databases
        )
        if not known and self._pending_block_files:
            self._load_all_children()
            known = object_id in self.blocks
        return known

    def load_all(self) -> None:
        """Parse every block file now, e.g. to count blocks or to fail early on a broken file."""
        with self._lock:
            self._load_all_children()

    def _add_loaded_page(self, page: dict) -> None:
        page_id = _require_id(page, "page")
        page["id"] = page_id
        page["created_time"] = builders.format_timestamp(builders.parse_timestamp(page["created_time"]))
        page["last_edited_time"] = builders.normalize_edited_timestamp(page["last_edited_time"])
        self.pages[page_id] = page
        parent = page.get("parent", {})
        if parent.get("type") == "data_source_id":
            data_source_id = builders.normalize_id(parent["data_source_id"])
            self.rows_by_data_source.setdefault(data_source_id, []).append(page_id)

    def _add_loaded_children(self, parent_id: str, blocks: list[dict], path: Path) -> None:
        child_ids = []
        for child in blocks:
            block_id = _require_id(child, path)
            child["id"] = block_id
            child["last_edited_time"] = builders.normalize_edited_timestamp(child["last_edited_time"])
            self.blocks[block_id] = child
            self.block_parents[block_id] = parent_id
            child_ids.append(block_id)
        self.children[parent_id] = child_ids

    # Access rules

    def _parent_id(self, object_id: str) -> str | None:
        if not self._is_known(object_id):
            return None
        if object_id in self.pages:
            return _parent_reference(self.pages[object_id].get("parent", {}))
        if object_id in self.blocks:
            return self.block_parents.get(object_id)
        if object_id in self.data_sources:
            return _parent_reference(self.data_sources[object_id].get("parent", {}))
        if object_id in self.databases:
            return _parent_reference(self.databases[object_id].get("parent", {}))
        return None

    def _lineage(self, object_id: str) -> Iterator[str]:
        """Yield the object's id and the ids of everything above it, nearest first."""
        seen: set[str] = set()
        current: str | None = object_id
        while current is not None and current not in seen:
            seen.add(current)
            yield current
            current = self._parent_id(current)

    def _check_access(self, kind: str, object_id: str) -> None:
        for ancestor in self._lineage(object_id):
            if ancestor in self.unshared:
                raise object_not_found(kind, object_id)
            if ancestor in self.restricted:
                raise restricted_resource(kind, object_id)

    def _is_visible(self, object_id: str) -> bool:
        return not any(
            ancestor in self.unshared or ancestor in self.restricted
            for ancestor in self._lineage(object_id)
        )

    def _is_trashed(self, object_id: str) -> bool:
        for ancestor in self._lineage(object_id):
            stored = (
                self.pages.get(ancestor)
                or self.blocks.get(ancestor)
                or self.databases.get(ancestor)
                or self.data_sources.get(ancestor)
            )
            if stored is not None and stored.get("in_trash"):
                return True
        return False

    def _page_view(self, page_id: str) -> dict:
        page = copy.deepcopy(self.pages[page_id])
        trashed = self._is_trashed(page_id)
        page["in_trash"] = trashed
        page["archived"] = trashed
        return page

    # Reads

    def get_page(self, page_id: str) -> dict:
        """Return a page, trashed or not; raise 404 when unknown or unshared."""
        with self._lock:
            if page_id not in self.pages:
                raise object_not_found("page", page_id)
            self._check_access("page", page_id)
            return self._page_view(page_id)

    def get_block(self, block_id: str) -> dict:
        """Return a block; a page id returns the page's ``child_page`` block, as Notion does."""
        with self._lock:
            if block_id not in self.pages:
                self._is_known(block_id)
            if block_id in self.blocks:
                self._check_access("block", block_id)
                return copy.deepcopy(self.blocks[block_id])
            if block_id in self.pages:
                self._check_access("block", block_id)
                return self._page_as_block(block_id)
            raise object_not_found("block", block_id)

    def _page_as_block(self, page_id: str) -> dict:
        page = self.pages[page_id]
        return {
            "object": "block",
            "id": page_id,
            "parent": page.get("parent"),
            "created_time": page["created_time"],
            "last_edited_time": page["last_edited_time"],
            "created_by": page.get("created_by"),
            "last_edited_by": page.get("last_edited_by"),
            "has_children": bool(self._child_ids(page_id)),
            "archived": self._is_trashed(page_id),
            "in_trash": self._is_trashed(page_id),
            "type": "child_page",
            "child_page": {"title": builders.page_title(page)},
        }

    def list_children(self, parent_id: str, start_cursor: str | None, page_size: int) -> ListPage:
        """List the children of a page or block, following reference synced blocks."""
        with self._lock:
            if parent_id not in self.pages and not self._is_known(parent_id):
                raise object_not_found("block", parent_id)
            self._check_access("block", parent_id)

            source_id = parent_id
            parent_block = self.blocks.get(parent_id)
            if parent_block is not None:
                block_type = parent_block.get("type")
                if block_type in UNSUPPORTED_CHILDREN_BLOCK_TYPES and parent_block.get("has_children"):
                    raise validation_error(f"Block type {block_type} is not supported via the API.")
                if block_type == "synced_block":
                    synced_from = (parent_block.get("synced_block") or {}).get("synced_from")
                    if synced_from:
                        source_id = builders.normalize_id(synced_from.get("block_id", "")) or ""
                        if not self._is_known(source_id) or source_id not in self.blocks:
                            raise object_not_found("block", synced_from.get("block_id", ""))
                        self._check_access("block", source_id)

            child_ids = [
                child_id
                for child_id in self._child_ids(source_id)
                if not self.blocks[child_id].get("in_trash")
            ]
            return self._paginate(child_ids, start_cursor, page_size, lambda i: copy.deepcopy(self.blocks[i]))

    def _child_ids(self, parent_id: str) -> list[str]:
        """Return the stored child ids of a page or block (trashed ones included), parsing its file."""
        self._load_children(parent_id)
        return self.children.get(parent_id, [])

    def get_database(self, database_id: str) -> dict:
        """Return a database; raise 404 when unknown or unshared."""
        with self._lock:
            if database_id not in self.databases:
                raise object_not_found("database", database_id)
            self._check_access("database", database_id)
            return copy.deepcopy(self.databases[database_id])

    def get_data_source(self, data_source_id: str) -> dict:
        """Return a data source; raise 404 when unknown or unshared."""
        with self._lock:
            if data_source_id not in self.data_sources:
                raise object_not_found("data source", data_source_id)
            self._check_access("data source", data_source_id)
            return copy.deepcopy(self.data_sources[data_source_id])

    def search(
        self,
        query: str,
        object_type: str | None,
        direction: str,
        start_cursor: str | None,
        page_size: int,
    ) -> ListPage:
        """Search shared, untrashed pages and data sources whose title contains ``query``.

        Results are ordered by ``last_edited_time`` in ``direction``, ties broken by id.
        """
        with self._lock:
            key = (self._version, query.casefold(), object_type, direction)
            ordered = self._search_cache.get(key)
            if ordered is None:
                ordered = self._search_order(query.casefold(), object_type, direction)
                self._search_cache = {key: ordered}
            return self._paginate(ordered, start_cursor, page_size, self._search_result)

    def _search_order(self, needle: str, object_type: str | None, direction: str) -> list[str]:
        candidates: list[tuple[str, str]] = []
        if object_type in (None, "page"):
            for page_id, page in self.pages.items():
                if needle in builders.page_title(page).casefold():
                    candidates.append((page["last_edited_time"], page_id))
        if object_type in (None, "data_source"):
            for data_source_id, data_source in self.data_sources.items():
                if needle in builders.plain_text(data_source.get("title", [])).casefold():
                    candidates.append((data_source["last_edited_time"], data_source_id))
        candidates = [
            (edited, object_id)
            for edited, object_id in candidates
            if self._is_visible(object_id) and not self._is_trashed(object_id)
        ]
        # Timestamps share one format (normalized on load and on write), so strings sort as times.
        candidates.sort(reverse=direction == "descending")
        return [object_id for _, object_id in candidates]

    def _search_result(self, object_id: str) -> dict:
        if object_id in self.pages:
            return self._page_view(object_id)
        return copy.deepcopy(self.data_sources[object_id])

    def query_data_source(
        self,
        data_source_id: str,
        conditions: list[TimestampCondition],
        sort_keys: list[tuple[str, str]],
        start_cursor: str | None,
        page_size: int,
    ) -> ListPage:
        """List the shared, untrashed rows of a data source that match every condition.

        ``sort_keys`` are ``(timestamp, direction)`` pairs, first key first; without any, rows
        come newest ``created_time`` first.
        """
        with self._lock:
            if data_source_id not in self.data_sources:
                raise object_not_found("data source", data_source_id)
            self._check_access("data source", data_source_id)

            rows = [
                self.pages[row_id]
                for row_id in self.rows_by_data_source.get(data_source_id, [])
                if self._is_visible(row_id) and not self._is_trashed(row_id)
            ]
            rows = [row for row in rows if all(condition.matches(row) for condition in conditions)]
            rows.sort(key=lambda row: row["id"])
            for timestamp, direction in reversed(sort_keys or [("created_time", "descending")]):
                rows.sort(key=lambda row: row[timestamp], reverse=direction == "descending")
            ordered = [row["id"] for row in rows]
            return self._paginate(ordered, start_cursor, page_size, self._page_view)

    def _paginate(
        self,
        ordered_ids: list[str],
        start_cursor: str | None,
        page_size: int,
        render: Callable[[str], dict],
    ) -> ListPage:
        start = 0
        if start_cursor is not None:
            cursor_id = builders.normalize_id(start_cursor)
            try:
                start = ordered_ids.index(cursor_id) if cursor_id else -1
            except ValueError:
                start = -1
            if start < 0:
                raise validation_error(
                    f"start_cursor {start_cursor!r} is not a valid cursor for this list: pass the "
                    "next_cursor of the previous response, or no start_cursor to start over."
                )
        window = ordered_ids[start : start + page_size]
        has_more = start + page_size < len(ordered_ids)
        next_cursor = ordered_ids[start + page_size] if has_more else None
        return ListPage([render(object_id) for object_id in window], next_cursor, has_more)

    def counts(self) -> dict[str, int]:
        """Count the stored objects by kind; parses every block file first."""
        with self._lock:
            self._load_all_children()
            return {
                "pages": len(self.pages),
                "blocks": len(self.blocks),
                "databases": len(self.databases),
                "data_sources": len(self.data_sources),
                "unshared": len(self.unshared),
            }

    # Mutations

    def _changed(self) -> None:
        self._version += 1
        self._search_cache = {}

    def _containing_page(self, object_id: str) -> str | None:
        current: str | None = object_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if current in self.pages:
                return current
            self._is_known(current)
            current = self.block_parents.get(current)
        return None

    def _stamp_page(self, page_id: str | None, stamp: str) -> None:
        if page_id is not None and page_id in self.pages:
            self.pages[page_id]["last_edited_time"] = stamp

    def edit_block_text(self, block_id: str, text: str, when: datetime | None = None) -> None:
        """Replace a block's rich text with ``text`` and stamp the block and its page."""
        with self._lock:
            stored = self._require_block(block_id)
            block_type = stored["type"]
            if block_type not in builders.RICH_TEXT_BLOCK_TYPES:
                raise ValueError(
                    f"Block {block_id} is a {block_type} block, which has no rich text to edit; "
                    f"pick a block of type {', '.join(sorted(builders.RICH_TEXT_BLOCK_TYPES))}."
                )
            stamp = builders.edited_timestamp(when)
            stored[block_type]["rich_text"] = builders.rich_text_items(text)
            stored["last_edited_time"] = stamp
            self._stamp_page(self._containing_page(block_id), stamp)
            self._changed()
            logger.debug("Edited text of block %s at %s", block_id, stamp)

    def append_blocks(self, parent_id: str, partial_blocks: list[dict], when: datetime | None = None) -> list[str]:
        """Append partial blocks (see ``builders``) under a page or block; return their ids."""
        with self._lock:
            parent_is_page = parent_id in self.pages
            if not parent_is_page and not self._is_known(parent_id):
                raise KeyError(f"No page or block with id {parent_id} in the workspace.")
            stamp = builders.edited_timestamp(when)
            top_level_ids = self._insert_blocks(parent_id, parent_is_page, partial_blocks, stamp)
            if not parent_is_page:
                self.blocks[parent_id]["has_children"] = True
            self._stamp_page(self._containing_page(parent_id), stamp)
            self._changed()
            logger.debug("Appended %d blocks to %s at %s", len(top_level_ids), parent_id, stamp)
            return top_level_ids

    def _insert_blocks(self, parent_id: str, parent_is_page: bool, partial_blocks: list[dict], stamp: str) -> list[str]:
        groups = builders.materialize_blocks(
            partial_blocks,
            parent_id,
            parent_is_page=parent_is_page,
            created_time=stamp,
            last_edited_time=stamp,
            new_id=lambda: str(uuid.uuid4()),
        )
        self._load_children(parent_id)
        for group_parent, full_blocks in groups:
            for full_block in full_blocks:
                # Ids made here are random UUIDs; only ids the caller chose can collide.
                if full_block["id"] in self.blocks or full_block["id"] in self.pages:
                    raise DuplicateIdError(f"Block id {full_block['id']} is already in the workspace.")
        for group_parent, full_blocks in groups:
            for full_block in full_blocks:
                self.blocks[full_block["id"]] = full_block
                self.block_parents[full_block["id"]] = group_parent
            self.children.setdefault(group_parent, []).extend(b["id"] for b in full_blocks)
        return [full_block["id"] for full_block in groups[0][1]]

    def delete_block(self, block_id: str, when: datetime | None = None) -> None:
        """Move a block to the trash, as ``DELETE /v1/blocks/{id}`` does, and stamp its page."""
        with self._lock:
            stored = self._require_block(block_id)
            stamp = builders.edited_timestamp(when)
            stored["in_trash"] = True
            stored["archived"] = True
            stored["last_edited_time"] = stamp
            parent_id = self.block_parents.get(block_id)
            parent_block = self.blocks.get(parent_id or "")
            if parent_block is not None:
                parent_block["has_children"] = any(
                    not self.blocks[child_id].get("in_trash") for child_id in self._child_ids(parent_id)
                )
            self._stamp_page(self._containing_page(block_id), stamp)
            self._changed()

    def add_page(
        self,
        title: str,
        partial_blocks: list[dict] | None = None,
        *,
        parent_page_id: str | None = None,
        data_source_id: str | None = None,
        page_id: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """Create a page (top level, under a page, or as a data source row) and return its id."""
        with self._lock:
            if parent_page_id and data_source_id:
                raise ValueError("A page has one parent: pass parent_page_id or data_source_id, not both.")
            new_page_id = page_id or str(uuid.uuid4())
            if page_id is not None and self._is_known(new_page_id):
                raise DuplicateIdError(f"Page id {new_page_id} is already in the workspace: pick another id.")
            stamp = builders.edited_timestamp(when)
            title_name = "title"
            if parent_page_id:
                self._require_page(parent_page_id)
                parent = builders.page_parent(parent_page_id)
            elif data_source_id:
                data_source = self.data_sources.get(data_source_id)
                if data_source is None:
                    raise KeyError(f"No data source with id {data_source_id} in the workspace.")
                database_id = data_source.get("parent", {}).get("database_id", "")
                parent = builders.data_source_parent(data_source_id, database_id)
                title_name = _title_property_name(data_source)
            else:
                parent = builders.workspace_parent()

            page = builders.page_object(
                new_page_id, title, parent, created_time=stamp, last_edited_time=stamp,
                title_property_name=title_name,
            )
            self.pages[new_page_id] = page
            self.children.setdefault(new_page_id, [])
            if partial_blocks:
                self._insert_blocks(new_page_id, True, partial_blocks, stamp)
            if parent_page_id:
                link = builders.child_page_block(title)
                link["id"] = new_page_id
                groups = builders.materialize_blocks(
                    [link], parent_page_id, parent_is_page=True, created_time=stamp,
                    last_edited_time=stamp, new_id=lambda: str(uuid.uuid4()),
                )
                # Notion gives the child_page block the same id as the page it links to.
                self._load_children(parent_page_id)
                self.children.setdefault(parent_page_id, []).append(new_page_id)
                self.blocks[new_page_id] = groups[0][1][0]
                self.block_parents[new_page_id] = parent_page_id
                self._stamp_page(parent_page_id, stamp)
            if data_source_id:
                self.rows_by_data_source.setdefault(data_source_id, []).append(new_page_id)
            self._changed()
            logger.debug("Added page %s %r under %s", new_page_id, title, parent)
            return new_page_id

    def set_page_title(self, page_id: str, title: str, when: datetime | None = None) -> None:
        """Rename a page, updating its ``child_page`` block, and stamp it."""
        with self._lock:
            page = self._require_page(page_id)
            stamp = builders.edited_timestamp(when)
            for value in page["properties"].values():
                if value.get("type") == "title":
                    value["title"] = builders.rich_text_items(title)
            page["url"] = builders.page_url(title, page_id)
            page["last_edited_time"] = stamp
            link = self.blocks.get(page_id)
            if link is not None and link.get("type") == "child_page":
                link["child_page"]["title"] = title
                link["last_edited_time"] = stamp
            self._changed()

    def set_page_trashed(self, page_id: str, trashed: bool, when: datetime | None = None) -> None:
        """Move a page to the trash or restore it, and stamp it."""
        with self._lock:
            page = self._require_page(page_id)
            page["in_trash"] = trashed
            page["archived"] = trashed
            page["last_edited_time"] = builders.edited_timestamp(when)
            self._changed()

    def set_shared(self, object_id: str, shared: bool) -> None:
        """Share or unshare a page, database or data source (and so everything under it)."""
        with self._lock:
            known = object_id in self.pages or object_id in self.databases or object_id in self.data_sources
            if not known:
                raise KeyError(f"No page, database or data source with id {object_id} in the workspace.")
            if shared:
                self.unshared.discard(object_id)
            else:
                self.unshared.add(object_id)
            self._changed()

    def touch_page(self, page_id: str, when: datetime | None = None) -> None:
        """Set a page's ``last_edited_time`` without changing its content."""
        with self._lock:
            self._require_page(page_id)["last_edited_time"] = builders.edited_timestamp(when)
            self._changed()

    def _require_page(self, page_id: str) -> dict:
        page = self.pages.get(page_id)
        if page is None:
            raise KeyError(f"No page with id {page_id} in the workspace.")
        return page

    def _require_block(self, block_id: str) -> dict:
        self._is_known(block_id)
        stored = self.blocks.get(block_id)
        if stored is None:
            raise KeyError(f"No block with id {block_id} in the workspace.")
        return stored


def parse_timestamp_filter(filter_object: dict) -> list[TimestampCondition]:
    """Parse a data source query filter made of timestamp conditions joined by ``and``.

    Raises a 400 validation_error for property filters and ``or``, which this server does
    not evaluate.
    """
    if not isinstance(filter_object, dict):
        raise validation_error(f"body.filter should be an object, instead was {json.dumps(filter_object)}.")
    if "and" in filter_object:
        conditions: list[TimestampCondition] = []
        for part in filter_object["and"]:
            conditions.extend(parse_timestamp_filter(part))
        return conditions

    timestamp = filter_object.get("timestamp")
    if timestamp not in ("last_edited_time", "created_time"):
        raise validation_error(
            "The local Notion server evaluates only timestamp filters on last_edited_time or "
            f"created_time, optionally joined by 'and'; got {json.dumps(filter_object)}."
        )
    condition = filter_object.get(timestamp)
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(
            f"body.filter.{timestamp} should name one of {', '.join(_TIMESTAMP_OPERATORS)}, "
            f"instead was {json.dumps(condition)}."
        )
    operator, value = next(iter(condition.items()))
    if operator not in _TIMESTAMP_OPERATORS:
        raise validation_error(
            f"body.filter.{timestamp}.{operator} is not supported: use one of "
            f"{', '.join(_TIMESTAMP_OPERATORS)}."
        )
    try:
        moment = builders.parse_timestamp(str(value))
    except ValueError:
        raise validation_error(
            f"body.filter.{timestamp}.{operator} should be an ISO 8601 date, instead was {json.dumps(value)}."
        ) from None
    return [TimestampCondition(timestamp, operator, moment)]


def parse_sorts(sorts: object) -> list[tuple[str, str]]:
    """Parse the ``sorts`` of a data source query; only timestamp sorts are evaluated."""
    if sorts is None:
        return []
    if not isinstance(sorts, list):
        raise validation_error(f"body.sorts should be an array, instead was {json.dumps(sorts)}.")
    keys = []
    for index, sort in enumerate(sorts):
        if not isinstance(sort, dict) or sort.get("timestamp") not in ("last_edited_time", "created_time"):
            raise validation_error(
                f"body.sorts[{index}] should sort on timestamp last_edited_time or created_time "
                f"(the local Notion server does not sort on properties), instead was {json.dumps(sort)}."
            )
        direction = sort.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise validation_error(
                f"body.sorts[{index}].direction should be \"ascending\" or \"descending\", instead "
                f"was {json.dumps(direction)}."
            )
        keys.append((sort["timestamp"], direction))
    return keys


def _parent_reference(parent: dict) -> str | None:
    parent_type = parent.get("type")
    if parent_type in ("page_id", "block_id", "data_source_id", "database_id"):
        return builders.normalize_id(parent.get(parent_type, ""))
    return None


def _title_property_name(data_source: dict) -> str:
    for name, schema in data_source.get("properties", {}).items():
        if schema.get("type") == "title":
            return name
    return "title"


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"Workspace file {path} is not valid JSON: {error}") from None


def _require_id(item: dict, source: object) -> str:
    object_id = builders.normalize_id(str(item.get("id", "")))
    if object_id is None:
        raise ValueError(f"Object in {source} has a missing or invalid id {item.get('id')!r}: use a UUID.")
    return object_id


def _normalize_or_raise(value: str, source: Path) -> str:
    object_id = builders.normalize_id(str(value))
    if object_id is None:
        raise ValueError(f"{source} lists {value!r}, which is not a Notion id (a UUID).")
    return object_id
