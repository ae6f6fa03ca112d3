"""Builders of rendered documents for the indexing tests."""

from __future__ import annotations

import random

from notion_pipeline.notion.document import RenderedDocument, Section

VOCABULARY = (
    "account budget calendar deadline engineer feedback gateway hardware invoice journal "
    "kitchen library meeting network office printer quarter review schedule ticket update "
    "vendor warehouse backup cluster database export folder guideline handbook incident "
    "laptop migration onboarding password payroll release roadmap security storage survey "
    "template training travel upgrade warranty workflow archive badge contract desk"
).split()


def paragraph(seed: int, words: int = 110) -> str:
    """Return a deterministic paragraph of ordinary words, different for each seed."""
    generator = random.Random(seed)
    picked = [generator.choice(VOCABULARY) for _ in range(words)]
    sentences = [" ".join(picked[start : start + 11]) for start in range(0, words, 11)]
    return ". ".join(sentence.capitalize() for sentence in sentences) + "."


def make_document(
    sections: list[Section],
    *,
    workspace_id: str = "acme",
    page_id: str = "page-1",
    title: str = "Handbook",
    last_edited_time: str = "2025-01-01T10:00:00.000Z",
) -> RenderedDocument:
    return RenderedDocument(
        workspace_id=workspace_id,
        page_id=page_id,
        title=title,
        url=f"https://www.notion.so/{page_id}",
        last_edited_time=last_edited_time,
        sections=tuple(sections),
    )


def topic_sections(count: int, seed_offset: int = 0) -> list[Section]:
    """Return ``count`` headed topics, each a heading and one paragraph that fills a chunk."""
    sections: list[Section] = []
    for index in range(count):
        heading = f"Topic {index}"
        sections.append(Section(f"## {heading}", "heading_2", (), (f"h-{index}",)))
        sections.append(
            Section(paragraph(index + seed_offset), "paragraph", (heading,), (f"p-{index}",))
        )
    return sections
