"""hub_api package."""
