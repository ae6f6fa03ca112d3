"""Masking tokens, keys and passwords in text and in log records."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from notion_pipeline.redaction import (
    MASK,
    RedactingFilter,
    environment_secrets,
    install_log_redaction,
    redact,
    redact_url,
)

SECRET_TOKEN = "secret_" + "AbCdEf123456" * 4
NTN_TOKEN = "ntn_" + "Zx9Yw8Vu7Ts6" * 4


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NOTION_TOKEN", "QDRANT_API_KEY", "MONGODB_URI", "REDIS_URL", "DAGSTER_PG_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def root_handler() -> Iterator[logging.Handler]:
    """Attach a handler to the root logger and remove it, and any installed filter, afterwards."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for installed in [f for f in root.filters if isinstance(f, RedactingFilter)]:
        root.removeFilter(installed)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mongodb://app:hunter22@db:27017/ledger", "mongodb://***@db:27017/ledger"),
        (
            "mongodb://app:p%40ss@h1:27017,h2:27017/?replicaSet=rs0",
            "mongodb://***@h1:27017,h2:27017/?replicaSet=rs0",
        ),
        ("redis://:hunter22@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("postgresql://dagster:pw@localhost/dagster", "postgresql://***@localhost/dagster"),
        ("https://api.notion.com/v1/pages", "https://api.notion.com/v1/pages"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_inside_sentence() -> None:
    text = "could not reach mongodb://app:hunter22@db:27017/ (timeout)"

    assert redact_url(text) == "could not reach mongodb://***@db:27017/ (timeout)"


def test_redact_url_keeps_email_in_path() -> None:
    url = "https://example.com/users/someone@example.com"

    assert redact_url(url) == url


def test_redact_notion_token_shapes(clean_environment: pytest.MonkeyPatch) -> None:
    text = f"Bearer {SECRET_TOKEN} and {NTN_TOKEN}."

    assert redact(text) == f"Bearer {MASK} and {MASK}."


def test_redact_keeps_short_notion_words(clean_environment: pytest.MonkeyPatch) -> None:
    text = "the field secret_key and ntn_prefix stay"

    assert redact(text) == text


def test_redact_given_secrets(clean_environment: pytest.MonkeyPatch) -> None:
    assert redact("key=abcdef123 used", ["abcdef123"]) == f"key={MASK} used"


def test_redact_skips_short_secrets(clean_environment: pytest.MonkeyPatch) -> None:
    assert redact("a b c", ["a"]) == "a b c"


def test_redact_longer_secret_first(clean_environment: pytest.MonkeyPatch) -> None:
    result = redact("value abcdef-ghijkl here", ["abcdef", "abcdef-ghijkl"])

    assert result == f"value {MASK} here"


def test_redact_environment_token(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("NOTION_TOKEN_ACME", "custom-token-value-1")

    assert redact("sent custom-token-value-1") == f"sent {MASK}"


def test_redact_qdrant_api_key(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("QDRANT_API_KEY", "qdrant-key-998877")

    assert "qdrant-key-998877" not in redact("api-key: qdrant-key-998877")


def test_redact_password_from_mongodb_uri(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("MONGODB_URI", "mongodb://app:Sup3r%2Fsecret@db/")

    result = redact("auth failed for password Sup3r/secret and Sup3r%2Fsecret")

    assert "Sup3r/secret" not in result
    assert "Sup3r%2Fsecret" not in result


def test_redact_password_from_redis_url(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("REDIS_URL", "redis://:cache-pass-77@127.0.0.1:6379/0")

    assert "cache-pass-77" not in redact("AUTH cache-pass-77 failed")


def test_redact_dagster_pg_password(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("DAGSTER_PG_PASSWORD", "pg-pass-4242")

    assert "pg-pass-4242" not in redact("password authentication failed: pg-pass-4242")


def test_environment_secrets_ignores_plain_settings() -> None:
    found = environment_secrets({"QDRANT_COLLECTION": "notion_chunks", "REDIS_URL": "redis://h:6379"})

    assert found == []


def test_redact_empty_text() -> None:
    assert redact("") == ""


def test_filter_masks_child_logger_message(
    clean_environment: pytest.MonkeyPatch, root_handler: logging.Handler
) -> None:
    install_log_redaction()
    record = logging.LogRecord(
        "notion_pipeline.notion.client", logging.ERROR, __file__, 1,
        "request with %s to %s failed", (SECRET_TOKEN, "redis://:pw-123456@h:6379"), None,
    )

    for handler_filter in root_handler.filters:
        handler_filter.filter(record)

    assert SECRET_TOKEN not in record.getMessage()
    assert "pw-123456" not in record.getMessage()


def test_filter_masks_traceback(clean_environment: pytest.MonkeyPatch) -> None:
    try:
        raise RuntimeError(f"token {NTN_TOKEN} rejected")
    except RuntimeError:
        record = logging.LogRecord(
            "notion_pipeline", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )

    RedactingFilter().filter(record)

    assert NTN_TOKEN not in record.exc_text
    assert "RuntimeError" in record.exc_text


def test_install_reaches_propagated_records(
    clean_environment: pytest.MonkeyPatch,
    root_handler: logging.Handler,
) -> None:
    install_log_redaction()
    messages: list[str] = []
    root_handler.format = lambda record: messages.append(record.getMessage()) or ""

    logging.getLogger("notion_pipeline.some.child").warning("token %s", SECRET_TOKEN)

    assert messages == [f"token {MASK}"]


def test_install_twice_adds_one_filter(root_handler: logging.Handler) -> None:
    first = install_log_redaction()
    second = install_log_redaction()

    redacting = [f for f in root_handler.filters if isinstance(f, RedactingFilter)]
    assert first is second
    assert len(redacting) == 1
