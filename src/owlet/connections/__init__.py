"""Upstream connections: admin config and the `/openai` and `/ollama` proxy routes."""
