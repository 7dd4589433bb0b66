"""Upstream LLM providers: translation kept apart from HTTP."""
