"""Evaluations: the arena configuration; feedback lists and leaderboards are empty (no
feedback storage yet)."""
