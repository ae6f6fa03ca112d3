"""Coding standards."""

from sample_content.dsl import (
    PageSpec,
    callout,
    child_page,
    code,
    h2,
    h3,
    ol,
    p,
    quote,
    table,
    todo,
    toggle,
    ul,
)

STANDARDS = PageSpec(
    slug="standards",
    title="Coding standards",
    parent="home",
    icon="📐",
    blocks=[
        p(
            "Standards exist so that reviews discuss design instead of formatting. Anything a tool can "
            "check is checked by a tool; these pages cover what tools cannot."
        ),
        child_page("python-style"),
        child_page("code-review"),
        child_page("testing"),
        child_page("git-commits"),
        child_page("api-design"),
    ],
)

PYTHON_STYLE = PageSpec(
    slug="python-style",
    title="Python style",
    parent="standards",
    icon="🐍",
    blocks=[
        p("Ruff formats and lints every Python file; the pre-commit hook runs it. Beyond that:"),
        h2("Types"),
        ul("Type every public function. Use `list[str]` and `X | None`, not `List` and `Optional`."),
        ul("Parse JSON into dataclasses at the edge; do not pass raw dictionaries through three layers."),
        h2("Errors"),
        p("Raise a specific exception with a message that names the value and what to do about it:"),
        code(
            "python",
            "if batch_size > MAX_BATCH_SIZE:\n"
            "    raise ValueError(\n"
            "        f\"batch of {batch_size} scans exceeds the limit of {MAX_BATCH_SIZE}; \"\n"
            "        \"split it on the scanner side\"\n"
            "    )",
            "Good: the reader learns the value, the limit and the fix",
        ),
        h2("Logging"),
        p(
            "Use `logging.getLogger(__name__)` and lazy `%s` formatting. Log parcel ids, never customer "
            "names or addresses: logs are kept longer than customer data."
        ),
    ],
)

CODE_REVIEW = PageSpec(
    slug="code-review",
    title="Code review guidelines",
    parent="standards",
    icon="🔍",
    blocks=[
        p("A review should start within one working day. If you cannot review in time, say so and suggest someone."),
        h2("As an author"),
        ul("Keep pull requests under about 400 changed lines; split refactors from behaviour changes."),
        ul("Write the description for a reviewer who has not followed the discussion."),
        h2("As a reviewer"),
        ul("Prefix optional suggestions with **nit:** so the author knows they can skip them."),
        ul("Approve with comments when the remaining points are small; do not block on taste."),
        quote("Review the change you were sent, not the change you would have written."),
        h2("Before you approve"),
        todo("The tests cover the new behaviour, including a failure case", False),
        todo("Logs and errors name the ids a person needs to debug it", False),
        todo("Migrations can run while the old version is still serving", False),
    ],
)

TESTING = PageSpec(
    slug="testing",
    title="Testing guidelines",
    parent="standards",
    icon="🧪",
    blocks=[
        p(
            "Tests run against real Postgres, Kafka and Redis in containers. We stopped mocking the database "
            "after mocks hid three migration bugs in one quarter."
        ),
        h2("What to test"),
        ul(
            "Hard cases first",
            ul(
                "Scans that arrive out of order",
                ul(
                    "A delivery scan that arrives before the out-for-delivery scan",
                    ul("The tracker must keep *delivered* as the final state and store the late scan in the history."),
                ),
            ),
            ul("Duplicate batches from a scanner that lost its connection"),
        ),
        ul("Then the happy path, once."),
        h2("Naming"),
        p("Name tests after the unit and the case: `test_tracker_keeps_delivered_after_late_scan`."),
        h2("Flaky tests"),
        callout(
            "🎲",
            "A test that fails once in fifty runs is quarantined within a day with the `flaky` marker and an "
            "issue. Quarantined tests are fixed or deleted within two weeks.",
        ),
    ],
)

GIT_COMMITS = PageSpec(
    slug="git-commits",
    title="Git and commit messages",
    parent="standards",
    icon="🌿",
    blocks=[
        p("We squash-merge pull requests, so the pull request title becomes the commit subject on `main`."),
        h2("The subject"),
        ul("Imperative mood, at most 60 characters: *Reject scans with future timestamps*."),
        ul("No ticket numbers in the subject; put the link in the body."),
        h2("The body"),
        p("Say why the change is needed and what the reviewer should look at. The diff already says what changed."),
        h2("Branches"),
        table(
            [
                ["Prefix", "Use for", "Example"],
                ["`feat/`", "New behaviour", "`feat/sse-tracking-updates`"],
                ["`fix/`", "Bug fixes", "`fix/late-delivery-scan`"],
                ["`chore/`", "Dependencies, tooling", ""],
            ]
        ),
        toggle(
            "Why squash and not rebase-merge",
            p("Bisecting is easier when every commit on `main` builds and passes the tests, and work-in-progress commits often do not."),
        ),
    ],
)

API_DESIGN = PageSpec(
    slug="api-design",
    title="API design guidelines",
    parent="standards",
    icon="🔌",
    blocks=[
        p("These rules apply to tracker-api and to every partner-facing endpoint."),
        h2("Resources and names"),
        ul("Plural nouns for collections: `/parcels`, `/depots`."),
        ul("Field names in `snake_case`; timestamps in UTC ISO 8601 with a `Z` suffix."),
        h2("Pagination"),
        p("List endpoints use cursor pagination with `page_size` (default 50, maximum 200) and `next_cursor`."),
        h2("Versioning"),
        ol("Additive changes (new fields, new endpoints) need no new version."),
        ol("Removing or renaming a field needs a new version and six months of overlap."),
        ol("Partners are told about deprecations by email and in the API changelog."),
        h3("Errors"),
        p("Every error body has `code`, `message` and `request_id`. Partners quote the `request_id` in support tickets."),
    ],
)

PAGES = [STANDARDS, PYTHON_STYLE, CODE_REVIEW, TESTING, GIT_COMMITS, API_DESIGN]
