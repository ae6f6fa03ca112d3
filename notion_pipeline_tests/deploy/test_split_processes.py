"""The user code in its own gRPC code server, with the webserver and the daemon as separate processes.

The webserver and the daemon get only the Dagster settings (DAGSTER_HOME, DAGSTER_PG_*), never the
Notion token: they reach the definitions through the code server, which evaluates sensors and
starts run workers with its own environment.
"""

from __future__ import annotations

import dagster as dg
import httpx
import pytest
import yaml

from notion_pipeline.defs.jobs import FULL_SYNC_JOB_NAME
from notion_pipeline.defs.partitions import page_asset_key
from notion_pipeline.ledger import PageStatus
from notion_pipeline_tests.deploy.conftest import DEPLOY_DIR, Deployment, free_port
from notion_pipeline_tests.deploy.scenario import CODE_MODULE, open_deployment_ledger

pytestmark = pytest.mark.e2e

LOCATION_NAME = "notion_pipeline"
PIPELINE_SETTINGS_PREFIXES = ("NOTION_", "REDIS_URL", "QDRANT_", "MONGODB_", "EMBEDDING_")

WORKSPACE_QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories { name jobs { name } assetNodes { assetKey { path } } }
          }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""

LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""


def write_workspace_file(deployment: Deployment, grpc_port: int) -> str:
    """Copy deploy/workspace.yaml with the code server's port filled in."""
    workspace = yaml.safe_load((DEPLOY_DIR / "workspace.yaml").read_text())
    workspace["load_from"][0]["grpc_server"]["port"] = grpc_port
    path = deployment.home / "workspace.yaml"
    path.write_text(yaml.safe_dump(workspace))
    return str(path)


def dagster_only_env(deployment: Deployment) -> dict[str, str]:
    """Return the deployment's environment without any pipeline setting or Notion token."""
    return {
        name: value
        for name, value in deployment.env.items()
        if not name.startswith(PIPELINE_SETTINGS_PREFIXES)
    }


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, f"GraphQL errors: {body['errors']}"
    return body["data"]


def webserver_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/server_info", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def location_loaded(url: str) -> dict | None:
    """Return the code location's repository once the webserver has loaded it from gRPC."""
    entries = graphql(url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    for entry in entries:
        location = entry["locationOrLoadError"]
        if entry["name"] == LOCATION_NAME and location and location["__typename"] == "RepositoryLocation":
            return location["repositories"][0]
    return None


def test_split_processes_run_full_sync(deployment: Deployment):
    grpc_port = free_port()
    web_port = free_port()
    workspace_file = write_workspace_file(deployment, grpc_port)
    url = f"http://127.0.0.1:{web_port}"

    deployment.start(
        "code-server", "dagster", "code-server", "start", "-m", CODE_MODULE,
        "-h", "127.0.0.1", "-p", str(grpc_port), "--location-name", LOCATION_NAME,
    )
    deployment.start(
        "webserver", "dagster-webserver", "-w", workspace_file, "-h", "127.0.0.1", "-p", str(web_port),
        env=dagster_only_env(deployment),
    )
    deployment.start("daemon", "dagster-daemon", "run", "-w", workspace_file, env=dagster_only_env(deployment))
    deployment.wait_for(lambda: webserver_ready(url), "the webserver to answer", timeout=120)

    repository = deployment.wait_for(
        lambda: location_loaded(url), f"the webserver to load code location {LOCATION_NAME}", timeout=180
    )
    assert FULL_SYNC_JOB_NAME in {job["name"] for job in repository["jobs"]}
    asset_paths = [node["assetKey"]["path"] for node in repository["assetNodes"]]
    assert list(page_asset_key(deployment.workspace_id).path) in asset_paths

    params = {
        "selector": {
            "repositoryLocationName": LOCATION_NAME,
            "repositoryName": repository["name"],
            "jobName": FULL_SYNC_JOB_NAME,
        },
        "runConfigData": {},
    }
    launched = graphql(url, LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", f"Run was not launched: {launched}"
    run = deployment.wait_for_run(launched["run"]["runId"])

    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.remote_job_origin.location_name == LOCATION_NAME
    ledger = open_deployment_ledger(deployment)
    try:
        assert ledger.list_pages(deployment.workspace_id, PageStatus.INDEXED)
    finally:
        ledger.close()
