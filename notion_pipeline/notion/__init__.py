"""Reading Notion: the API client, listing, block trees, rendering and a local server."""
