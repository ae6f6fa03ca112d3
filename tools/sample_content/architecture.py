"""Architecture notes and the decisions database."""

from sample_content.dsl import (
    DatabaseSpec,
    PageSpec,
    callout,
    child_database,
    child_page,
    code,
    columns,
    equation,
    h2,
    h3,
    h4,
    media,
    ol,
    p,
    table,
    toggle,
    ul,
)

ARCHITECTURE = PageSpec(
    slug="architecture",
    title="Architecture notes",
    parent="home",
    icon="🏛️",
    blocks=[
        p(
            "These notes describe how the platform works today. Why it works that way is recorded in the "
            "decisions database below; each decision links back to the note it changed."
        ),
        child_page("system-overview"),
        child_page("ingestion"),
        child_page("eta-model"),
        child_page("storage-retention"),
        child_page("backpressure"),
        h2("Decisions"),
        child_database("decisions"),
    ],
)

SYSTEM_OVERVIEW = PageSpec(
    slug="system-overview",
    title="System overview",
    parent="architecture",
    icon="🗺️",
    blocks=[
        media("image", "https://example.com/diagrams/platform-overview.png", "The platform at a glance: scanners on the left, customers on the right"),
        p("Five services carry a scan from a depot scanner to a customer's screen."),
        columns(
            [
                h3("Write path"),
                ol("**ingest-gateway** accepts scan batches over HTTPS and writes them to Kafka."),
                ol("**scan-normalizer** validates, deduplicates and enriches each scan."),
                ol("**tracker** folds scans into the current state of each parcel in Postgres."),
            ],
            [
                h3("Read path"),
                ol("**tracker-api** serves parcel state to the tracking page and to partners."),
                ol("**notifier** sends emails and push messages when a parcel changes state."),
            ],
        ),
        h2("Numbers worth remembering"),
        ul("Peak load is about 1,800 scans a second, on Mondays between 07:00 and 09:00 CET."),
        ul("A scan usually reaches the tracking page in under 4 seconds; the SLO is 30 seconds for 99% of scans."),
    ],
)

INGESTION = PageSpec(
    slug="ingestion",
    title="Scan ingestion service",
    parent="architecture",
    icon="📥",
    blocks=[
        p(
            "The ingest-gateway is deliberately dumb: it authenticates the scanner, checks the batch size "
            "and writes the raw batch to the `scan-batches` topic. All parsing happens later, so that a "
            "parser bug never makes us drop scans at the door."
        ),
        h2("Limits"),
        table(
            [
                ["Limit", "Value", "Why"],
                ["Batch size", "500 scans or 1 MB", "Older scanners buffer a whole shift offline"],
                ["Requests per scanner", "5 per second", "A stuck retry loop should not starve a depot"],
                ["Clock skew accepted", "±10 minutes", "Scanner clocks drift; beyond this we use the receive time"],
            ]
        ),
        h2("Deduplication"),
        p(
            "Scanners resend batches when they lose the connection, so the normalizer keeps a key "
            "`(scanner_id, sequence_number)` in Redis for 48 hours and drops repeats."
        ),
        code(
            "python",
            "def is_duplicate(redis, scan):\n"
            "    key = f\"seen:{scan.scanner_id}:{scan.sequence_number}\"\n"
            "    # SET NX returns None when the key already exists\n"
            "    return redis.set(key, 1, nx=True, ex=48 * 3600) is None",
            "The whole deduplication check",
        ),
    ],
)

ETA_MODEL = PageSpec(
    slug="eta-model",
    title="Delivery time estimates",
    parent="architecture",
    icon="⏳",
    blocks=[
        p(
            "The tracking page shows an estimated delivery window. The estimate blends the courier's "
            "planned route with how fast that depot has actually been delivering today."
        ),
        h2("The blend"),
        p("For a parcel with $n$ stops left on the route, the estimated time to delivery is"),
        equation(r"\hat{t} = \alpha \cdot t_{\text{plan}} + (1 - \alpha) \cdot n \cdot \bar{s}_{\text{today}}"),
        p(
            "where $\\bar{s}_{\\text{today}}$ is the mean time per stop for the depot since 06:00 and "
            "$\\alpha$ starts at 1 in the morning and falls to 0.3 once the depot has completed 50 stops."
        ),
        h2("The window"),
        p("The window is the estimate plus or minus twice the standard deviation of today's stop times:"),
        equation(r"\left[\hat{t} - 2\sigma,\; \hat{t} + 2\sigma\right]"),
        h3("Known weaknesses"),
        h4("Rural routes"),
        p("Stops far apart break the assumption that stops take similar time; the window is too narrow there."),
        h4("The first hour"),
        p("Before 50 stops the estimate is the plan alone, which is optimistic on rainy days."),
    ],
)

