"""All settings in one typed place, read from the environment or a TOML settings file.

Secrets (Notion tokens, the Qdrant API key) are never stored here. A workspace names the
environment variable that contains its token, and the token is read only when a client is built.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from notion_pipeline.errors import ConfigurationError

DEFAULT_NOTION_BASE_URL = "https://api.notion.com"
DEFAULT_WORKSPACE_ID = "default"
WORKSPACE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class WorkspaceSettings:
    """One Notion workspace (one integration token) to keep indexed."""

    id: str
    token_env: str = "NOTION_TOKEN"
    base_url: str = DEFAULT_NOTION_BASE_URL

    def token(self) -> str:
        """Read the workspace's token from its environment variable."""
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise ConfigurationError(
                f"Notion token for workspace {self.id!r} is missing: set the environment "
                f"variable {self.token_env} to the integration's internal token."
            )
        return value


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline. Build with ``Settings.load()``."""

    workspaces: tuple[WorkspaceSettings, ...]
    data_dir: Path
    qdrant_url: str | None = None
    qdrant_path: Path | None = None
    qdrant_collection: str = "notion_chunks"
    mongodb_uri: str | None = None
    mongodb_database: str = "notion_pipeline"
    sqlite_path: Path | None = None
    redis_url: str | None = None
    embedding_model: str | None = None
    embedding_device: str = "cpu"
    embedding_batch_size: int = 32
    embedding_batch_chunks: int = 256
    chunk_max_tokens: int = 200
    chunk_overlap_tokens: int = 24
    notion_requests_per_second: float = 3.0
    notion_burst: int = 3
    notion_max_retry_seconds: float = 120.0
    notion_timeout_seconds: float = 30.0
    fetch_workers: int = 2
    prefetch_pages: int = 8
    sensor_overlap_seconds: int = 120
    sensor_interval_seconds: int = 60
    page_retry_max: int = 3
    page_retry_delay_seconds: float = 15.0
    qdrant_lock_timeout_seconds: float = 60.0
    sensor_batch_size: int = 50
    reconcile_interval_seconds: int = 3600
    backfill_pages_per_run: int = 50
    full_sync_cron: str = "0 3 * * *"
    index_check_cron: str = "0 5 * * *"
    schedule_timezone: str = "UTC"
    automation_enabled: bool = True

    @property
    def resolved_qdrant_path(self) -> Path:
        return self.qdrant_path or self.data_dir / "qdrant"

    @property
    def resolved_sqlite_path(self) -> Path:
        return self.sqlite_path or self.data_dir / "ledger.sqlite3"

    def workspace(self, workspace_id: str) -> WorkspaceSettings:
        """Return the settings of one workspace, or raise naming the configured ones."""
        for workspace in self.workspaces:
            if workspace.id == workspace_id:
                return workspace
        known = ", ".join(w.id for w in self.workspaces)
        raise ConfigurationError(
            f"Unknown workspace {workspace_id!r}; configured workspaces are: {known}."
        )

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read settings from ``NOTION_PIPELINE_CONFIG`` (a TOML file) and the environment.

        The environment wins over the file. Workspaces come from the file's ``[[workspaces]]``
        tables, else from ``NOTION_WORKSPACES`` (comma-separated ids, each with its own
        ``NOTION_TOKEN_<ID>`` and optional ``NOTION_BASE_URL_<ID>``), else one workspace
        ``default`` whose token is ``NOTION_TOKEN``.
        """
        env = dict(os.environ if environ is None else environ)
        file_values: dict = {}
        config_path = env.get("NOTION_PIPELINE_CONFIG")
        if config_path:
            file_values = _read_config_file(Path(config_path))

        pipeline = file_values.get("pipeline", {})
        _check_file_keys(file_values, pipeline)
        data_dir = Path(_pick(env, pipeline, "NOTION_PIPELINE_DATA_DIR", "data_dir", ".data"))
        settings = cls(
            workspaces=_load_workspaces(env, file_values),
            data_dir=data_dir.expanduser().resolve(),
        )
        overrides = {
            "qdrant_url": _pick(env, pipeline, "QDRANT_URL", "qdrant_url", None),
            "qdrant_path": _optional_path(_pick(env, pipeline, "QDRANT_PATH", "qdrant_path", None)),
            "qdrant_collection": _pick(
                env, pipeline, "QDRANT_COLLECTION", "qdrant_collection", settings.qdrant_collection
            ),
            "mongodb_uri": _pick(env, pipeline, "MONGODB_URI", "mongodb_uri", None),
            "mongodb_database": _pick(
                env, pipeline, "MONGODB_DATABASE", "mongodb_database", settings.mongodb_database
            ),
            "sqlite_path": _optional_path(
                _pick(env, pipeline, "NOTION_PIPELINE_SQLITE_PATH", "sqlite_path", None)
            ),
            "redis_url": _pick(env, pipeline, "REDIS_URL", "redis_url", None),
            "embedding_model": _pick(env, pipeline, "EMBEDDING_MODEL", "embedding_model", None),
            "embedding_device": _pick(
                env, pipeline, "EMBEDDING_DEVICE", "embedding_device", settings.embedding_device
            ),
            "embedding_batch_size": _int(env, pipeline, "EMBEDDING_BATCH_SIZE",
                                         "embedding_batch_size", settings.embedding_batch_size),
            "embedding_batch_chunks": _int(env, pipeline, "EMBEDDING_BATCH_CHUNKS",
                                           "embedding_batch_chunks",
                                           settings.embedding_batch_chunks),
            "chunk_max_tokens": _int(env, pipeline, "CHUNK_MAX_TOKENS", "chunk_max_tokens",
                                     settings.chunk_max_tokens),
            "chunk_overlap_tokens": _int(env, pipeline, "CHUNK_OVERLAP_TOKENS",
                                         "chunk_overlap_tokens", settings.chunk_overlap_tokens),
            "notion_requests_per_second": _float(env, pipeline, "NOTION_REQUESTS_PER_SECOND",
                                                 "notion_requests_per_second",
                                                 settings.notion_requests_per_second),
            "notion_burst": _int(env, pipeline, "NOTION_BURST", "notion_burst",
                                 settings.notion_burst),
            "notion_max_retry_seconds": _float(env, pipeline, "NOTION_MAX_RETRY_SECONDS",
                                               "notion_max_retry_seconds",
                                               settings.notion_max_retry_seconds),
            "notion_timeout_seconds": _float(env, pipeline, "NOTION_TIMEOUT_SECONDS",
                                             "notion_timeout_seconds",
                                             settings.notion_timeout_seconds),
            "fetch_workers": _int(env, pipeline, "NOTION_FETCH_WORKERS", "fetch_workers",
                                  settings.fetch_workers),
            "prefetch_pages": _int(env, pipeline, "NOTION_PREFETCH_PAGES", "prefetch_pages",
                                   settings.prefetch_pages),
            "sensor_overlap_seconds": _int(env, pipeline, "SENSOR_OVERLAP_SECONDS",
                                           "sensor_overlap_seconds",
                                           settings.sensor_overlap_seconds),
            "sensor_interval_seconds": _int(env, pipeline, "SENSOR_INTERVAL_SECONDS",
                                            "sensor_interval_seconds",
                                            settings.sensor_interval_seconds),
            "page_retry_max": _int(env, pipeline, "PAGE_RETRY_MAX", "page_retry_max",
                                   settings.page_retry_max),
            "page_retry_delay_seconds": _float(env, pipeline, "PAGE_RETRY_DELAY_SECONDS",
                                               "page_retry_delay_seconds",
                                               settings.page_retry_delay_seconds),
            "qdrant_lock_timeout_seconds": _float(env, pipeline, "QDRANT_LOCK_TIMEOUT_SECONDS",
                                                  "qdrant_lock_timeout_seconds",
                                                  settings.qdrant_lock_timeout_seconds),
            "sensor_batch_size": _int(env, pipeline, "SENSOR_BATCH_SIZE", "sensor_batch_size",
                                      settings.sensor_batch_size),
            "reconcile_interval_seconds": _int(env, pipeline, "RECONCILE_INTERVAL_SECONDS",
                                               "reconcile_interval_seconds",
                                               settings.reconcile_interval_seconds),
            "backfill_pages_per_run": _int(env, pipeline, "BACKFILL_PAGES_PER_RUN",
                                           "backfill_pages_per_run",
                                           settings.backfill_pages_per_run),
            "full_sync_cron": _pick(env, pipeline, "FULL_SYNC_CRON", "full_sync_cron",
                                    settings.full_sync_cron),
            "index_check_cron": _pick(env, pipeline, "INDEX_CHECK_CRON", "index_check_cron",
                                      settings.index_check_cron),
            "schedule_timezone": _pick(env, pipeline, "NOTION_PIPELINE_TIMEZONE",
                                       "schedule_timezone", settings.schedule_timezone),
            "automation_enabled": _bool(env, pipeline, "NOTION_PIPELINE_AUTOMATION",
                                        "automation_enabled", settings.automation_enabled),
        }
        settings = replace(settings, **overrides)
        _validate(settings)
        return settings


