"""Keep a Qdrant vector index in step with a Notion workspace, orchestrated by Dagster."""

__version__ = "0.1.0"
