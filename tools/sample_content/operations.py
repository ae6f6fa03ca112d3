"""On-call, incident response and runbooks."""

from sample_content.dsl import (
    PageSpec,
    callout,
    child_page,
    code,
    divider,
    h2,
    h3,
    link_to_page,
    ol,
    p,
    quote,
    synced_reference,
    table,
    todo,
    toggle,
    toggle_heading,
    ul,
)

ONCALL = PageSpec(
    slug="oncall",
    title="On-call and incident response",
    parent="home",
    icon="📟",
    blocks=[
        p(
            "The platform team runs a follow-the-sun rotation: Lisbon covers 08:00 to 20:00 UTC and Tokyo "
            "covers the other twelve hours. Each shift lasts one week, Monday to Monday."
        ),
        synced_reference("support-contacts"),
        child_page("oncall-rotation"),
        child_page("severity-levels"),
        child_page("incident-commander"),
        child_page("postmortems"),
        child_page("escalation"),
    ],
)

ROTATION = PageSpec(
    slug="oncall-rotation",
    title="On-call rotation and handoff",
    parent="oncall",
    icon="🔁",
    blocks=[
        h2("Who is on call"),
        p(
            "PagerDuty is the source of truth. The schedule is published six weeks ahead; swap shifts in "
            "PagerDuty and post the swap in #platform so that others know."
        ),
        h2("Handoff"),
        p("The outgoing engineer writes a handoff note in #oncall-handoff at the end of the shift. It lists:"),
        ul("Open incidents and who owns the follow-ups"),
        ul("Alerts that fired more than twice, with a link to the tuning issue"),
        ul("Anything deployed late on the last day of the shift"),
        h2("Pay and time off"),
        p(
            "On-call is paid as a flat weekly allowance plus overtime for pages outside working hours. If you "
            "are paged between 00:00 and 06:00 local time, you start the next day ==at least four hours later==."
        ),
    ],
)

SEVERITY = PageSpec(
    slug="severity-levels",
    title="Incident severity levels",
    parent="oncall",
    icon="🚦",
    blocks=[
        p("Pick the highest severity that matches. You can lower it later; raising it late costs more."),
        table(
            [
                ["Level", "Customer impact", "Response", "Status page"],
                ["SEV1", "Tracking is down or shows **wrong** positions for most parcels", "Page immediately, incident commander within 15 minutes", "Yes, within 30 minutes"],
                ["SEV2", "A region or a courier sees delays over 30 minutes", "Page immediately", "If it lasts over an hour"],
                ["SEV3", "Degraded but working: slow search, late emails", "Next working hours", ""],
                ["SEV4", "No customer impact yet, e.g. a replica is down", "Ticket", ""],
            ],
            row_header=True,
        ),
        h3("Examples"),
        ul("A depot's scans stop arriving for 45 minutes: **SEV2** for that courier."),
        ul("Notifications are sent twice: SEV3, unless they are sent to the wrong customer, which is SEV1."),
    ],
)

INCIDENT_COMMANDER = PageSpec(
    slug="incident-commander",
    title="Incident commander checklist",
    parent="oncall",
    icon="🧯",
    blocks=[
        p(
            "The incident commander coordinates; they do not debug. If you are the only person around, "
            "you are the commander until someone else joins, then hand the debugging to them."
        ),
        h2("First fifteen minutes"),
        todo("Open an incident channel with `/incident open` and set the severity", True),
        todo("Name a scribe who keeps the timeline in the channel", False),
        todo("Post the first status update, even if it says only that we are investigating", False),
        todo("Decide whether to page the product team for customer communication", False),
        h2("Every thirty minutes"),
        todo("Post an update with what we know, what we are trying and when the next update comes"),
        todo("Ask whether the severity is still right"),
        h2("Closing"),
        todo("Confirm recovery on the dashboards for at least 20 minutes before closing"),
        todo("Assign a postmortem owner; see @[page:postmortems]"),
    ],
)

