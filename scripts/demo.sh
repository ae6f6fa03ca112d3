#!/usr/bin/env bash
# Serve the bundled sample workspace with the local Notion-compatible server, run the full sync
# through Dagster in one process, and search the result.
set -euo pipefail

port="${NOTION_DEMO_PORT:-$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
export NOTION_BASE_URL="http://127.0.0.1:${port}"
export NOTION_TOKEN="${NOTION_DEMO_TOKEN:-local-demo-token}"
export NOTION_PIPELINE_DATA_DIR="${NOTION_PIPELINE_DATA_DIR:-$PWD/.data}"
# The local server is not Notion: lift the client's 3 requests/s limit so the demo is quick.
export NOTION_REQUESTS_PER_SECOND="${NOTION_REQUESTS_PER_SECOND:-50}"
export NOTION_BURST="${NOTION_BURST:-50}"
log_dir="${NOTION_PIPELINE_DATA_DIR}/logs"
mkdir -p "$log_dir"

notion-pipeline notion-server --port "$port" --token "$NOTION_TOKEN" >"$log_dir/notion-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    if grep -q "listening on" "$log_dir/notion-server.log" 2>/dev/null; then break; fi
    sleep 0.1
done
echo "Local Notion server with the sample workspace at $NOTION_BASE_URL (log: $log_dir/notion-server.log)"

echo "Running the full sync through Dagster (DAGSTER_HOME=$DAGSTER_HOME)..."
dagster job execute -m notion_pipeline.definitions -j notion_full_sync >"$log_dir/full-sync.log" 2>&1 || {
    echo "The full sync failed; its log follows." >&2
    tail -n 40 "$log_dir/full-sync.log" >&2
    exit 1
}
grep -E "Finished syncing workspace|Reconciling workspace" "$log_dir/full-sync.log" | sed -E 's/.* - (INFO|DEBUG) - //' || true

query="${NOTION_DEMO_QUERY:-who do I page when production is down at night}"
echo
echo "Searching the index: \"$query\""
notion-pipeline search "$query" --limit 3
echo
echo "Index: $NOTION_PIPELINE_DATA_DIR/qdrant (Qdrant local mode). Search it again with:"
echo "  source .venv/bin/activate && notion-pipeline search \"your question\""
