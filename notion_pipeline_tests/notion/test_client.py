import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notion_pipeline.errors import (
    NotionAuthError,
    NotionRateLimitedError,
    NotionRequestError,
    NotionUnavailableError,
    PageGoneError,
)
from notion_pipeline.notion.client import NotionClient, NotionNotFoundError
from notion_pipeline.notion.faults import FaultSettings
from notion_pipeline.notion.ratelimit import TokenBucket
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline.settings import Settings
from notion_pipeline_tests.conftest import LOCAL_NOTION_TOKEN

TOKEN = "secret_do_not_leak_4242"
PAGE_ID = "2a7b1c3d-0000-4000-8000-000000000001"
OK_PAGE = {"object": "page", "id": PAGE_ID, "properties": {}, "url": "https://www.notion.so/x"}


class ScriptedServer:
    """An HTTP server on loopback that plays back one scripted reply per request."""

    def __init__(self, replies: list[tuple]) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[str, str, float, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.requests.append((self.command, self.path, time.monotonic(), dict(self.headers)))
                reply = server.replies.pop(0) if server.replies else ("json", 200, OK_PAGE, {})
                if reply[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                kind, status, body, headers = reply
                payload = body.encode() if kind == "html" else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if kind == "html" else "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _reply

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.shutdown()
        self.http.server_close()


def error_body(status: int, code: str, message: str) -> dict:
    return {"object": "error", "status": status, "code": code, "message": message}


def scripted(*replies: tuple) -> ScriptedServer:
    return ScriptedServer(list(replies))


def make_client(url: str, **options) -> NotionClient:
    options.setdefault("backoff_base_seconds", 0.01)
    options.setdefault("max_retry_seconds", 5)
    return NotionClient(token=TOKEN, base_url=url, **options)


@pytest.fixture
def client_for() -> Iterator:
    clients: list[NotionClient] = []

    def build(url: str, **options) -> NotionClient:
        client = make_client(url, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0
        self.penalties: list[float] = []

    def acquire(self) -> None:
        self.acquired += 1

    def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)


def test_sends_notion_version_and_token(client_for):
    with scripted(("json", 200, OK_PAGE, {})) as server:
        client_for(server.url).retrieve_page(PAGE_ID)
    headers = server.requests[0][3]
    assert headers["Notion-Version"] == "2025-09-03"
    assert headers["Authorization"] == f"Bearer {TOKEN}"


def test_429_waits_retry_after(client_for):
    with scripted(("json", 429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "0.3"}),
                  ("json", 200, OK_PAGE, {})) as server:
        client_for(server.url).retrieve_page(PAGE_ID)
    waited = server.requests[1][2] - server.requests[0][2]
    assert waited >= 0.3


def test_429_retried_on_post(client_for):
    with scripted(("json", 429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "0"}),
                  ("json", 200, {"results": [], "has_more": False, "next_cursor": None}, {})) as server:
        results = list(client_for(server.url).search(filter_object="page"))
    assert results == []
    assert [request[0] for request in server.requests] == ["POST", "POST"]


def test_429_penalizes_rate_limiter(client_for):
    limiter = CountingLimiter()
    with scripted(("json", 429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "0.05"}),
                  ("json", 200, OK_PAGE, {})) as server:
        client_for(server.url, rate_limiter=limiter).retrieve_page(PAGE_ID)
    assert limiter.penalties == [0.05]


def test_every_attempt_acquires_limiter(client_for):
    limiter = CountingLimiter()
    with scripted(("json", 500, error_body(500, "internal_server_error", "x"), {}),
                  ("json", 200, OK_PAGE, {})) as server:
        client_for(server.url, rate_limiter=limiter).retrieve_page(PAGE_ID)
    assert limiter.acquired == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
def test_server_errors_retried(client_for, status):
    with scripted(("json", status, error_body(status, "service_unavailable", "x"), {}),
                  ("json", 200, OK_PAGE, {})) as server:
        page = client_for(server.url).retrieve_page(PAGE_ID)
    assert page["id"] == PAGE_ID


def test_html_502_retried(client_for):
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    with scripted(("html", 502, html, {}), ("json", 200, OK_PAGE, {})) as server:
        page = client_for(server.url).retrieve_page(PAGE_ID)
    assert page["id"] == PAGE_ID


def test_post_502_retried(client_for):
    html = "<html>Bad Gateway</html>"
    with scripted(("html", 502, html, {}),
                  ("json", 200, {"results": [], "has_more": False, "next_cursor": None}, {})) as server:
        client_for(server.url).search_page(filter_object="page")
    assert len(server.requests) == 2


def test_dropped_connection_retried(client_for):
    with scripted(("drop",), ("drop",), ("json", 200, OK_PAGE, {})) as server:
        page = client_for(server.url).retrieve_page(PAGE_ID)
    assert page["id"] == PAGE_ID


def test_timeout_retried(client_for):
    with scripted(("json", 200, OK_PAGE, {})) as server:
        original = server.http.RequestHandlerClass._reply

        def slow_then_fast(handler):
            if len(server.requests) == 0:
                server.requests.append(("GET", handler.path, time.monotonic(), {}))
                time.sleep(0.5)
                return
            original(handler)

        server.http.RequestHandlerClass.do_GET = slow_then_fast
        page = client_for(server.url, timeout_seconds=0.2).retrieve_page(PAGE_ID)
    assert page["id"] == PAGE_ID


