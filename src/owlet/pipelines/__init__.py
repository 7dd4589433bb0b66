"""Pipelines servers (Open WebUI's external plugin servers): none can be connected yet."""
