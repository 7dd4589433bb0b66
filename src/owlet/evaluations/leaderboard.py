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
from datetime import UTC, date, datetime, timedelta
from typing import Any

START = 1000.0
K = 32.0
TOP_TAGS = 5
OUTCOMES = {1: 1.0, 0: 0.5, -1: 0.0}
Row = tuple[int, dict[str, Any] | None]  # a rating's created_at and data


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


def _match(data: Any) -> tuple[str, int, list[str], list[str]] | None:
    """(model, rating, siblings, tags) of a stored rating, or None when it rates nothing."""
    if not isinstance(data, dict):
        return None
    model, rating = data.get("model_id"), data.get("rating")
    if not isinstance(model, str) or not model or type(rating) is not int:
        return None
    if rating not in OUTCOMES:
        return None
    siblings = [m for m in dict.fromkeys(_strings(data.get("sibling_model_ids"))) if m != model]
    return model, rating, siblings, list(dict.fromkeys(_strings(data.get("tags"))))


def leaderboard(rows: Iterable[dict[str, Any] | None], query: str | None) -> list[dict[str, Any]]:
    """Entries best first. `query` keeps the ratings carrying a tag that contains it (case
    ignored); Open WebUI ranks by semantic similarity of tags instead."""
    wanted = (query or "").strip().lower()
    stats: defaultdict[str, _Stats] = defaultdict(_Stats)
    for data in rows:
        match = _match(data)
        if match is None:
            continue
        model, rating, siblings, tags = match
        if wanted and not any(wanted in tag.lower() for tag in tags):
            continue
        rated = stats[model]
        rated.count += 1
        rated.won += rating == 1
        rated.lost += rating == -1
        rated.tags.update(tags)  # a tag counts once per rating
        for opponent in siblings:
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


def history(
    rows: Iterable[Row], model_id: str, start: date | None, today: date
) -> list[dict[str, Any]]:
    """A model's wins and losses per UTC day from `start` (None: its first rated day) to
    `today`, days without ratings included as zeros, counted as the leaderboard counts."""
    days: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
    for created_at, data in rows:
        match = _match(data)
        if match is None:
            continue
        model, rating, siblings, _tags = match
        if model == model_id:
            won, lost = rating == 1, rating == -1
        elif model_id in siblings:
            won, lost = rating == -1, rating == 1
        else:
            continue
        day = days[datetime.fromtimestamp(created_at, UTC).date()]
        day[0] += won
        day[1] += lost
    if start is None:
        if not days:
            return []
        start = min(days)
    span = (today - start).days + 1
    shown = [start + timedelta(days=n) for n in range(max(span, 0))]
    return [{"date": d.isoformat(), "won": days[d][0], "lost": days[d][1]} for d in shown]
