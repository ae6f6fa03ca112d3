"""Shared fixtures: a generated Notion workspace and a local Notion server serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_pipeline.notion.generator import GeneratedWorkspace, generate_workspace
from notion_pipeline.notion.server import LocalNotionServer

LOCAL_NOTION_TOKEN = "secret_local_test_token"


@pytest.fixture(scope="session")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorkspace:
    """Generate a small workspace (40 pages with a database and edge-case pages) once per session.

    Treat its files as read-only; the server never writes them.
    """
    root = tmp_path_factory.mktemp("local_workspace")
    return generate_workspace(root, 40, seed=7, edge_cases=True, min_words=100, max_words=600)


@pytest.fixture
def notion_server(local_workspace: GeneratedWorkspace) -> Iterator[LocalNotionServer]:
    """Serve ``local_workspace`` on a free port; only the token ``LOCAL_NOTION_TOKEN`` is accepted."""
    with LocalNotionServer(Path(local_workspace.root), token=LOCAL_NOTION_TOKEN) as server:
        yield server
