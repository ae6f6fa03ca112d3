from __future__ import annotations

import pytest

from notion_pipeline.errors import ConfigurationError
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.notion.document import Section

from .helpers import make_document, paragraph, topic_sections

TABLE_HEADER = "| Name | Owner | Notes |\n| --- | --- | --- |"


def table(rows: int) -> str:
    lines = [f"| service {i} | team {i % 7} | runs nightly backups of region {i} |" for i in range(rows)]
    return TABLE_HEADER + "\n" + "\n".join(lines)


def code(lines: int) -> str:
    body = "\n".join(f"result_{i} = transform(records[{i}], mode='fast')" for i in range(lines))
    return f"```python\n{body}\n```"


OVERSIZED_SECTIONS = {
    "long_paragraph": Section(paragraph(1, words=1500), "paragraph", ("Intro",), ("p",)),
    "long_table": Section(table(150), "table", ("Data",), ("t",)),
    "long_code": Section(code(200), "code", ("Code",), ("c",)),
    "cjk_text": Section("東京都の会議室を予約する手順について説明します。" * 120, "paragraph", (), ("j",)),
    "no_whitespace": Section("token-" * 900, "paragraph", (), ("n",)),
    "long_code_line": Section("```\n" + "call(" * 700 + "\n```", "code", (), ("l",)),
    "long_title_path": Section(paragraph(2), "paragraph", ("Heading " * 150,), ("h",)),
}


def model_length(embedder, text: str) -> int:
    """Count the tokens the model reads, special tokens included."""
    return len(embedder.tokenizer(text, verbose=False)["input_ids"])


@pytest.mark.parametrize("case", sorted(OVERSIZED_SECTIONS))
def test_chunk_fits_model_limit(case, chunker, embedder):
    document = make_document([OVERSIZED_SECTIONS[case]], title="Title " * 40)
    chunks = chunker.chunk(document)
    for chunk in chunks:
        assert model_length(embedder, chunk.text) <= embedder.model.max_seq_length


@pytest.mark.parametrize("case", sorted(OVERSIZED_SECTIONS))
def test_chunk_within_max_tokens(case, chunker):
    chunks = chunker.chunk(make_document([OVERSIZED_SECTIONS[case]]))
    for chunk in chunks:
        assert chunker.count_tokens(chunk.text) <= chunker.max_tokens


def test_context_line_truncated(chunker):
    section = Section("Short body.", "paragraph", ("Heading " * 150,), ("h",))
    chunk = chunker.chunk(make_document([section]))[0]
    assert chunk.text.endswith(" …\nShort body.")


def test_chunk_deterministic(chunker):
    sections = topic_sections(6) + list(OVERSIZED_SECTIONS.values())
    first = chunker.chunk(make_document(sections))
    second = chunker.chunk(make_document(sections))
    assert first == second


def test_chunk_context_line(chunker):
    section = Section("Badges are printed at the front desk.", "paragraph", ("Office", "Access"), ("b1",))
    chunk = chunker.chunk(make_document([section]))[0]
    assert chunk.text == "Handbook > Office > Access\nBadges are printed at the front desk."


def test_chunk_records_heading_path(chunker):
    section = Section("Badges are printed at the front desk.", "paragraph", ("Office", "Access"), ("b1",))
    chunk = chunker.chunk(make_document([section]))[0]
    assert chunk.heading_path == ("Office", "Access")


