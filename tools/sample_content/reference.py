"""Reference pages: glossary, service catalogue, the team's offices, tools, an empty and a trashed page."""

from sample_content.dsl import (
    BlockSpec,
    PageSpec,
    ai_block,
    bookmark,
    breadcrumb,
    callout,
    divider,
    embed,
    h2,
    h3,
    link_preview,
    link_to_page,
    media,
    p,
    quote,
    toggle,
    ul,
    unshared_database,
    unsupported,
)

GLOSSARY_TERMS = [
    ("Consumer lag", "How many messages a Kafka consumer group still has to read. We alert on lag, not on throughput."),
    ("Dead-letter queue", "The `scan-events-dlq` topic. Messages that no consumer can process are moved there so they can be replayed after a fix instead of blocking the partition."),
    ("Depot cutoff", "The time after which a depot no longer loads parcels onto vans for same-day delivery, usually 08:30 local time. Scans after the cutoff count towards the next day."),
    ("Handoff note", "The message the outgoing on-call engineer posts in #oncall-handoff at the end of a shift."),
    ("Poison message", "A message that makes every consumer crash on the same offset. See the stuck scan queue runbook."),
    ("Scan", "One event from a scanner: a parcel id, a location, an event type and the scanner's clock time."),
    ("Scan lag", "Time between the scanner recording a scan and the tracking page showing it. The SLO is 30 seconds for 99% of scans."),
    ("Scribe", "The person who keeps the timeline during an incident so the commander can coordinate."),
    ("SLO", "Service level objective: the level of reliability we promise ourselves, stricter than what contracts promise customers."),
    ("Tier", "How critical a service is. Tier 1 services page at night; tier 3 services only open tickets."),
]

GLOSSARY = PageSpec(
    slug="glossary",
    title="Glossary",
    parent="home",
    icon="📖",
    blocks=[
        p("Terms we use every day, in alphabetical order. Open a term to read its definition."),
        *[toggle(f"**{term}**", p(definition)) for term, definition in GLOSSARY_TERMS],
        divider(),
        p("Missing a term? Add it, or ask @[user:lena] to."),
    ],
)

SERVICE_DOMAINS = [
    "parcel", "depot", "route", "courier", "scan", "notify",
    "billing", "partner", "label", "address", "returns", "report",
]
SERVICE_KINDS = [
    ("api", "serves HTTP requests from other services"),
    ("worker", "consumes a Kafka topic and writes results to Postgres"),
    ("sync", "copies reference data from a courier system every 15 minutes"),
    ("cron", "runs nightly maintenance jobs"),
    ("webhooks", "delivers events to partner endpoints with retries"),
    ("exporter", "publishes metrics to Prometheus"),
    ("admin", "internal admin screens for the support team"),
    ("cache", "keeps hot lookups in Redis"),
    ("migrator", "runs schema migrations before each deploy"),
    ("replayer", "replays messages from the dead-letter topic on request"),
]
TEAMS = ["Platform", "Product", "Data", "Partner integrations", "Security"]


def service_items() -> list[BlockSpec]:
    """Build 120 catalogue entries, one per domain and kind, with owner and tier."""
    items = []
    for domain_index, domain in enumerate(SERVICE_DOMAINS):
        for kind_index, (kind, purpose) in enumerate(SERVICE_KINDS):
            number = domain_index * len(SERVICE_KINDS) + kind_index
            team = TEAMS[(domain_index + kind_index) % len(TEAMS)]
            tier = 1 + (domain_index * 3 + kind_index) % 3
            items.append(ul(f"`{domain}-{kind}`: owned by {team}, tier {tier}. It {purpose}."))
            if number == 96:
                # One hand-written entry with details the evaluation asks about.
                items.append(
                    ul(
                        "`depot-hours-sync`: owned by Partner integrations, tier 2. It pulls depot opening hours "
                        "from each courier's API at 05:00 UTC and is the service to blame when a depot shows as closed on a holiday."
                    )
                )
    return items


SERVICE_CATALOGUE = PageSpec(
    slug="service-catalogue",
    title="Service catalogue",
    parent="home",
    icon="🧩",
    blocks=[
        p(
            "Every deployable service, its owning team and its tier. The list is exported from the deploy "
            "tool once a month; edit the owner in the deploy tool, not here."
        ),
        callout("ℹ️", "Tier 1 services page at night. Tier 2 services page during working hours. Tier 3 services open tickets."),
        toggle("All services (121)", *service_items()),
        h2("Adding a service"),
        p("Register it in the deploy tool with an owner and a tier before the first production deploy."),
    ],
)

