"""Settings from the environment and the TOML settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_pipeline.errors import ConfigurationError
from notion_pipeline.settings import Settings


def write_config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return {"NOTION_PIPELINE_CONFIG": str(path)}


def test_default_is_one_workspace_from_notion_token():
    settings = Settings.load({})
    assert [workspace.id for workspace in settings.workspaces] == ["default"]
    assert settings.workspaces[0].token_env == "NOTION_TOKEN"


def test_notion_workspaces_get_own_token_variables():
    settings = Settings.load({"NOTION_WORKSPACES": "eng, sales", "NOTION_BASE_URL_SALES": "http://127.0.0.1:1"})
    assert [workspace.token_env for workspace in settings.workspaces] == ["NOTION_TOKEN_ENG", "NOTION_TOKEN_SALES"]
    assert settings.workspace("sales").base_url == "http://127.0.0.1:1"


def test_missing_token_names_variable():
    settings = Settings.load({"NOTION_WORKSPACES": "eng"})
    with pytest.raises(ConfigurationError, match="NOTION_TOKEN_ENG"):
        settings.workspace("eng").token()


def test_environment_wins_over_file(tmp_path: Path):
    env = write_config(tmp_path, '[pipeline]\nqdrant_collection = "from_file"\nchunk_max_tokens = 150\n')
    settings = Settings.load({**env, "QDRANT_COLLECTION": "from_env"})
    assert settings.qdrant_collection == "from_env"
    assert settings.chunk_max_tokens == 150


def test_file_workspaces(tmp_path: Path):
    env = write_config(tmp_path, '[[workspaces]]\nid = "eng"\ntoken_env = "ENG_TOKEN"\n')
    settings = Settings.load(env)
    assert settings.workspace("eng").token_env == "ENG_TOKEN"


def test_token_in_file_rejected(tmp_path: Path):
    env = write_config(tmp_path, '[[workspaces]]\nid = "eng"\ntoken = "ntn_secret_value"\n')
    with pytest.raises(ConfigurationError, match="token_env") as caught:
        Settings.load(env)
    assert "ntn_secret_value" not in str(caught.value)


def test_misspelled_file_key_rejected(tmp_path: Path):
    env = write_config(tmp_path, '[pipeline]\nqdrant_colection = "typo"\n')
    with pytest.raises(ConfigurationError, match="qdrant_colection"):
        Settings.load(env)


def test_unknown_file_table_rejected(tmp_path: Path):
    env = write_config(tmp_path, '[pipelines]\nqdrant_collection = "x"\n')
    with pytest.raises(ConfigurationError, match="unknown tables"):
        Settings.load(env)


def test_invalid_workspace_id_rejected():
    with pytest.raises(ConfigurationError, match="Invalid workspace id 'Eng'"):
        Settings.load({"NOTION_WORKSPACES": "Eng"})


def test_overlap_must_be_below_chunk_size():
    with pytest.raises(ConfigurationError, match="CHUNK_OVERLAP_TOKENS"):
        Settings.load({"CHUNK_MAX_TOKENS": "50", "CHUNK_OVERLAP_TOKENS": "50"})


def test_non_integer_setting_rejected():
    with pytest.raises(ConfigurationError, match="CHUNK_MAX_TOKENS must be an integer, got 'abc'"):
        Settings.load({"CHUNK_MAX_TOKENS": "abc"})


def test_automation_switch_parsed():
    assert Settings.load({"NOTION_PIPELINE_AUTOMATION": "off"}).automation_enabled is False
    with pytest.raises(ConfigurationError, match="on or off"):
        Settings.load({"NOTION_PIPELINE_AUTOMATION": "maybe"})