POSTMORTEMS = PageSpec(
    slug="postmortems",
    title="Writing a postmortem",
    parent="oncall",
    icon="📝",
    blocks=[
        p(
            "Every SEV1 and SEV2 gets a written postmortem within five working days. SEV3 gets one when "
            "the on-call engineer thinks we can learn something."
        ),
        quote("We look for the conditions that made the mistake easy, not for the person who made it."),
        h2("Template"),
        toggle_heading(
            3,
            "Sections every postmortem has",
            ol("Summary: two sentences a customer could read"),
            ol("Impact: who was affected, for how long, measured how"),
            ol("Timeline in UTC, copied from the scribe's notes"),
            ol("Contributing factors, usually more than one"),
            ol("Action items, each with an owner and a due date"),
        ),
        toggle_heading(
            3,
            "The review meeting",
            p(
                "Postmortems are read aloud in the Thursday reliability review. The author has 25 minutes; the "
                "last five are for deciding which action items are worth their cost."
            ),
        ),
        h2("Where they live"),
        p("Postmortems are pages in the shared drive, linked from the incident channel's topic."),
    ],
)

ESCALATION = PageSpec(
    slug="escalation",
    title="Paging and escalation policy",
    parent="oncall",
    icon="📈",
    blocks=[
        p(
            "An unacknowledged page escalates after 5 minutes to the secondary on-call engineer and after "
            "15 minutes to the engineering manager on duty."
        ),
        h2("When to wake someone up"),
        p("Page a person outside their working hours only for SEV1 and SEV2. Everything else waits for a ticket."),
        h2("Escalating to other teams"),
        table(
            [
                ["Team", "How to reach them at night", "Notes"],
                ["Database reliability", "PagerDuty service **dbre-primary**", "Only for data loss or a failover that does not finish"],
                ["Courier integrations", "Phone tree in the shared drive", "Couriers' own status pages first"],
                ["Cloud provider", "Enterprise support case, severity *critical*", "Account number is in the vault"],
            ]
        ),
        divider(),
        p("See @[page:severity-levels] for how to choose a severity."),
    ],
)

RUNBOOKS = PageSpec(
    slug="runbooks",
    title="Runbooks",
    parent="home",
    icon="📚",
    blocks=[
        p(
            "A runbook is a tested list of steps for a known problem. If you had to improvise during an "
            "incident, write or fix the runbook afterwards."
        ),
        child_page("runbook-db-failover"),
        child_page("runbook-tls"),
        child_page("runbook-stuck-queue"),
        child_page("runbook-restore"),
        child_page("runbook-disk-pressure"),
        h2("Related"),
        link_to_page("incident-commander"),
    ],
)

DB_FAILOVER = PageSpec(
    slug="runbook-db-failover",
    title="Runbook: Postgres primary failover",
    parent="runbooks",
    icon="🐘",
    blocks=[
        callout("⏱️", "Expected duration: 10 minutes, of which about 40 seconds are write downtime.", color="yellow_background"),
        h2("When to use it"),
        p("The primary of the `tracking` cluster is unreachable, or its replication lag alert has fired for 10 minutes."),
        h2("Steps"),
        ol("Confirm in Grafana that the primary is down, not just the metrics exporter."),
        ol(
            "Promote the healthiest replica",
            code("bash", "pgctl cluster promote tracking --replica tracking-replica-2 --confirm", "Replace replica-2 with the replica that has the smallest lag"),
        ),
        ol("Wait until `pgctl cluster status tracking` shows the new primary as **writable**."),
        ol("Restart the `tracker-api` pods so that they drop old connections: `kubectl rollout restart deploy/tracker-api`."),
        ol("Open a ticket for the database reliability team to rebuild the old primary."),
        h2("Do not"),
        ul("Do not promote a replica with more than 30 seconds of lag without asking the DBRE on call."),
    ],
)