TEAM_AROUND_THE_WORLD = PageSpec(
    slug="team-around-the-world",
    title="Our offices and languages 🌍",
    parent="home",
    icon="🌍",
    blocks=[
        p(
            "We work from Lisbon, Tokyo and Tel Aviv, with partners in Shenzhen and Amman. Customer-facing "
            "text is translated by professionals; the notes below are written by the people in each office."
        ),
        h2("Lisbon 🇵🇹"),
        p(
            "O escritório de Lisboa fica no Cais do Sodré, a cinco minutos do comboio. Às sextas-feiras há "
            "almoço de equipa às 13h00; avisa a recepção até quinta-feira se não vens."
        ),
        p("Café, pastéis de nata et crème brûlée: la cuisine du 2ᵉ étage est ouverte à tous. Ñandú, Größe, Ærø, Øresund."),
        h2("Tokyo 🇯🇵"),
        p(
            "東京オフィスは渋谷駅から徒歩七分です。夜間のオンコールは東京チームが担当します。"
            "引き継ぎメモは毎週月曜日の午前九時（日本時間）までに投稿してください。"
        ),
        h2("Shenzhen 🇨🇳"),
        p("深圳的合作伙伴负责扫描枪的固件。固件更新每月发布一次，发布前请在 #firmware 频道确认版本号。"),
        h2("Tel Aviv 🇮🇱"),
        p("המשרד בתל אביב נמצא ליד תחנת השלום. ימי העבודה הם ראשון עד חמישי, ולכן הסנכרון השבועי ביום שני מתאים לכולם."),
        h2("Amman 🇯🇴"),
        p("يعمل فريق الأمن مع شريكنا في عمّان على مراجعة الصلاحيات كل ثلاثة أشهر. أرسل طلبات الوصول عبر قناة ‎#security‎ فقط."),
        quote("Bom trabalho! よろしくお願いします！ 加油！ בהצלחה! بالتوفيق! 🎉🚚📦"),
    ],
)

TOOLS_AND_MEDIA = PageSpec(
    slug="tools-and-media",
    title="Team tools, recordings and files",
    parent="home",
    icon="🧰",
    blocks=[
        breadcrumb(),
        p("Recordings, slide decks and the tools we use, collected in one place."),
        h2("Recordings"),
        media("video", "https://example.com/recordings/architecture-walkthrough-2026.mp4", "Architecture walkthrough by @[user:amara], 48 minutes, recorded in January 2026"),
        media("audio", "https://example.com/recordings/incident-review-podcast-07.mp3", "Episode 7 of the internal incident review podcast: the duplicate notifications of November"),
        h2("Documents"),
        media("pdf", "https://example.com/docs/courier-contract-summary.pdf", "Summary of the courier contract clauses that affect retention and audits"),
        media("file", "https://example.com/docs/oncall-cheatsheet.xlsx", "On-call cheat sheet with every dashboard link", name="oncall-cheatsheet.xlsx"),
        media("image", "https://example.com/photos/team-offsite-2025.jpg", "The whole team at the 2025 offsite in Sintra"),
        h2("Tools"),
        bookmark("https://example.com/grafana", "Grafana: dashboards for every service"),
        bookmark("https://example.com/status", ""),
        embed("https://example.com/embed/deploy-calendar", "Deploy calendar: freezes and planned maintenance"),
        link_preview("https://github.com/tidewater/platform/pull/4821"),
        h2("Budget"),
        p("The team budget lives in the finance workspace, which only managers can open:"),
        unshared_database("finance-budget", "Engineering budget 2026"),
        h2("Generated summary"),
        ai_block(),
        unsupported("form"),
        link_to_page("who-to-ask"),
    ],
)

DRAFTS = PageSpec(slug="drafts", title="Drafts", parent="home", icon="✏️", blocks=[])

OLD_VPN = PageSpec(
    slug="old-vpn-setup",
    title="VPN setup (retired)",
    icon="🗑️",
    in_trash=True,
    blocks=[
        callout("⛔", "Retired: we replaced the VPN with per-service single sign-on in 2025.", color="red_background"),
        h3("Install the client"),
        p("Download the client from the IT portal and import the profile that IT emails you."),
    ],
)

PAGES = [GLOSSARY, SERVICE_CATALOGUE, TEAM_AROUND_THE_WORLD, TOOLS_AND_MEDIA, DRAFTS, OLD_VPN]
