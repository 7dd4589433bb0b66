"""Auxiliary LLM tasks (`/api/v1/tasks`): titles, tags and follow-up questions for a chat,
asked of the task model."""
