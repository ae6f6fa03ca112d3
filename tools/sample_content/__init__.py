"""Content of the bundled sample workspace, collected for tools/build_sample_workspace.py."""

from sample_content import architecture, handbook, meetings, operations, reference, standards
from sample_content.people import USERS
from sample_content.questions import QUESTIONS

PAGES = [
    *handbook.PAGES,
    *operations.PAGES,
    *architecture.PAGES,
    *standards.PAGES,
    *meetings.PAGES,
    *reference.PAGES,
]
DATABASES = [*architecture.DATABASES]

__all__ = ["DATABASES", "PAGES", "QUESTIONS", "USERS"]
