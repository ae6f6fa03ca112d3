#!/usr/bin/env bash
# Start the local Notion-compatible server with the sample workspace and `dagster dev` against it.
set -euo pipefail

port="${NOTION_DEMO_PORT:-8765}"
export NOTION_BASE_URL="${NOTION_BASE_URL:-http://127.0.0.1:${port}}"
export NOTION_TOKEN="${NOTION_TOKEN:-local-demo-token}"
mkdir -p .data/logs

notion-pipeline notion-server --port "$port" --token "$NOTION_TOKEN" >.data/logs/notion-server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT

dagster dev
