"""The handbook's home page and the onboarding section."""

from sample_content.dsl import (
    PageSpec,
    callout,
    child_page,
    code,
    columns,
    divider,
    h1,
    h2,
    h3,
    ol,
    p,
    quote,
    synced_original,
    table,
    table_of_contents,
    todo,
    toggle,
    ul,
)

HOME = PageSpec(
    slug="home",
    title="Tidewater Engineering Handbook",
    icon="🌊",
    cover="https://example.com/covers/handbook-harbour.jpg",
    blocks=[
        callout(
            "👋",
            "Welcome! This handbook is how the Tidewater engineering team writes down the things we "
            "would otherwise repeat in chat. If something here is wrong, fix it: every engineer can edit every page.",
            color="blue_background",
        ),
        table_of_contents(),
        h1("Start here"),
        p(
            "Tidewater tracks parcels for regional couriers. Scanners in depots and vans send us "
            "**scan events**, we turn them into a live position for every parcel, and customers see it "
            "on the tracking page and in notifications. The platform team owns the pipeline from the "
            "scanner to the tracking API; the product team owns everything the customer sees."
        ),
        p("New here? Read @[page:onboarding] first, then skim @[page:architecture] and the @[db:decisions] database."),
        synced_original(
            "support-contacts",
            callout(
                "🚨",
                "Production is on fire? Page the on-call engineer with `/page platform` in the #incidents "
                "channel. Do not wait for a reply in a direct message.",
                color="red_background",
            ),
            p("Security problems go to @[user:omar] or security@tidewater.example, day or night."),
        ),
        h2("Sections"),
        child_page("onboarding"),
        child_page("oncall"),
        child_page("architecture"),
        child_page("runbooks"),
        child_page("standards"),
        child_page("meetings"),
        child_page("glossary"),
        child_page("service-catalogue"),
        child_page("team-around-the-world"),
        child_page("tools-and-media"),
        child_page("drafts"),
        divider(),
        h2("How this handbook is kept"),
        p(
            "Each section has an owner who reviews it once a quarter. Pages that nobody has touched "
            "for a year get a ==needs review== label in the weekly sync."
        ),
        columns(
            [
                h3("Section owners"),
                ul("Onboarding: @[user:priya]"),
                ul("On-call and incidents: @[user:tomas]"),
                ul("Architecture: @[user:amara]"),
            ],
            [
                h3("Also owned"),
                ul("Runbooks: @[user:tomas] and @[user:yuki]"),
                ul("Coding standards: @[user:noa]"),
                ul("Glossary: @[user:lena]"),
            ],
        ),
        quote("Write it down once, link to it forever. — the team's unofficial motto"),
    ],
)

ONBOARDING = PageSpec(
    slug="onboarding",
    title="Onboarding",
    parent="home",
    icon="🧭",
    blocks=[
        p(
            "Onboarding takes about three weeks. Your manager pairs you with an onboarding buddy who "
            "is not on your team, so you have someone to ask the questions you feel silly asking your lead."
        ),
        h2("The pages in this section"),
        child_page("first-week"),
        child_page("dev-setup"),
        child_page("accounts-and-access"),
        child_page("who-to-ask"),
        h2("Checklist for managers"),
        todo("Order the laptop two weeks before the start date", True),
        todo("Create the Google Workspace and GitHub accounts", True),
        todo("Pick an onboarding buddy from another team", False),
        todo("Book the first one-to-one for the Friday of week one", False),
        p("Questions about this section go to @[user:priya]."),
    ],
)

FIRST_WEEK = PageSpec(
    slug="first-week",
    title="Your first week",
    parent="onboarding",
    icon="🗓️",
    blocks=[
        p(
            "Your first week is about getting set up and meeting people, not about shipping. Nobody "
            "expects a pull request before Thursday, but many people merge a small documentation fix on day two."
        ),
        h2("Day by day"),
        toggle(
            "Monday: laptop, accounts and lunch",
            p("IT hands over the laptop at 9:30 in the Lisbon office or ships it to you a week early if you are remote."),
            ul("Finish the steps in @[page:accounts-and-access] before lunch."),
            ul("Lunch with your team is on the company; the office manager books it."),
        ),
        toggle(
            "Tuesday: the development environment",
            p("Follow @[page:dev-setup]. Your buddy blocks two hours to sit with you."),
        ),
        toggle(
            "Wednesday: shadowing",
            p("You shadow the on-call engineer for a morning. You only watch; you are not on the rotation until week six."),
            toggle(
                "What to look at while shadowing",
                ul("How alerts arrive and how they are acknowledged"),
                ul("Which dashboards the on-call engineer opens first"),
                toggle(
                    "If there is an incident while you shadow",
                    p("Stay in the incident channel and read along. Write down every term you do not know."),
                    toggle(
                        "Afterwards",
                        p(
                            "Bring your list of unknown terms to your buddy on Thursday. The three terms new "
                            "people ask about most are *dead-letter queue*, *scan lag* and *depot cutoff*; "
                            "all three are in @[page:glossary]."
                        ),
                    ),
                ),
            ),
        ),
        toggle(
            "Thursday: first change",
            p("Pick an issue labelled `good-first-change` in the tracker. Pair with your buddy on the review."),
        ),
        toggle(
            "Friday: first one-to-one",
            p("Your manager asks what was confusing. Be honest: the answers become edits to this handbook."),
        ),
        h2("Things people wish they had known"),
        ul("The coffee machine on floor 2 is the good one."),
        ul("Deploys are frozen on Friday afternoons after 15:00 Lisbon time."),
        ul("Standup is asynchronous: post in #platform-standup before 10:30 your time."),
    ],
)

