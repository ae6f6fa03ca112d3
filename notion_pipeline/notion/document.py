"""The rendered form of a Notion page: Markdown sections that remember their source blocks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """One rendered block (with its nested children when they render as one unit).

    ``kind`` is the Notion block type that produced the text (``paragraph``, ``table``,
    ``code``, ``heading_2`` …) or ``properties`` for the page's property summary.
    ``heading_path`` lists the headings above the section, outermost first.
    ``block_ids`` names every block whose text is part of ``markdown``.
    """

    markdown: str
    kind: str
    heading_path: tuple[str, ...]
    block_ids: tuple[str, ...]

    @property
    def is_heading(self) -> bool:
        return self.kind.startswith("heading_")


@dataclass(frozen=True)
class RenderedDocument:
    """A page rendered for indexing.

    ``last_edited_time`` is the page's ISO 8601 timestamp as Notion reports it (rounded down
    to the minute). ``sections`` are in reading order.
    """

    workspace_id: str
    page_id: str
    title: str
    url: str
    last_edited_time: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def markdown(self) -> str:
        """Join the sections into one Markdown document headed by the page title."""
        parts = [f"# {self.title}"] if self.title else []
        parts.extend(section.markdown for section in self.sections if section.markdown)
        return "\n\n".join(parts)

    @property
    def content_hash(self) -> str:
        """Hash the title, url and section text, so any visible change changes the hash."""
        digest = hashlib.sha256()
        digest.update(self.title.encode("utf-8"))
        digest.update(b"\x00")
        digest.update(self.url.encode("utf-8"))
        for section in self.sections:
            digest.update(b"\x00")
            digest.update(section.markdown.encode("utf-8"))
            digest.update(b"\x01")
            digest.update("\x1f".join(section.heading_path).encode("utf-8"))
        return digest.hexdigest()
