"""Health, version and the public `/api/config`."""
