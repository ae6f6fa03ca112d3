"""Remove secrets (Notion tokens, API keys, passwords in connection strings) from text and logs."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"

# Secrets shorter than this are not replaced, because masking every "ab" or "1234" in a log
# line would garble it.
MIN_SECRET_LENGTH = 6

# The userinfo part of a URL: everything between "scheme://" and the last "@" of the authority.
# A multi-host MongoDB URI ("mongodb://u:p@h1,h2/db") has one userinfo for all hosts.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@]+)@")

# Notion internal integration tokens: the older "secret_…" form and the newer "ntn_…" form.
_NOTION_TOKEN = re.compile(r"\b(?:secret|ntn)_[A-Za-z0-9]{20,}")

# Environment variables whose whole value is a secret.
_SECRET_ENV_PREFIXES = ("NOTION_TOKEN",)
_SECRET_ENV_NAMES = ("QDRANT_API_KEY", "DAGSTER_PG_PASSWORD", "REDIS_PASSWORD", "MONGODB_PASSWORD")

# Environment variables that may hold a URL with a password in it.
_URL_ENV_NAMES = ("MONGODB_URI", "REDIS_URL", "QDRANT_URL")
_URL_ENV_PREFIXES = ("DAGSTER_PG_",)


def redact_url(url: str) -> str:
    """Replace the user name and password of every URL in ``url`` with ``***``."""
    return _URL_CREDENTIALS.sub(lambda match: f"{match['scheme']}{MASK}@", url)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask secrets in ``text``: the given ones, secret environment values, Notion tokens, URL passwords.

    The environment is read on every call, so a token set after start-up is still masked.
    """
    if not text:
        return text

    values = set(_usable(secrets)) | set(environment_secrets())
    # Longest first, so a secret that contains another one is masked whole.
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)

    text = _NOTION_TOKEN.sub(MASK, text)
    return redact_url(text)


def environment_secrets(environ: dict[str, str] | None = None) -> list[str]:
    """Return the secret values found in the environment (tokens, keys, URL passwords)."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    for name, value in env.items():
        if name.startswith(_SECRET_ENV_PREFIXES) or name in _SECRET_ENV_NAMES:
            found.append(value)
        if name in _URL_ENV_NAMES or name.startswith(_URL_ENV_PREFIXES):
            found.extend(url_passwords(value))
    return list(_usable(found))


def url_passwords(text: str) -> list[str]:
    """Return the passwords of the URLs in ``text``, both as written and percent-decoded."""
    passwords: list[str] = []
    for match in _URL_CREDENTIALS.finditer(text):
        user, separator, password = match["userinfo"].partition(":")
        if not separator:
            continue
        passwords.append(password)
        decoded = unquote(password)
        if decoded != password:
            passwords.append(decoded)
    return passwords


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in each record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None

        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction() -> RedactingFilter:
    """Add a redacting filter to the root logger and to each of its handlers; return the filter.

    Python applies a logger's filters only to records logged through that logger itself, not to
    records that propagate up from child loggers, so the filter also goes on the root's handlers.
    Calling this again adds the filter to handlers attached since and never adds it twice.
    """
    root = logging.getLogger()
    installed = next((f for f in root.filters if isinstance(f, RedactingFilter)), None)
    if installed is None:
        installed = RedactingFilter()
        root.addFilter(installed)

    # NOTE: a handler attached to the root after this call is covered only once this function
    # runs again, and handlers of loggers with propagate=False are never covered.
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(installed)
    return installed


def _usable(values: Iterable[str]) -> Iterable[str]:
    for value in values:
        value = value.strip()
        if len(value) >= MIN_SECRET_LENGTH:
            yield value
