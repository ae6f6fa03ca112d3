"""Fetch a page and its whole block tree into typed blocks.

A block that cannot be read is skipped with one warning, and the rest of the page is still
fetched. Such blocks are: children the API rejects, a synced original that is gone, a
malformed block, a synced-block cycle and a tree nested too deep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from notion_pipeline.errors import NotionRequestError, PageGoneError
from notion_pipeline.notion.client import NotionClient, NotionNotFoundError
from notion_pipeline.notion.models import (
    Block,
    MalformedObjectError,
    PageObject,
    parse_block,
    parse_page,
)

logger = logging.getLogger(__name__)

# Children of these blocks are separate pages or databases, indexed on their own.
NOT_DESCENDED_TYPES = frozenset({"child_page", "child_database"})


@dataclass(frozen=True)
class FetchedPage:
    """A page, its block tree in reading order, and warnings about blocks that were skipped."""

    page: PageObject
    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)


def fetch_page(
    client: NotionClient,
    page_id: str,
    *,
    page: PageObject | None = None,
    max_depth: int = 30,
    max_blocks: int = 50_000,
) -> FetchedPage:
    """Fetch a page and its block tree; raise ``PageGoneError`` if it is trashed or gone.

    ``page`` is the page object a listing already returned. Passing it saves the request that
    retrieves the page, a third of the requests of a typical page under Notion's rate limit.
    """
    if page is None or page.id != page_id:
        page = parse_page(client.retrieve_page(page_id))
    if page.in_trash:
        raise PageGoneError(page_id, "in trash")

    fetcher = _TreeFetcher(client, page_id, max_depth=max_depth, max_blocks=max_blocks)
    try:
        blocks = fetcher.fetch_children(page_id, depth=0, ancestors=frozenset({page_id}))
    except NotionNotFoundError:
        raise PageGoneError(page_id, "not found or not shared with the integration") from None
    logger.debug(
        "Fetched page %s %r: %s blocks, %s warnings",
        page_id, page.title, fetcher.block_count, len(fetcher.warnings),
    )
    return FetchedPage(page=page, blocks=blocks, warnings=fetcher.warnings)


class _TreeFetcher:
    """Walk one page's block tree depth first, keeping count and warnings."""

    def __init__(self, client: NotionClient, page_id: str, *, max_depth: int, max_blocks: int):
        self.client = client
        self.page_id = page_id
        self.max_depth = max_depth
        self.max_blocks = max_blocks
        self.block_count = 0
        self.warnings: list[str] = []
        self._truncated = False

    def warn(self, message: str) -> None:
        logger.warning(message)
        self.warnings.append(message)

    def fetch_children(self, parent_id: str, *, depth: int, ancestors: frozenset[str]) -> list[Block]:
        """Fetch and parse a block's children, then descend into each child."""
        blocks: list[Block] = []
        if self._truncated:
            return blocks
        for raw in self.client.iter_block_children(parent_id):
            if self.block_count >= self.max_blocks:
                if not self._truncated:
                    self._truncated = True
                    self.warn(
                        f"Page {self.page_id} has more than {self.max_blocks} blocks; "
                        "the rest of the page is skipped (raise max_blocks to index it)."
                    )
                break
            block = self._parse(raw, parent_id)
            if block is None:
                continue
            self.block_count += 1
            blocks.append(self._with_children(block, depth=depth, ancestors=ancestors))
        return blocks

    def _parse(self, raw: Any, parent_id: str) -> Block | None:
        try:
            block = parse_block(raw)
        except MalformedObjectError as error:
            self.warn(
                f"Skipped a malformed block under {parent_id} on page {self.page_id}: {error}"
            )
            return None
        if isinstance(raw, dict) and (raw.get("in_trash") or raw.get("archived")):
            return None
        return block

    def _with_children(self, block: Block, *, depth: int, ancestors: frozenset[str]) -> Block:
        source_id = self._children_source(block)
        if source_id is None:
            return block

        if source_id in ancestors:
            self.warn(
                f"Skipped the children of {block.type} block {block.id} on page {self.page_id}: "
                f"block {source_id} contains itself through synced blocks."
            )
            return block
        if depth + 1 > self.max_depth:
            self.warn(
                f"Skipped the children of {block.type} block {block.id} on page {self.page_id}: "
                f"they are nested deeper than {self.max_depth} levels."
            )
            return block

        try:
            children = self.fetch_children(
                source_id, depth=depth + 1, ancestors=ancestors | {block.id, source_id}
            )
        except NotionNotFoundError:
            self.warn(
                f"Skipped the children of {block.type} block {block.id} on page {self.page_id}: "
                f"Notion returned 404 for block {source_id} (deleted or not shared)."
            )
            return block
        except NotionRequestError as error:
            # Notion returns 400 for blocks whose children it does not expose (ai_block,
            # external_object_instance_page), but the block's own text still renders.
            self.warn(
                f"Skipped the children of {block.type} block {block.id} on page {self.page_id}: "
                f"{error}"
            )
            return block
        return replace(block, children=tuple(children))

    def _children_source(self, block: Block) -> str | None:
        """Return the id whose children hold this block's content, or None to not descend."""
        if block.type in NOT_DESCENDED_TYPES:
            return None
        if block.type == "synced_block":
            synced_from = block.payload.get("synced_from")
            if isinstance(synced_from, dict):
                original_id = synced_from.get("block_id")
                if isinstance(original_id, str) and original_id:
                    # A reference copy has no children of its own; its content lives under
                    # the original block, which may sit on another page.
                    return original_id
                self.warn(
                    f"Skipped synced block {block.id} on page {self.page_id}: its synced_from "
                    "has no block_id."
                )
                return None
        return block.id if block.has_children else None
