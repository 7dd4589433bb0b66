"""Elo ratings from users' ratings: the admin leaderboard, computed from stored feedback.

A rated answer with sibling answers (the arena, or a regenerated message answered by other
models) is a match: thumbs up means the rated model beat each sibling, thumbs down that
each sibling beat it, 0 a draw. A rating without siblings plays no match, so it moves no
Elo rating, but still counts as won or lost for the model, as Open WebUI shows it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

START = 1000.0
K = 32.0
TOP_TAGS = 5
OUTCOMES = {1: 1.0, 0: 0.5, -1: 0.0}


@dataclass
class _Stats:
    rating: float = START
    won: int = 0
    lost: int = 0
    count: int = 0
    tags: Counter[str] = field(default_factory=Counter)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _play(a: _Stats, b: _Stats, outcome: float) -> None:
    expected = 1.0 / (1.0 + 10 ** ((b.rating - a.rating) / 400.0))
    change = K * (outcome - expected)
    a.rating += change
    b.rating -= change


def leaderboard(rows: Iterable[dict[str, Any] | None], query: str | None) -> list[dict[str, Any]]:
    """Entries best first. `query` keeps the ratings carrying a tag that contains it (case
    ignored); Open WebUI ranks by semantic similarity of tags instead."""
    wanted = (query or "").strip().lower()
    stats: defaultdict[str, _Stats] = defaultdict(_Stats)
    for data in rows:
        if not isinstance(data, dict):
            continue
        model, rating = data.get("model_id"), data.get("rating")
        if not isinstance(model, str) or not model or type(rating) is not int:
            continue
        if rating not in OUTCOMES:
            continue
        tags = _strings(data.get("tags"))
        if wanted and not any(wanted in tag.lower() for tag in tags):
            continue
        rated = stats[model]
        rated.count += 1
        rated.won += rating == 1
        rated.lost += rating == -1
        rated.tags.update(list(dict.fromkeys(tags)))  # a tag counts once per rating
        for opponent in dict.fromkeys(_strings(data.get("sibling_model_ids"))):
            if opponent == model:
                continue
            other = stats[opponent]
            other.count += 1
            other.won += rating == -1
            other.lost += rating == 1
            _play(rated, other, OUTCOMES[rating])
    ranked = sorted(stats.items(), key=lambda kv: (-round(kv[1].rating), -kv[1].count, kv[0]))
    return [
        {"model_id": model, "rating": round(s.rating), "won": s.won, "lost": s.lost,
         "count": s.count,
         "top_tags": [{"tag": t, "count": n} for t, n in s.tags.most_common(TOP_TAGS)]}
        for model, s in ranked
    ]  # fmt: skip