def test_retry_cap_raises_unavailable(client_for):
    replies = [("json", 503, error_body(503, "service_unavailable", "x"), {})] * 50
    with scripted(*replies) as server:
        client = client_for(server.url, max_retry_seconds=0.3, backoff_base_seconds=0.05)
        with pytest.raises(NotionUnavailableError, match="503"):
            client.retrieve_page(PAGE_ID)


def test_retry_cap_raises_rate_limited(client_for):
    reply = ("json", 429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "30"})
    with scripted(reply) as server:
        with pytest.raises(NotionRateLimitedError) as raised:
            client_for(server.url, max_retry_seconds=1).retrieve_page(PAGE_ID)
    assert raised.value.retry_after == 30


def test_retry_logs_warning_with_path(client_for, caplog):
    caplog.set_level(logging.WARNING, logger="notion_pipeline.notion.client")
    with scripted(("json", 500, error_body(500, "internal_server_error", "x"), {}),
                  ("json", 200, OK_PAGE, {})) as server:
        client_for(server.url).retrieve_page(PAGE_ID)
    assert f"GET pages/{PAGE_ID}" in caplog.text
    assert "status 500" in caplog.text


def test_400_not_retried(client_for):
    with scripted(("json", 400, error_body(400, "validation_error", "bad filter"), {})) as server:
        with pytest.raises(NotionRequestError, match="bad filter"):
            client_for(server.url).search_page(filter_object="page")
    assert len(server.requests) == 1


def test_404_page_raises_page_gone(client_for):
    with scripted(("json", 404, error_body(404, "object_not_found", "Could not find page"), {})) as server:
        with pytest.raises(PageGoneError) as raised:
            client_for(server.url).retrieve_page(PAGE_ID)
    assert raised.value.page_id == PAGE_ID


def test_404_block_raises_not_found(client_for):
    with scripted(("json", 404, error_body(404, "object_not_found", "Could not find block"), {})) as server:
        with pytest.raises(NotionNotFoundError):
            client_for(server.url).list_block_children(PAGE_ID)


def test_403_message_says_share(client_for):
    reply = ("json", 403, error_body(403, "restricted_resource", "no access"), {})
    with scripted(reply) as server:
        with pytest.raises(NotionAuthError, match="Share the page with the integration"):
            client_for(server.url).retrieve_page(PAGE_ID)


def test_connection_refused_names_base_url():
    with scripted() as server:
        url = server.url
    client = make_client(url, max_retry_seconds=0.2)
    with pytest.raises(NotionUnavailableError) as raised:
        client.retrieve_page(PAGE_ID)
    assert url in str(raised.value)
    assert "NOTION_BASE_URL" in str(raised.value)


def test_token_not_in_repr():
    client = make_client("http://127.0.0.1:9")
    assert TOKEN not in repr(client)


def test_token_not_in_auth_error(notion_server):
    client = NotionClient(token=TOKEN, base_url=notion_server.url, token_env="NOTION_TOKEN")
    with pytest.raises(NotionAuthError) as raised:
        client.me()
    assert TOKEN not in str(raised.value)


def test_401_message_names_token_env(notion_server):
    client = NotionClient(token=TOKEN, base_url=notion_server.url, token_env="NOTION_TOKEN_TEAM")
    with pytest.raises(NotionAuthError, match="NOTION_TOKEN_TEAM"):
        client.me()


def test_from_settings_reads_workspace(monkeypatch):
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    settings = Settings.load({"NOTION_TOKEN": TOKEN, "NOTION_BASE_URL": "http://127.0.0.1:9"})
    client = NotionClient.from_settings(settings, "default")
    assert client.base_url == "http://127.0.0.1:9"


def test_from_settings_missing_token_raises(monkeypatch):
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    settings = Settings.load({"NOTION_BASE_URL": "http://127.0.0.1:9"})
    with pytest.raises(Exception, match="NOTION_TOKEN"):
        NotionClient.from_settings(settings, "default")


def test_local_server_me(notion_server):
    client = NotionClient(token=LOCAL_NOTION_TOKEN, base_url=notion_server.url)
    assert client.me()["object"] == "user"


def test_local_server_rate_limit_honoured(local_workspace):
    with LocalNotionServer(local_workspace.root, token=LOCAL_NOTION_TOKEN,
                           requests_per_second=20, burst=2) as server:
        client = NotionClient(token=LOCAL_NOTION_TOKEN, base_url=server.url,
                              backoff_base_seconds=0.01, max_retry_seconds=10)
        for _ in range(8):
            client.me()
        statuses = [record.status for record in server.request_log]
    assert statuses.count(200) == 8


def test_local_server_faults_retried(local_workspace):
    faults = FaultSettings(error_rate=0.3, drop_rate=0.05, retry_after_seconds=0.02, seed=3)
    with LocalNotionServer(local_workspace.root, token=LOCAL_NOTION_TOKEN, faults=faults) as server:
        client = NotionClient(token=LOCAL_NOTION_TOKEN, base_url=server.url,
                              rate_limiter=TokenBucket(1000, 100),
                              backoff_base_seconds=0.01, max_retry_seconds=20)
        results = list(client.search(filter_object="page", page_size=5))
    assert len(results) > 0


def test_lone_surrogates_replaced_in_responses():
    from notion_pipeline.notion.client import replace_lone_surrogates

    cleaned = replace_lone_surrogates({"title": ["half \ud800 pair", {"text": "ok \U0001f600"}]})
    assert cleaned == {"title": ["half \ufffd pair", {"text": "ok \U0001f600"}]}