STORAGE = PageSpec(
    slug="storage-retention",
    title="Data storage and retention",
    parent="architecture",
    icon="🗃️",
    blocks=[
        p("Where each kind of data lives and how long we keep it."),
        table(
            [
                ["Data", "Store", "Kept for", "Deleted by"],
                ["Raw scan batches", "Kafka, then S3", "7 days in Kafka, 13 months in S3", "S3 lifecycle rule"],
                ["Parcel state", "Postgres `tracking`", "90 days after delivery", "Nightly `purge_delivered` job"],
                ["Customer contact details", "Postgres `notify`", "30 days after delivery", "Nightly job, **audited monthly**"],
                ["Analytics events", "Warehouse", "25 months", ""],
            ]
        ),
        callout(
            "⚖️",
            "Retention periods come from our contracts with couriers. Changing one needs sign-off from legal, "
            "not just from engineering.",
        ),
    ],
)

BACKPRESSURE = PageSpec(
    slug="backpressure",
    title="Queueing and backpressure",
    parent="architecture",
    icon="🚰",
    blocks=[
        p(
            "Kafka absorbs bursts, so the services behind it can run at a steady rate. The danger is the "
            "opposite of a burst: a slow consumer that lets lag grow for hours without anyone noticing."
        ),
        h2("How much lag is acceptable"),
        p(
            "With 24 partitions and a normalizer throughput of about 250 scans per second per partition, "
            "a lag of 600,000 messages takes roughly 100 seconds to clear. The lag alert fires at that level."
        ),
        h2("What happens when the tracker falls behind"),
        toggle(
            "The short version",
            p("The tracker pauses consumption when Postgres write latency passes 200 ms, so the lag moves to Kafka."),
            toggle(
                "Why not just scale the tracker out",
                p(
                    "More tracker replicas mean more concurrent writers on the same hot rows; during the "
                    "Monday peak that makes write latency worse, not better."
                ),
            ),
        ),
    ],
)

DECISIONS = DatabaseSpec(
    slug="decisions",
    title="Architecture decisions",
    parent="architecture",
    description="One row per significant technical decision: the context, what we chose and what it cost.",
    icon="⚖️",
    schema={
        "Name": {"type": "title"},
        "Status": {
            "type": "status",
            "options": [("Proposed", "yellow"), ("Accepted", "green"), ("Superseded", "gray"), ("Rejected", "red")],
            "groups": [
                ("To-do", "gray", ["Proposed"]),
                ("In progress", "blue", []),
                ("Complete", "green", ["Accepted", "Superseded", "Rejected"]),
            ],
        },
        "Area": {
            "type": "select",
            "options": [("Platform", "blue"), ("Data", "purple"), ("Frontend", "pink"), ("Reliability", "orange"), ("Process", "brown")],
        },
        "Tags": {
            "type": "multi_select",
            "options": [
                ("kafka", "default"),
                ("postgres", "blue"),
                ("redis", "red"),
                ("security", "orange"),
                ("cost", "green"),
                ("latency", "yellow"),
                ("testing", "gray"),
                ("api", "purple"),
            ],
        },
        "Decided": {"type": "date"},
        "Owners": {"type": "people"},
        "Reference": {"type": "url"},
        "Summary": {"type": "rich_text"},
    },
)


def decision(slug: str, title: str, properties: dict, *blocks) -> PageSpec:
    return PageSpec(slug=slug, title=title, database="decisions", properties=properties, blocks=list(blocks))