def _read_config_file(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(
            f"Settings file {path} not found: fix NOTION_PIPELINE_CONFIG or create the file."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"Settings file {path} is not valid TOML: {error}") from None


PIPELINE_FILE_KEYS = frozenset(
    {
        "automation_enabled", "backfill_pages_per_run", "chunk_max_tokens",
        "chunk_overlap_tokens", "data_dir", "embedding_batch_chunks", "embedding_batch_size",
        "embedding_device", "embedding_model", "fetch_workers", "full_sync_cron",
        "index_check_cron", "mongodb_database", "mongodb_uri", "notion_burst",
        "notion_max_retry_seconds", "notion_requests_per_second", "notion_timeout_seconds",
        "page_retry_delay_seconds", "page_retry_max", "prefetch_pages", "qdrant_collection",
        "qdrant_lock_timeout_seconds", "qdrant_path", "qdrant_url",
        "reconcile_interval_seconds", "redis_url", "schedule_timezone", "sensor_batch_size",
        "sensor_interval_seconds", "sensor_overlap_seconds", "sqlite_path",
    }
)
WORKSPACE_FILE_KEYS = frozenset({"id", "token_env", "base_url"})


def _check_file_keys(file_values: dict, pipeline: dict) -> None:
    """Reject unknown keys, so a misspelled setting fails loudly instead of being ignored."""
    unknown_tables = sorted(set(file_values) - {"pipeline", "workspaces"})
    if unknown_tables:
        raise ConfigurationError(
            f"Settings file has unknown tables {unknown_tables}; use [pipeline] and [[workspaces]]."
        )
    unknown = sorted(set(pipeline) - PIPELINE_FILE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"Settings file has unknown [pipeline] keys {unknown}; known keys are "
            f"{sorted(PIPELINE_FILE_KEYS)}."
        )
    for table in file_values.get("workspaces", []):
        extra = sorted(set(table) - WORKSPACE_FILE_KEYS - {"token"})
        if extra:
            raise ConfigurationError(
                f"Settings file has unknown [[workspaces]] keys {extra}; known keys are "
                f"{sorted(WORKSPACE_FILE_KEYS)}."
            )


def _load_workspaces(env: dict[str, str], file_values: dict) -> tuple[WorkspaceSettings, ...]:
    default_base_url = env.get("NOTION_BASE_URL") or DEFAULT_NOTION_BASE_URL
    tables = file_values.get("workspaces")
    if tables:
        workspaces = []
        for table in tables:
            if "token" in table:
                raise ConfigurationError(
                    "Settings file must not contain a Notion token: replace 'token' with "
                    "'token_env', the name of the environment variable that holds it."
                )
            workspace_id = str(table.get("id", ""))
            workspaces.append(
                WorkspaceSettings(
                    id=workspace_id,
                    token_env=str(table.get("token_env", f"NOTION_TOKEN_{workspace_id.upper()}")),
                    base_url=str(table.get("base_url", default_base_url)),
                )
            )
        return tuple(workspaces)

    listed = env.get("NOTION_WORKSPACES", "").strip()
    if listed:
        workspaces = []
        for workspace_id in (item.strip() for item in listed.split(",")):
            if not workspace_id:
                continue
            suffix = workspace_id.upper()
            workspaces.append(
                WorkspaceSettings(
                    id=workspace_id,
                    token_env=f"NOTION_TOKEN_{suffix}",
                    base_url=env.get(f"NOTION_BASE_URL_{suffix}") or default_base_url,
                )
            )
        return tuple(workspaces)

    return (
        WorkspaceSettings(
            id=env.get("NOTION_WORKSPACE_ID") or DEFAULT_WORKSPACE_ID,
            token_env="NOTION_TOKEN",
            base_url=default_base_url,
        ),
    )


def _validate(settings: Settings) -> None:
    if not settings.workspaces:
        raise ConfigurationError("No Notion workspace is configured: set NOTION_TOKEN.")
    seen: set[str] = set()
    for workspace in settings.workspaces:
        if not WORKSPACE_ID_PATTERN.match(workspace.id):
            raise ConfigurationError(
                f"Invalid workspace id {workspace.id!r}: use 1-40 lowercase letters, digits "
                "or underscores, starting with a letter (it becomes part of Dagster asset names)."
            )
        if workspace.id in seen:
            raise ConfigurationError(f"Workspace id {workspace.id!r} is configured twice.")
        seen.add(workspace.id)
    if settings.chunk_overlap_tokens >= settings.chunk_max_tokens:
        raise ConfigurationError(
            f"CHUNK_OVERLAP_TOKENS ({settings.chunk_overlap_tokens}) must be smaller than "
            f"CHUNK_MAX_TOKENS ({settings.chunk_max_tokens})."
        )
    if settings.notion_requests_per_second <= 0:
        raise ConfigurationError(
            f"NOTION_REQUESTS_PER_SECOND must be positive, got {settings.notion_requests_per_second}."
        )


def _pick(env: dict[str, str], table: dict, env_name: str, key: str, default):
    if env.get(env_name):
        return env[env_name]
    if key in table:
        return table[key]
    return default


def _optional_path(value) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


def _int(env: dict[str, str], table: dict, env_name: str, key: str, default: int) -> int:
    value = _pick(env, table, env_name, key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{env_name} must be an integer, got {value!r}.") from None


def _float(env: dict[str, str], table: dict, env_name: str, key: str, default: float) -> float:
    value = _pick(env, table, env_name, key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{env_name} must be a number, got {value!r}.") from None


def _bool(env: dict[str, str], table: dict, env_name: str, key: str, default: bool) -> bool:
    value = _pick(env, table, env_name, key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{env_name} must be on or off, got {value!r}.")