def test_small_sections_merged(chunker):
    sections = [
        Section("First short note.", "paragraph", ("Notes",), ("a",)),
        Section("- item one\n- item two", "bulleted_list_item", ("Notes",), ("b",)),
        Section("Second short note.", "paragraph", ("Notes",), ("c",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert len(chunks) == 1
    assert chunks[0].block_ids == ("a", "b", "c")


def test_sections_under_other_headings_not_merged(chunker):
    sections = [
        Section("First short note.", "paragraph", ("Notes",), ("a",)),
        Section("Second short note.", "paragraph", ("Other",), ("b",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert [chunk.block_ids for chunk in chunks] == [("a",), ("b",)]


def test_heading_block_id_goes_to_content(chunker):
    sections = [
        Section("# Office", "heading_1", (), ("h1",)),
        Section("Desks are shared.", "paragraph", ("Office",), ("p1",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert chunks[0].block_ids == ("h1", "p1")


def test_empty_heading_keeps_text(chunker):
    sections = [
        Section("Desks are shared.", "paragraph", (), ("p1",)),
        Section("## Parking", "heading_2", (), ("h2",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert "## Parking" in chunks[-1].body


def test_table_whole_when_it_fits(chunker):
    markdown = table(8)
    sections = [
        Section(paragraph(3, words=60), "paragraph", ("Data",), ("p",)),
        Section(markdown, "table", ("Data",), ("t",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert any(markdown in chunk.body for chunk in chunks)


def test_code_whole_when_it_fits(chunker):
    markdown = code(8)
    sections = [
        Section(paragraph(4, words=80), "paragraph", ("Code",), ("p",)),
        Section(markdown, "code", ("Code",), ("c",)),
    ]
    chunks = chunker.chunk(make_document(sections))
    assert any(markdown in chunk.body for chunk in chunks)


def test_long_table_repeats_header(chunker):
    chunks = chunker.chunk(make_document([Section(table(150), "table", ("Data",), ("t",))]))
    for chunk in chunks:
        assert chunk.body.startswith(TABLE_HEADER + "\n")


def test_long_table_splits_between_rows(chunker):
    original_rows = table(150).split("\n")[2:]
    chunks = chunker.chunk(make_document([Section(table(150), "table", ("Data",), ("t",))]))
    rows = [row for chunk in chunks for row in chunk.body.split("\n")[2:]]
    assert rows == original_rows


def test_long_code_splits_between_lines(chunker):
    original = code(200).split("\n")[1:-1]
    chunks = chunker.chunk(make_document([Section(code(200), "code", ("Code",), ("c",))]))
    lines = [line for chunk in chunks for line in chunk.body.split("\n")[1:-1]]
    assert lines == original


def test_long_code_pieces_fenced(chunker):
    chunks = chunker.chunk(make_document([Section(code(200), "code", ("Code",), ("c",))]))
    for chunk in chunks:
        assert chunk.body.startswith("```python\n")
        assert chunk.body.endswith("\n```")


def test_long_paragraph_keeps_words_whole(chunker):
    text = paragraph(5, words=1500)
    words = set(text.replace(".", " ").split())
    chunks = chunker.chunk(make_document([Section(text, "paragraph", (), ("p",))]))
    for chunk in chunks:
        assert set(chunk.body.replace(".", " ").split()) <= words


def test_long_paragraph_chunks_overlap(chunker):
    text = paragraph(6, words=1500)
    chunks = chunker.chunk(make_document([Section(text, "paragraph", (), ("p",))]))
    first_tail = chunks[0].body.split()[-3:]
    assert " ".join(first_tail) in chunks[1].body


def test_split_pieces_keep_block_id(chunker):
    chunks = chunker.chunk(make_document([Section(paragraph(7, words=1500), "paragraph", (), ("p",))]))
    assert {chunk.block_ids for chunk in chunks} == {("p",)}


def test_document_without_text_has_no_chunks(chunker):
    sections = [Section("  \n ", "paragraph", (), ("p",)), Section("", "divider", (), ("d",))]
    assert chunker.chunk(make_document(sections)) == []


def test_version_depends_on_settings(embedder):
    first = Chunker.for_embedder(embedder, max_tokens=200, overlap_tokens=24)
    second = Chunker.for_embedder(embedder, max_tokens=120, overlap_tokens=24)
    assert first.version != second.version


def test_max_tokens_capped_at_model_limit(embedder):
    chunker = Chunker.for_embedder(embedder, max_tokens=4000, overlap_tokens=24)
    assert chunker.max_tokens == embedder.max_tokens


def test_overlap_too_large_rejected(embedder):
    with pytest.raises(ConfigurationError, match="CHUNK_OVERLAP_TOKENS"):
        Chunker(embedder.tokenizer, max_tokens=100, overlap_tokens=80)
