"""Evaluations: the arena configuration (feedback and leaderboards are not built yet)."""