DEV_SETUP = PageSpec(
    slug="dev-setup",
    title="Development environment setup",
    parent="onboarding",
    icon="💻",
    blocks=[
        p("These steps set up a Mac or Linux laptop for work on the platform services. Allow two hours."),
        callout("⚠️", "Use the company laptop. Source code must never be cloned onto a personal machine.", color="yellow_background"),
        h2("Install the toolchain"),
        ol(
            "Install the system packages",
            ol(
                "On macOS, install Homebrew, then the packages in the `Brewfile`",
                ol(
                    "Run `brew bundle` in the root of the `platform` repository",
                    ol("If `brew bundle` fails on `postgresql@16`, run `brew link --force postgresql@16` and retry."),
                ),
            ),
            ol("On Linux, run `./scripts/bootstrap-linux.sh`; it needs sudo once."),
        ),
        ol("Install Python 3.12 with `uv python install 3.12`."),
        ol("Install Docker Desktop or Colima; the local stack needs 6 GB of memory for containers."),
        h2("Run the stack locally"),
        code(
            "bash",
            "git clone git@github.com:tidewater/platform.git\n"
            "cd platform\n"
            "make bootstrap      # creates .venv and installs pre-commit hooks\n"
            "make up             # starts Postgres, Kafka and Redis in containers\n"
            "make seed           # loads 10,000 fake parcels\n"
            "make test",
            "The commands every new engineer runs on day two",
        ),
        p("When `make test` passes, open http://localhost:8080/parcels/TW000001 and check that a parcel appears."),
        h2("Common problems"),
        toggle(
            "Port 5432 is already in use",
            p("A Postgres from another project is running. Stop it, or set `PG_PORT=5433` in `.env.local`."),
        ),
        toggle(
            "Kafka keeps restarting",
            p("Colima starts with 2 GB by default. Run `colima start --memory 8` and `make up` again."),
        ),
    ],
)

ACCOUNTS = PageSpec(
    slug="accounts-and-access",
    title="Accounts and access",
    parent="onboarding",
    icon="🔑",
    blocks=[
        p("You need these accounts before you can do anything useful. Request them in the #it-help channel."),
        table(
            [
                ["System", "How to get access", "Approver"],
                ["GitHub (tidewater org)", "Accept the invite sent to your work email", "Your manager"],
                ["AWS production (read-only)", "Request the **prod-readonly** role in the access portal", "@[user:tomas]"],
                ["AWS production (write)", "Only after your first on-call shift; ask in #platform", "@[user:tomas] and @[user:omar]"],
                ["PagerDuty", "Added automatically when you join the rotation", ""],
                ["Grafana", "Single sign-on with Google; no request needed", ""],
            ]
        ),
        h2("Hardware keys"),
        p(
            "Everyone gets two hardware security keys. Keep one on your keyring and the spare at home. "
            "Production access requires a key touch for every session; codes from a phone app are not accepted."
        ),
        p("If you lose a key, tell @[user:omar] within a day so it can be revoked."),
    ],
)

WHO_TO_ASK = PageSpec(
    slug="who-to-ask",
    title="Who to ask about what",
    parent="onboarding",
    icon="🙋",
    blocks=[
        p("People change teams, so this page names the channel first and a person second."),
        table(
            [
                ["Topic", "Channel", "Person"],
                ["Scan ingestion and Kafka", "#platform", "@[user:yuki]"],
                ["Tracking page and customer apps", "#product-eng", "@[user:noa]"],
                ["Data warehouse, dashboards, **the weekly KPI email**", "#data", "@[user:lena]"],
                ["Security, secrets, access reviews", "#security", "@[user:omar]"],
                ["Architecture and cross-team design", "#architecture", "@[user:amara]"],
                ["Hiring, growth, anything about your career", "", "@[user:priya]"],
            ],
            row_header=True,
        ),
        p("If nobody answers in a channel within a working day, ask again and mention @[user:priya]."),
    ],
)

PAGES = [HOME, ONBOARDING, FIRST_WEEK, DEV_SETUP, ACCOUNTS, WHO_TO_ASK]
