"""The ``notion-pipeline`` command: local Notion server, search, dead letters and progress events."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from notion_pipeline.errors import NotionPipelineError


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    from notion_pipeline import events
    from notion_pipeline.indexing import search
    from notion_pipeline.notion import server

    parser = argparse.ArgumentParser(
        prog="notion-pipeline",
        description="Keep a Qdrant index in step with Notion. Syncs run through Dagster "
        "(`dagster dev`, `dagster job launch`, `dagster job execute -j notion_full_sync`).",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="log progress (-v) or everything (-vv); by default only warnings and errors",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    server.register_cli(subparsers)
    search.register_cli(subparsers)
    events.register_cli(subparsers)
    _register_dlq(subparsers)
    return parser


def _register_dlq(subparsers: argparse._SubParsersAction) -> None:
    dlq = subparsers.add_parser("dlq", help="list, replay or resolve pages that failed for good")
    actions = dlq.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="print open dead-letter records")
    listing.add_argument("--workspace", help="only this workspace id")
    listing.add_argument("--all", action="store_true", help="include resolved records")
    listing.add_argument("--json", action="store_true", help="print one JSON object per record")
    listing.set_defaults(func=_dlq_list)

    replay = actions.add_parser(
        "replay",
        help="sync the pages again now, in this process, as a run of the notion_dlq_replay job "
        "(recorded in the Dagster instance at DAGSTER_HOME when it is set)",
    )
    replay.add_argument("--workspace", help="only this workspace id")
    replay.add_argument("--page", action="append", default=[], help="only this page id (repeatable)")
    replay.set_defaults(func=_dlq_replay)

    resolve = actions.add_parser("resolve", help="mark records resolved without syncing again")
    resolve.add_argument("--workspace", required=True, help="workspace id")
    resolve.add_argument("--page", action="append", default=[], help="only this page id (repeatable)")
    resolve.set_defaults(func=_dlq_resolve)


def _dlq_list(args: argparse.Namespace) -> int:
    from notion_pipeline.ledger import open_ledger
    from notion_pipeline.settings import Settings

    ledger = open_ledger(Settings.load())
    try:
        letters = ledger.list_dead_letters(args.workspace, include_resolved=args.all)
    finally:
        ledger.close()
    for letter in letters:
        if args.json:
            print(
                json.dumps(
                    {
                        "workspace_id": letter.workspace_id,
                        "page_id": letter.page_id,
                        "run_id": letter.run_id,
                        "attempts": letter.attempts,
                        "error": letter.error,
                        "recorded_at": letter.recorded_at.isoformat(),
                        "resolved_at": letter.resolved_at.isoformat() if letter.resolved_at else None,
                    }
                )
            )
        else:
            state = "resolved" if letter.resolved_at else "open"
            first_line = letter.error.splitlines()[0] if letter.error else ""
            print(
                f"{letter.workspace_id}\t{letter.page_id}\t{state}\truns={letter.run_id}\t"
                f"attempts={letter.attempts}\t{first_line}"
            )
    if not letters and not args.json:
        print("No dead-letter records.")
    return 0


def _dlq_replay(args: argparse.Namespace) -> int:
    import dagster as dg

    from notion_pipeline.definitions import defs
    from notion_pipeline.defs.jobs import DLQ_REPLAY_JOB_NAME

    if os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
    else:
        logging.getLogger(__name__).warning(
            "DAGSTER_HOME is not set: the replay run is not recorded in any Dagster instance."
        )
        instance = dg.DagsterInstance.ephemeral()
    config: dict[str, object] = {"page_ids": args.page}
    if args.workspace:
        config["workspace_id"] = args.workspace
    job = defs.resolve_job_def(DLQ_REPLAY_JOB_NAME)
    result = job.execute_in_process(
        instance=instance,
        run_config={"ops": {"replay_dead_letters": {"config": config}}},
        raise_on_error=False,
    )
    if result.success:
        print(f"Replay run {result.run_id} succeeded.")
        return 0
    print(f"Replay run {result.run_id} failed; the pages stay in the dead-letter records.", file=sys.stderr)
    return 1


def _dlq_resolve(args: argparse.Namespace) -> int:
    from notion_pipeline.ledger import open_ledger
    from notion_pipeline.settings import Settings

    ledger = open_ledger(Settings.load())
    try:
        count = ledger.resolve_dead_letters(args.workspace, args.page or None)
    finally:
        ledger.close()
    print(f"Resolved {count} dead-letter records in workspace {args.workspace}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logging.basicConfig(
        level=levels.get(args.verbose, logging.DEBUG),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from notion_pipeline.redaction import install_log_redaction

    install_log_redaction()
    try:
        status = args.func(args)
    except NotionPipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
