"""Meeting notes: the weekly sync archive (a very long page), a planning page and a retro."""

from datetime import date, timedelta

from sample_content.dsl import (
    BlockSpec,
    PageSpec,
    callout,
    child_page,
    columns,
    h2,
    h3,
    p,
    table,
    todo,
    toggle,
    ul,
)

MEETINGS = PageSpec(
    slug="meetings",
    title="Meeting notes",
    parent="home",
    icon="🗒️",
    blocks=[
        p("Notes from recurring meetings. Decisions made in a meeting also go into the decisions database."),
        child_page("weekly-sync"),
        child_page("planning-2026-q2"),
        child_page("retro-sse-launch"),
    ],
)

ATTENDEE_GROUPS = [
    "@[user:priya], @[user:amara], @[user:yuki], @[user:tomas]",
    "@[user:priya], @[user:noa], @[user:lena], @[user:omar]",
    "@[user:amara], @[user:yuki], @[user:noa], @[user:tomas], @[user:lena]",
]

TOPICS = [
    "Reviewed the on-call handoff notes; nobody was paged at night.",
    "The tracker's Postgres write latency crept up after the vacuum settings change; @[user:lena] will revert it.",
    "Agreed to move the staging cluster upgrade to next week because of the courier onboarding.",
    "Two new couriers start sending scans next month; ingest-gateway limits need no change.",
    "Reminder: postmortem review on Thursday covers last week's notification delay.",
    "The flaky `test_replay_after_fix` test was quarantined and an issue opened.",
    "Dependency updates merged for the normalizer; the Kafka client needed a config rename.",
    "The weekly KPI email now includes the share of scans older than 10 minutes.",
    "Discussed whether the tracking page should show the van's position; product will decide.",
    "Security review of the partner webhooks found no blocking issues.",
    "Disk pressure alerts fired three times on worker nodes; see the runbook updates.",
    "Hiring: two backend interviews this week, one frontend offer out.",
    "The route-planner team asked for read access to depot opening hours; granted via a view.",
    "Grafana dashboards for the notifier were reorganised by @[user:noa].",
]


def week_entry(index: int, week_start: date) -> list[BlockSpec]:
    """Build one generated week of sync notes: heading, attendees and three agenda items."""
    deploys = 11 + (index * 7) % 19
    rollbacks = (index * 5) % 3
    lag_p99 = 6 + (index * 13) % 17
    return [
        h3(f"Week of {week_start.isoformat()}"),
        p(f"Attendees: {ATTENDEE_GROUPS[index % len(ATTENDEE_GROUPS)]}"),
        ul(f"Deploys last week: {deploys}, rollbacks: {rollbacks}. Scan lag p99 was {lag_p99} seconds against a target of 30."),
        ul(TOPICS[index % len(TOPICS)]),
        ul(TOPICS[(index * 5 + 3) % len(TOPICS)]),
    ]


def weekly_sync_blocks() -> list[BlockSpec]:
    blocks = [
        callout(
            "📌",
            "Oldest notes first. The sync is on Mondays at 10:00 Lisbon time; add agenda items at the bottom "
            "of the current week before the meeting starts.",
        ),
    ]
    first_week = date(2025, 3, 3)
    for index in range(50):
        blocks.extend(week_entry(index, first_week + timedelta(weeks=index)))
    blocks.extend(
        [
            h3("Week of 2026-02-16"),
            p("Attendees: @[user:priya], @[user:amara], @[user:yuki], @[user:noa], @[user:tomas], @[user:lena], @[user:omar]"),
            ul("Deploys last week: 22, rollbacks: 1. Scan lag p99 was 9 seconds against a target of 30."),
            ul("Kafka 4.0 upgrade plan reviewed; @[user:yuki] owns it, target @[date:2026-03-30]."),
            ul("Spot instances for the normalizer: @[user:tomas] will write the proposal."),
            h3("Week of 2026-02-23"),
            p("Attendees: @[user:priya], @[user:amara], @[user:yuki], @[user:tomas]"),
            ul("Deploys last week: 17, rollbacks: 0. Scan lag p99 was 7 seconds against a target of 30."),
            ul(
                "Decision: the staging database schema is frozen from @[date:2026-03-16] until the Kafka upgrade "
                "is finished, so that upgrade rehearsals run against a stable schema."
            ),
            ul("The Lisbon office moves from floor 2 to floor 4 on @[date:2026-04-06]; desks are assigned by team."),
        ]
    )
    return blocks


WEEKLY_SYNC = PageSpec(
    slug="weekly-sync",
    title="Weekly engineering sync: notes archive",
    parent="meetings",
    icon="📅",
    blocks=weekly_sync_blocks(),
)

PLANNING = PageSpec(
    slug="planning-2026-q2",
    title="Planning: second quarter 2026",
    parent="meetings",
    icon="🎯",
    blocks=[
        p("Held on @[date:2026-03-12] with the whole platform and product engineering group."),
        h2("Goals"),
        columns(
            [
                h3("Platform"),
                ul("Finish the Kafka 4.0 upgrade with no customer-visible downtime."),
                ul("Cut compute cost for the normalizer by a third."),
            ],
            [
                h3("Product"),
                ul("Ship delivery windows of one hour for urban depots."),
                ul("Let customers choose a safe place for the parcel on the tracking page."),
            ],
        ),
        h2("Capacity"),
        table(
            [
                ["Team", "Engineers", "Planned weeks", "Reserved for on-call and support"],
                ["Platform", "5", "60", "**20%**"],
                ["Product", "4", "48", "10%"],
            ]
        ),
        h2("Explicitly not this quarter"),
        ul("A native mobile app. The tracking page works on phones and the numbers do not justify an app yet."),
        ul("Moving off Postgres."),
        toggle("Parking lot", p("Offline mode for scanners in areas without coverage; revisit in the third quarter.")),
    ],
)

RETRO = PageSpec(
    slug="retro-sse-launch",
    title="Retro: tracking page live updates launch",
    parent="meetings",
    icon="🔄",
    blocks=[
        p("Retrospective on the launch of server-sent events for the tracking page, held two weeks after launch."),
        h2("What went well"),
        ul("The feature flag let us roll out to 5%, 25% and 100% of customers over three days."),
        ul("Load tests predicted the connection count within 10%."),
        h2("What did not"),
        ul("The CDN closed idle connections after 60 seconds in one region, which we only found in production."),
        ul("The support team learned about the launch from customers."),
        h2("Actions"),
        todo("Add the product support lead to launch announcements", True),
        todo("Send a heartbeat comment every 30 seconds on idle connections", True),
        todo("Document CDN timeouts per region in the architecture notes", False),
    ],
)

PAGES = [MEETINGS, WEEKLY_SYNC, PLANNING, RETRO]
