"""Evaluations: arena configuration, users' ratings of answers (feedback), leaderboard."""
