"""Helpers for the deployment tests that read what the runs of a deployment wrote."""

from __future__ import annotations

from notion_pipeline.ledger import Ledger, open_ledger
from notion_pipeline.settings import Settings
from notion_pipeline_tests.deploy.conftest import Deployment

CODE_MODULE = "notion_pipeline.definitions"


def open_deployment_ledger(deployment: Deployment) -> Ledger:
    """Open the ledger the deployment's runs write (SQLite under NOTION_PIPELINE_DATA_DIR)."""
    return open_ledger(Settings.load(deployment.env))
