"""Generate a synthetic Notion workspace directory for the local server, deterministically from a seed.

The same arguments always write byte-identical files: ids come from a seeded generator and
timestamps from a fixed base time, never the wall clock. Run it as
``python -m notion_pipeline.notion.generator --pages 500 --seed 1 --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from notion_pipeline.notion import builders

logger = logging.getLogger(__name__)

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)

# Vocabulary of an engineering organisation's wiki, so that generated pages have topics that
# search queries can find.
_NOUNS = (
    "team service deployment release incident customer database cluster pipeline dashboard "
    "metric alert runbook migration schema index query cache queue worker scheduler backup "
    "policy budget roadmap milestone review meeting decision proposal contract vendor invoice "
    "report forecast account region server network latency throughput error outage ticket "
    "sprint backlog estimate owner stakeholder interview candidate onboarding laptop license "
    "document template checklist workflow approval audit risk control feature experiment "
    "launch campaign partner integration token secret endpoint request response payload "
    "storage bucket snapshot replica shard partition consumer producer topic stream event "
    "model embedding vector dataset evaluation benchmark prototype design component library"
).split()
_ADJECTIVES = (
    "new old critical minor quarterly weekly internal external shared private primary "
    "secondary stable flaky slow fast expensive cheap manual automated regional global "
    "temporary permanent detailed rough final draft urgent optional legacy modern small large "
    "reliable noisy quiet clear complex simple"
).split()
_VERBS = (
    "reviews updates deploys monitors approves rejects migrates indexes schedules archives "
    "documents tracks owns replaces tests measures reduces improves blocks delays supports "
    "requires triggers summarises ships rolls back pages escalates handles covers explains"
).split()
_ADVERBS = "quickly carefully rarely usually often manually automatically weekly daily again".split()
_PREPOSITIONS = "for before after during with without across within under behind".split()
_CONNECTORS = (
    "because", "so", "although", "unless", "while", "since", "but", "and then", "as soon as",
)
_DETERMINERS = ("the", "the", "a", "each", "every", "our", "this", "that", "one")
_LANGUAGES = ("python", "sql", "bash", "javascript", "yaml")
_STATUSES = ("Not started", "In progress", "Blocked", "Done")
_TAGS = ("backend", "frontend", "infra", "data", "security", "docs", "ml", "ops")
_PRIORITIES = ("P0", "P1", "P2", "P3")
_COLORS = ("gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")


@dataclass(frozen=True)
class GeneratedWorkspace:
    """The contents of a workspace written by ``generate_workspace``: ids by role and totals."""

    root: Path
    page_ids: tuple[str, ...]
    """Every page, in generation order (rows, trashed and unshared pages included)."""
    top_level_page_ids: tuple[str, ...]
    child_page_ids: tuple[str, ...]
    row_page_ids: tuple[str, ...]
    database_id: str | None
    data_source_id: str | None
    database_page_id: str | None
    """The page that holds the ``child_database`` block."""
    trashed_page_ids: tuple[str, ...] = ()
    unshared_page_ids: tuple[str, ...] = ()
    block_count: int = 0
    word_count: int = 0
    words_by_page: dict[str, int] = field(default_factory=dict)


class _TextSource:
    """English-like sentences and titles drawn from the word lists with a seeded generator.

    Sentences come from a pool built once, because that is several times faster than
    composing each one. Paragraphs of 2 to 7 pooled sentences still practically never repeat.
    """

    def __init__(self, rng: random.Random, pool_size: int = 20_000) -> None:
        self._rng = rng
        self._pool = [self._compose_sentence() for _ in range(pool_size)]

    def noun_phrase(self) -> str:
        rng = self._rng
        if rng.random() < 0.4:
            return f"{rng.choice(_DETERMINERS)} {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        return f"{rng.choice(_DETERMINERS)} {rng.choice(_NOUNS)}"

    def _compose_sentence(self) -> str:
        rng = self._rng
        parts = [self.noun_phrase(), rng.choice(_VERBS), self.noun_phrase()]
        if rng.random() < 0.5:
            parts += [rng.choice(_PREPOSITIONS), self.noun_phrase()]
        if rng.random() < 0.25:
            parts.append(rng.choice(_ADVERBS))
        if rng.random() < 0.3:
            parts += [rng.choice(_CONNECTORS), self.noun_phrase(), rng.choice(_VERBS), self.noun_phrase()]
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def sentence(self) -> str:
        return self._pool[self._rng.randrange(len(self._pool))]

    def sentences(self, count: int) -> str:
        return " ".join(self._rng.choices(self._pool, k=count))

    def title(self) -> str:
        rng = self._rng
        words = [rng.choice(_ADJECTIVES), *rng.choices(_NOUNS, k=rng.randint(1, 3))]
        return " ".join(word.capitalize() for word in words)

    def code(self) -> tuple[str, str]:
        rng = self._rng
        language = rng.choice(_LANGUAGES)
        name = "_".join(rng.choices(_NOUNS, k=2))
        if language == "python":
            lines = [f"def {name}({rng.choice(_NOUNS)}):"]
            lines += [f"    {rng.choice(_NOUNS)} = {rng.choice(_NOUNS)}.{rng.choice(_VERBS)}()"
                      for _ in range(rng.randint(1, 6))]
            lines.append(f"    return {rng.choice(_NOUNS)}")
        elif language == "sql":
            lines = [f"SELECT {', '.join(rng.choices(_NOUNS, k=3))}", f"FROM {name}",
                     f"WHERE {rng.choice(_NOUNS)} > {rng.randint(1, 999)};"]
        elif language == "bash":
            lines = [f"kubectl rollout restart deployment/{name.replace('_', '-')}",
                     f"echo \"{self.sentence()}\""]
        elif language == "javascript":
            lines = [f"export function {name}(input) {{", f"  return input.{rng.choice(_NOUNS)};", "}"]
        else:
            lines = [f"{rng.choice(_NOUNS)}:", f"  {rng.choice(_NOUNS)}: {rng.randint(1, 99)}",
                     f"  {rng.choice(_NOUNS)}: {rng.choice(_ADJECTIVES)}"]
        return language, "\n".join(lines)


class _PageWriter:
    """Build the partial blocks of one page and count its words."""

    def __init__(self, rng: random.Random, text: _TextSource) -> None:
        self._rng = rng
        self._text = text
        self.words = 0

    def _counted(self, value: str) -> str:
        self.words += value.count(" ") + 1
        return value

    def _rich_paragraph_text(self, sentence_count: int) -> list[dict]:
        rng = self._rng
        body = self._counted(self._text.sentences(sentence_count))
        items = builders.rich_text_items(body)
        if rng.random() < 0.3:
            # An annotated phrase and a link, as real pages have.
            emphasis = builders.rich_text(" " + self._counted(self._text.noun_phrase()), bold=True)
            link = builders.rich_text(" runbook", link="https://example.com/runbook", italic=True)
            items = items + [emphasis, link]
        return items

    def paragraph(self) -> dict:
        return builders.paragraph_block(self._rich_paragraph_text(self._rng.randint(2, 7)))

    def list_items(self, kind: str, depth: int = 0) -> list[dict]:
        rng = self._rng
        items = []
        for _ in range(rng.randint(2, 6)):
            text = self._counted(self._text.sentence())
            children = self.list_items(kind, depth + 1) if depth < 2 and rng.random() < 0.1 else None
            if kind == "bulleted":
                items.append(builders.bulleted_list_item_block(text, children=children))
            elif kind == "numbered":
                items.append(builders.numbered_list_item_block(text, children=children))
            else:
                items.append(builders.to_do_block(text, checked=rng.random() < 0.5, children=children))
        return items

    def table(self) -> dict:
        rng = self._rng
        width = rng.randint(2, 5)
        header = [self._counted(rng.choice(_NOUNS).capitalize()) for _ in range(width)]
        rows = [header]
        for _ in range(rng.randint(2, 8)):
            row = []
            for _ in range(width):
                cell = str(rng.randint(1, 500)) if rng.random() < 0.3 else self._text.noun_phrase()
                row.append(self._counted(cell))
            rows.append(row)
        return builders.table_block(rows, has_column_header=True, has_row_header=rng.random() < 0.2)

    def section_body(self) -> list[dict]:
        """Build one stretch of content under a heading."""
        rng = self._rng
        roll = rng.random()
        if roll < 0.5:
            return [self.paragraph()]
        if roll < 0.6:
            return self.list_items("bulleted")
        if roll < 0.65:
            return self.list_items("numbered")
        if roll < 0.7:
            return self.list_items("to_do")
        if roll < 0.75:
            children = [self.paragraph() for _ in range(rng.randint(1, 3))]
            return [builders.toggle_block(self._counted(self._text.sentence()), children=children)]
        if roll < 0.79:
            return [builders.quote_block(self._counted(self._text.sentences(rng.randint(1, 3))))]
        if roll < 0.83:
            return [builders.callout_block(self._counted(self._text.sentences(rng.randint(1, 2))),
                                           emoji=rng.choice(("💡", "⚠️", "📌", "✅")))]
        if roll < 0.88:
            language, code = self._text.code()
            self._counted(code)
            return [builders.code_block(code, language=language)]
        if roll < 0.93:
            return [self.table()]
        if roll < 0.96:
            return [builders.divider_block()]
        return [builders.heading_block(3, self._counted(self._text.title())), self.paragraph()]

    def page_blocks(self, target_words: int) -> list[dict]:
        rng = self._rng
        blocks: list[dict] = []
        if rng.random() < 0.3:
            blocks.append(builders.heading_block(1, self._counted(self._text.title())))
        blocks.append(self.paragraph())
        while self.words < target_words:
            blocks.append(builders.heading_block(2, self._counted(self._text.title())))
            for _ in range(rng.randint(1, 4)):
                blocks.extend(self.section_body())
        return blocks


def _uuid4_from_bits(bits: int) -> str:
    """Format 128 random bits as a version 4 UUID, equal to str(uuid.UUID(int=bits, version=4))."""
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    bits = (bits & ~(0xF000 << 64)) | (4 << 76)
    digits = f"{bits:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _page_length(rng: random.Random, min_words: int, max_words: int) -> int:
    """Draw a word count log-uniformly, so short pages are common and long ones rare."""
    return int(min_words * (max_words / min_words) ** rng.random())


def _data_source_schema() -> dict:
    def options(names: tuple[str, ...]) -> list[dict]:
        return [{"id": f"opt-{index}", "name": name, "color": _COLORS[index % len(_COLORS)]}
                for index, name in enumerate(names)]

    return {
        "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
        "Status": {"id": "stat", "name": "Status", "type": "select", "select": {"options": options(_STATUSES)}},
        "Priority": {"id": "prio", "name": "Priority", "type": "select", "select": {"options": options(_PRIORITIES)}},
        "Tags": {"id": "tags", "name": "Tags", "type": "multi_select", "multi_select": {"options": options(_TAGS)}},
        "Estimate": {"id": "estm", "name": "Estimate", "type": "number", "number": {"format": "number"}},
        "Done": {"id": "done", "name": "Done", "type": "checkbox", "checkbox": {}},
        "Due": {"id": "due_", "name": "Due", "type": "date", "date": {}},
    }


def _row_properties(rng: random.Random, due: datetime) -> dict:
    def option(names: tuple[str, ...], name: str) -> dict:
        index = names.index(name)
        return {"id": f"opt-{index}", "name": name, "color": _COLORS[index % len(_COLORS)]}

    tags = sorted(set(rng.choices(_TAGS, k=rng.randint(0, 3))), key=_TAGS.index)
    return {
        "Status": {"id": "stat", "type": "select", "select": option(_STATUSES, rng.choice(_STATUSES))},
        "Priority": {"id": "prio", "type": "select", "select": option(_PRIORITIES, rng.choice(_PRIORITIES))},
        "Tags": {"id": "tags", "type": "multi_select", "multi_select": [option(_TAGS, tag) for tag in tags]},
        "Estimate": {"id": "estm", "type": "number", "number": rng.randint(1, 13)},
        "Done": {"id": "done", "type": "checkbox", "checkbox": rng.random() < 0.4},
        "Due": {"id": "due_", "type": "date", "date": {"start": due.date().isoformat(), "end": None, "time_zone": None}},
    }


def _edge_case_blocks(rng: random.Random, text: _TextSource, new_id: Callable[[], str],
                      synced_original_id: str | None) -> list[dict]:
    """Build blocks that exercise renderers: unsupported types, synced blocks, long and empty text."""
    blocks: list[dict] = [
        builders.paragraph_block(""),
        builders.paragraph_block("Ünïcödé text with emoji 🚀 and CJK 文字 and a tab\tinside."),
        builders.paragraph_block(text.sentences(60)),
        builders.block("ai_block", {}, [builders.paragraph_block(text.sentence())]),
        builders.block("unsupported", {}),
        builders.bulleted_list_item_block(
            "Level 1",
            children=[builders.bulleted_list_item_block(
                "Level 2",
                children=[builders.bulleted_list_item_block(
                    "Level 3", children=[builders.bulleted_list_item_block("Level 4")]
                )],
            )],
        ),
    ]
    if synced_original_id is not None:
        blocks.append(builders.synced_block_reference(synced_original_id))
    else:
        original = builders.synced_block_original([builders.paragraph_block(text.sentences(2))])
        original["id"] = new_id()
        blocks.append(original)
    rng.shuffle(blocks)
    return blocks


def generate_workspace(
    target_dir: Path,
    pages: int,
    *,
    seed: int = 0,
    rows_fraction: float = 0.2,
    child_page_fraction: float = 0.25,
    long_page_fraction: float = 0.03,
    min_words: int = 300,
    max_words: int = 3000,
    edge_cases: bool = False,
) -> GeneratedWorkspace:
    """Write a workspace of ``pages`` pages under ``target_dir`` and describe what it holds.

    About ``rows_fraction`` of the pages are rows of one database (held by its own page),
    ``child_page_fraction`` of the others sit under an earlier page, and ``long_page_fraction``
    of them are 8,000 to 15,000 words long instead of ``min_words`` to ``max_words``. With
    ``edge_cases`` two extra pages carry unsupported, synced, empty and very long blocks, and
    one trashed and one unshared page are added (all counted in ``pages``).
    """
    if pages < 1:
        raise ValueError(f"pages must be at least 1, got {pages}.")
    if not 0.0 <= rows_fraction < 1.0:
        raise ValueError(f"rows_fraction must be in [0, 1), got {rows_fraction}.")
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"Need 1 <= min_words <= max_words, got {min_words} and {max_words}.")
    target_dir = Path(target_dir)
    if (target_dir / "pages").is_dir() and any((target_dir / "pages").iterdir()):
        raise FileExistsError(
            f"{target_dir / 'pages'} already contains pages: pass an empty or new directory."
        )

    rng = random.Random(seed)
    text = _TextSource(rng)

    def new_id() -> str:
        return _uuid4_from_bits(rng.getrandbits(128))

    def random_time(start: datetime, max_minutes: int) -> datetime:
        return start + timedelta(minutes=rng.randint(0, max_minutes))

    # Plan roles first: which page is a row, a child, the database holder or an edge case.
    edge_count = 4 if edge_cases and pages >= 8 else 0
    has_database = pages >= 3 and rows_fraction > 0
    row_count = int(round((pages - edge_count - 1) * rows_fraction)) if has_database else 0
    normal_count = pages - row_count - edge_count

    page_files: dict[str, dict] = {}
    block_files: dict[str, list[dict]] = {}
    words_by_page: dict[str, int] = {}
    child_links: dict[str, list[tuple[str, str]]] = {}
    top_level: list[str] = []
    children: list[str] = []
    normal_ids: list[str] = []
    planned: list[tuple[str, str, dict, datetime, datetime]] = []

    for index in range(normal_count):
        page_id = new_id()
        title = text.title()
        created = random_time(BASE_TIME, 180 * 24 * 60)
        edited = builders.round_down_to_minute(random_time(created, 60 * 24 * 60))
        if normal_ids and index > 0 and rng.random() < child_page_fraction:
            parent_id = rng.choice(normal_ids)
            parent = builders.page_parent(parent_id)
            child_links.setdefault(parent_id, []).append((page_id, title))
            children.append(page_id)
        else:
            parent = builders.workspace_parent()
            top_level.append(page_id)
        normal_ids.append(page_id)
        planned.append((page_id, title, parent, created, edited))

    database_id = data_source_id = database_page_id = None
    if has_database:
        database_page_id = normal_ids[0]
        database_id = new_id()
        data_source_id = new_id()

    block_count = 0

    def write_blocks(page_id: str, partial_blocks: list[dict], created: datetime, edited: datetime) -> None:
        nonlocal block_count
        groups = builders.materialize_blocks(
            partial_blocks,
            page_id,
            parent_is_page=True,
            created_time=builders.format_timestamp(created),
            last_edited_time=builders.edited_timestamp(edited),
            new_id=new_id,
        )
        for parent_id, full_blocks in groups:
            if full_blocks:
                block_files[parent_id] = full_blocks
                block_count += len(full_blocks)

    for page_id, title, parent, created, edited in planned:
        writer = _PageWriter(rng, text)
        long_page = rng.random() < long_page_fraction
        target = rng.randint(8000, 15000) if long_page else _page_length(rng, min_words, max_words)
        blocks = writer.page_blocks(target)
        if page_id == database_page_id:
            database_block = builders.child_database_block("Project tracker")
            database_block["id"] = database_id
            blocks.insert(1, database_block)
        for child_id, child_title in child_links.get(page_id, []):
            link = builders.child_page_block(child_title)
            link["id"] = child_id
            blocks.insert(rng.randint(1, len(blocks)), link)
        page_files[page_id] = builders.page_object(
            page_id, title, parent,
            created_time=builders.format_timestamp(created),
            last_edited_time=builders.edited_timestamp(edited),
        )
        write_blocks(page_id, blocks, created, edited)
        words_by_page[page_id] = writer.words

    row_ids: list[str] = []
    database_files: dict[str, dict] = {}
    data_source_files: dict[str, dict] = {}
    if has_database:
        created = BASE_TIME
        stamp = builders.format_timestamp(created)
        database_files[database_id] = {
            "object": "database",
            "id": database_id,
            "title": builders.rich_text_items("Project tracker"),
            "description": [],
            "parent": builders.page_parent(database_page_id),
            "is_inline": True,
            "in_trash": False,
            "archived": False,
            "is_locked": False,
            "created_time": stamp,
            "last_edited_time": stamp,
            "data_sources": [{"id": data_source_id, "name": "Project tracker"}],
            "icon": None,
            "cover": None,
            "url": builders.page_url("Project tracker", database_id),
            "public_url": None,
        }
        data_source_files[data_source_id] = {
            "object": "data_source",
            "id": data_source_id,
            "title": builders.rich_text_items("Project tracker"),
            "description": [],
            "parent": {"type": "database_id", "database_id": database_id},
            "database_parent": builders.page_parent(database_page_id),
            "properties": _data_source_schema(),
            "in_trash": False,
            "archived": False,
            "created_time": stamp,
            "last_edited_time": stamp,
            "created_by": builders.user_reference(),
            "last_edited_by": builders.user_reference(),
            "icon": None,
            "cover": None,
            "url": builders.page_url("Project tracker", data_source_id),
            "public_url": None,
        }
        for _ in range(row_count):
            page_id = new_id()
            title = text.title()
            created = random_time(BASE_TIME, 180 * 24 * 60)
            edited = random_time(created, 60 * 24 * 60)
            writer = _PageWriter(rng, text)
            blocks = writer.page_blocks(rng.randint(100, 800))
            page_files[page_id] = builders.page_object(
                page_id, title, builders.data_source_parent(data_source_id, database_id),
                created_time=builders.format_timestamp(created),
                last_edited_time=builders.edited_timestamp(edited),
                properties=_row_properties(rng, edited + timedelta(days=14)),
                title_property_name="Name",
            )
            write_blocks(page_id, blocks, created, edited)
            words_by_page[page_id] = writer.words
            row_ids.append(page_id)

    trashed: list[str] = []
    unshared: list[str] = []
    if edge_count:
        synced_original_id: str | None = None
        for role in ("edge-original", "edge-reference", "trashed", "unshared"):
            page_id = new_id()
            created = random_time(BASE_TIME, 180 * 24 * 60)
            edited = random_time(created, 60 * 24 * 60)
            writer = _PageWriter(rng, text)
            if role.startswith("edge"):
                blocks = _edge_case_blocks(rng, text, new_id, synced_original_id)
                if synced_original_id is None:
                    synced_original_id = next(b["id"] for b in blocks if b["type"] == "synced_block")
                title = f"Edge cases {role.split('-')[1]}"
            else:
                blocks = writer.page_blocks(_page_length(rng, min_words, max_words))
                title = f"{role.capitalize()} {text.title()}"
            page = builders.page_object(
                page_id, title, builders.workspace_parent(),
                created_time=builders.format_timestamp(created),
                last_edited_time=builders.edited_timestamp(edited),
            )
            if role == "trashed":
                page["in_trash"] = page["archived"] = True
                trashed.append(page_id)
            if role == "unshared":
                unshared.append(page_id)
            page_files[page_id] = page
            top_level.append(page_id)
            write_blocks(page_id, blocks, created, edited)
            words_by_page[page_id] = writer.words

    _write_directory(target_dir, page_files, block_files, database_files, data_source_files, unshared)
    result = GeneratedWorkspace(
        root=target_dir,
        page_ids=tuple(page_files),
        top_level_page_ids=tuple(top_level),
        child_page_ids=tuple(children),
        row_page_ids=tuple(row_ids),
        database_id=database_id,
        data_source_id=data_source_id,
        database_page_id=database_page_id,
        trashed_page_ids=tuple(trashed),
        unshared_page_ids=tuple(unshared),
        block_count=block_count,
        word_count=sum(words_by_page.values()),
        words_by_page=words_by_page,
    )
    logger.info(
        "Generated workspace %s: %d pages (%d rows), %d blocks, %d words (seed %d)",
        target_dir, len(result.page_ids), len(row_ids), block_count, result.word_count, seed,
    )
    return result


def _dump(path: Path, value: object) -> None:
    path.write_bytes(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _write_directory(
    target_dir: Path,
    page_files: dict[str, dict],
    block_files: dict[str, list[dict]],
    database_files: dict[str, dict],
    data_source_files: dict[str, dict],
    unshared: list[str],
) -> None:
    for folder in ("pages", "blocks", "databases", "data_sources"):
        (target_dir / folder).mkdir(parents=True, exist_ok=True)
    for page_id, page in page_files.items():
        _dump(target_dir / "pages" / f"{page_id}.json", page)
    for parent_id, blocks in block_files.items():
        _dump(target_dir / "blocks" / f"{parent_id}.json", blocks)
    for database_id, database in database_files.items():
        _dump(target_dir / "databases" / f"{database_id}.json", database)
    for data_source_id, data_source in data_source_files.items():
        _dump(target_dir / "data_sources" / f"{data_source_id}.json", data_source)
    if unshared:
        _dump(target_dir / "workspace.json", {"unshared": unshared})


def main(argv: list[str] | None = None) -> int:
    """Parse command-line arguments and generate a workspace."""
    parser = argparse.ArgumentParser(
        prog="python -m notion_pipeline.notion.generator",
        description="Write a synthetic Notion workspace directory for the local Notion server.",
    )
    parser.add_argument("--pages", type=int, required=True, help="number of pages to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed; equal seeds write identical files")
    parser.add_argument("--out", type=Path, required=True, help="target directory (new or empty)")
    parser.add_argument("--rows-fraction", type=float, default=0.2,
                        help="fraction of pages that are database rows (default: 0.2)")
    parser.add_argument("--edge-cases", action="store_true",
                        help="add pages with unsupported, synced, empty and long blocks, one trashed and one unshared")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    result = generate_workspace(
        args.out, args.pages, seed=args.seed, rows_fraction=args.rows_fraction, edge_cases=args.edge_cases
    )
    print(
        f"Wrote {len(result.page_ids)} pages, {result.block_count} blocks and {result.word_count} words to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