DECISION_ROWS = [
    decision(
        "adr-kafka",
        "Use Kafka as the scan buffer",
        {
            "Status": "Accepted",
            "Area": "Platform",
            "Tags": ["kafka", "latency"],
            "Decided": "2025-04-14",
            "Owners": ["amara", "yuki"],
            "Reference": "https://example.com/design-docs/scan-buffer",
            "Summary": "Put a durable log between the gateway and the normalizer so parsing bugs never drop scans.",
        },
        h2("Context"),
        p("Scans were written straight to Postgres. A bad deploy of the parser lost two hours of scans from three depots."),
        h2("Decision"),
        p("The gateway writes raw batches to Kafka; every later step reads from there and can replay."),
        h2("Consequences"),
        ul("We operate a Kafka cluster, which costs about one engineer-day a month."),
        ul("Replays after a parser fix are routine instead of impossible."),
    ),
    decision(
        "adr-postgres-state",
        "Keep parcel state in Postgres, not a key-value store",
        {
            "Status": "Accepted",
            "Area": "Data",
            "Tags": ["postgres"],
            "Decided": "2025-05-02",
            "Owners": ["lena"],
            "Reference": "https://example.com/design-docs/parcel-state",
            "Summary": "Support teams query parcels in ad-hoc ways; SQL beats a faster store we cannot query.",
        },
        h2("Context"),
        p("We benchmarked DynamoDB and Postgres for the tracker's write pattern. Both met the latency goal."),
        h2("Decision"),
        p("Postgres, because the support team answers courier questions with SQL every day."),
    ),
    decision(
        "adr-redis-dedup",
        "Deduplicate scans with Redis keys that expire",
        {
            "Status": "Accepted",
            "Area": "Platform",
            "Tags": ["redis", "kafka"],
            "Decided": "2025-06-20",
            "Owners": ["yuki"],
            "Reference": "https://example.com/design-docs/dedup",
            "Summary": "A 48-hour key per scanner sequence number; cheaper than a unique index on every scan.",
        },
        p("Scanners resend batches after network loss. A unique index on 2 billion scans a year was too expensive to keep."),
        p("Keys expire after 48 hours, because no scanner has been seen to resend older batches."),
    ),
    decision(
        "adr-graphql",
        "Offer a GraphQL API to partners",
        {
            "Status": "Rejected",
            "Area": "Frontend",
            "Tags": ["api"],
            "Decided": "2025-07-08",
            "Owners": ["noa"],
            "Reference": "https://example.com/design-docs/partner-api",
            "Summary": "Partners asked for webhooks, not flexible queries; we kept REST and added webhooks.",
        },
        p(
            "We interviewed six partner couriers. None of them wanted to write queries; all of them wanted "
            "to be told when a parcel changed state. GraphQL would have added a second API to secure for no gain."
        ),
    ),
    decision(
        "adr-mtls",
        "Require mutual TLS between services",
        {
            "Status": "Accepted",
            "Area": "Reliability",
            "Tags": ["security"],
            "Decided": "2025-08-11",
            "Owners": ["omar", "tomas"],
            "Reference": "https://example.com/design-docs/mtls",
            "Summary": "Every internal call is authenticated by certificate; see the TLS rotation runbook.",
        },
        p("Network policies alone did not satisfy the audit clause in the courier contracts, which asks for authenticated calls."),
        p("Rotation is described in @[page:runbook-tls]."),
    ),
    decision(
        "adr-monorepo",
        "Move the platform services into one repository",
        {
            "Status": "Accepted",
            "Area": "Process",
            "Tags": ["testing"],
            "Decided": "2025-09-15",
            "Owners": ["priya", "amara"],
            "Reference": "https://example.com/design-docs/monorepo",
            "Summary": "Cross-service changes needed four coordinated pull requests; now they need one.",
        },
        p("The five services shared a schema package that was versioned separately. Most incidents in spring 2025 came from version skew."),
    ),
    decision(
        "adr-polling-tracking-page",
        "Refresh the tracking page by polling every 20 seconds",
        {
            "Status": "Superseded",
            "Area": "Frontend",
            "Tags": ["latency", "cost"],
            "Decided": "2025-03-03",
            "Owners": ["noa"],
            "Reference": "https://example.com/design-docs/tracking-refresh",
            "Summary": "Simple and cacheable. Superseded by server-sent events once the CDN supported them.",
        },
        p("Polling every 20 seconds kept the CDN hit rate above 90%. It was replaced by server-sent events in January 2026."),
    ),
    decision(
        "adr-sse",
        "Push tracking updates with server-sent events",
        {
            "Status": "Accepted",
            "Area": "Frontend",
            "Tags": ["latency", "api"],
            "Decided": "2026-01-19",
            "Owners": ["noa", "yuki"],
            "Reference": "https://example.com/design-docs/tracking-sse",
            "Summary": "Updates reach the page in about a second instead of up to 20.",
        },
        p("Server-sent events work through every corporate proxy our customers use, unlike WebSockets."),
        p("Connections are closed after 10 minutes without an update; the page then falls back to polling once a minute."),
    ),
    decision(
        "adr-spot-instances",
        "Run the normalizer on spot instances",
        {
            "Status": "Proposed",
            "Area": "Platform",
            "Tags": ["cost", "kafka"],
            "Decided": "2026-02-23",
            "Owners": ["tomas"],
            "Reference": "https://example.com/design-docs/spot-normalizer",
            "Summary": "Would cut compute cost for the normalizer by about 60%; interruptions only add lag.",
        },
        p("The normalizer is stateless and reads from Kafka, so an interrupted instance only delays scans by a few seconds."),
        p("Open question: how does the lag alert behave when a third of the instances vanish at once?"),
    ),
    decision(
        "adr-contract-tests",
        "Contract tests between tracker-api and the tracking page",
        {
            "Status": "Accepted",
            "Area": "Process",
            "Tags": ["testing", "api"],
            "Decided": "2026-03-09",
            "Owners": ["noa", "lena"],
            "Summary": "",
        },
        p("The page broke twice when an API field became nullable. Contract tests now run in both repositories' CI."),
    ),
]

PAGES = [ARCHITECTURE, SYSTEM_OVERVIEW, INGESTION, ETA_MODEL, STORAGE, BACKPRESSURE, *DECISION_ROWS]
DATABASES = [DECISIONS]
