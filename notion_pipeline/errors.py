"""Exception hierarchy shared by every part of the pipeline.

Three families matter to callers: ``RetryableError`` (try again later: rate limits, 5xx,
timeouts), ``PageGoneError`` (the page was deleted, trashed or unshared) and
``ConfigurationError`` (the user must fix a setting, a token or a sharing choice).
"""

from __future__ import annotations


class NotionPipelineError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigurationError(NotionPipelineError):
    """A setting, token or permission must be fixed by the user; retrying will not help."""


class ServiceUnavailableError(NotionPipelineError):
    """An outside service (Qdrant, Redis, the ledger database) cannot be reached."""

    def __init__(self, service: str, setting: str, detail: str) -> None:
        self.service = service
        self.setting = setting
        self.detail = detail
        super().__init__(
            f"{service} is unavailable: {detail}. Check that the service is running and that "
            f"{setting} points at it."
        )


class RetryableError(NotionPipelineError):
    """A transient fault: the same request may succeed later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class NotionRateLimitedError(RetryableError):
    """Notion returned 429 until the retry budget ran out."""


class NotionUnavailableError(RetryableError):
    """Notion returned 5xx, timed out or dropped the connection until the retry budget ran out."""


class NotionAuthError(ConfigurationError):
    """Notion rejected the token (401) or the integration lacks access (403)."""


class NotionRequestError(ConfigurationError):
    """Notion rejected a request as invalid (400 validation_error and similar)."""


class PageGoneError(NotionPipelineError):
    """The page was deleted, trashed or is no longer shared with the integration."""

    def __init__(self, page_id: str, reason: str) -> None:
        self.page_id = page_id
        self.reason = reason
        super().__init__(f"Page {page_id} is gone: {reason}")


class PageContentError(NotionPipelineError):
    """The page's content could not be read or rendered (malformed blocks, cycles)."""

    def __init__(self, page_id: str, detail: str) -> None:
        self.page_id = page_id
        super().__init__(f"Page {page_id} could not be rendered: {detail}")