TLS = PageSpec(
    slug="runbook-tls",
    title="Runbook: Rotating TLS certificates",
    parent="runbooks",
    icon="🔐",
    blocks=[
        p(
            "Public certificates renew automatically 30 days before expiry. This runbook covers the internal "
            "mutual-TLS certificates between services, which expire every 90 days."
        ),
        h2("Steps"),
        ol("Check which certificates expire within 14 days: `certctl list --expiring 14d`."),
        ol("Issue new ones with `certctl issue --service <name>`; the tool writes them to the vault."),
        ol("Roll the service so that it reads the new certificate. Services reload on restart only."),
        ol("Confirm with `certctl verify --service <name>` that peers accept the new certificate."),
        callout("🔒", "Never paste a private key into chat or an issue, even a test key.", color="red_background"),
    ],
)

STUCK_QUEUE = PageSpec(
    slug="runbook-stuck-queue",
    title="Runbook: Clearing a stuck scan queue",
    parent="runbooks",
    icon="🧱",
    blocks=[
        p(
            "Symptom: the `scan-events` consumer lag grows for more than 10 minutes while the consumers report "
            "healthy. Usually one malformed message makes every consumer crash on the same offset."
        ),
        h2("Diagnose"),
        code(
            "bash",
            "kafka-consumer-groups --describe --group scan-normalizer\n"
            "kubectl logs deploy/scan-normalizer --since=15m | grep -m 5 'offset'",
            "Find the partition and offset the consumers keep failing on",
        ),
        h2("Fix"),
        ol("Move the poison message to the dead-letter topic with `scanctl dlq move --partition P --offset O`."),
        ol("Watch the lag drop in Grafana; it should fall by about 5,000 messages a minute."),
        ol("File a bug with the message attached so that the normalizer learns to reject it."),
        toggle(
            "Why we do not just skip the offset",
            p(
                "Skipping loses the scan silently. A parcel can then show an old position for hours, which "
                "customers notice before we do. Moving it to the dead-letter topic keeps it for replay."
            ),
        ),
    ],
)

RESTORE = PageSpec(
    slug="runbook-restore",
    title="Runbook: Restoring a table from backup",
    parent="runbooks",
    icon="💾",
    blocks=[
        p(
            "Backups are taken every night at 02:00 UTC and kept for 35 days. Point-in-time recovery covers "
            "the last 7 days with write-ahead log archives."
        ),
        h2("Restore into a scratch cluster"),
        ol("Create the scratch cluster: `pgctl cluster clone tracking --at '2026-03-02T10:15:00Z' --name restore-scratch`."),
        ol("Compare the rows you need with production before copying anything back."),
        ol("Copy rows back with a reviewed SQL script, never with an ad-hoc session."),
        ol("Delete the scratch cluster the same day; it holds customer data."),
        p("Restores of more than a million rows need a second person watching. Ask in #platform."),
    ],
)

DISK_PRESSURE = PageSpec(
    slug="runbook-disk-pressure",
    title="Runbook: Disk pressure on worker nodes",
    parent="runbooks",
    icon="🗄️",
    blocks=[
        p("The `NodeDiskPressure` alert fires when a Kubernetes node has less than 10% free disk."),
        h2("Steps"),
        ol("Find the node: `kubectl get nodes -o wide | grep DiskPressure`."),
        ol("Check whether container logs are the cause: `du -sh /var/log/containers` on the node."),
        ol(
            "If one pod writes most of the logs, lower its log level and restart it.",
            ul("The route-planner at debug level writes about 4 GB an hour; it is the usual suspect."),
        ),
        ol("If images are the cause, run `crictl rmi --prune` on the node."),
        ol("If nothing helps within 20 minutes, cordon and drain the node and let the autoscaler replace it."),
    ],
)

PAGES = [
    ONCALL,
    ROTATION,
    SEVERITY,
    INCIDENT_COMMANDER,
    POSTMORTEMS,
    ESCALATION,
    RUNBOOKS,
    DB_FAILOVER,
    TLS,
    STUCK_QUEUE,
    RESTORE,
    DISK_PRESSURE,
]
