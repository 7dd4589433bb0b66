"""Open WebUI's `page` (a fixed page size) and the seed's `skip`/`limit`, as one window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int | None  # None: no limit


def page_window(
    page: int | None,
    skip: int | None,
    limit: int | None,
    size: int,
    *,
    all_without_page: bool = False,
) -> Page:
    """`skip`/`limit` win when given; else `page` (1-based) of `size` items.

    With `all_without_page`, no paging parameter at all means everything (Open WebUI's chat
    list); otherwise it means the first page.
    """
    if skip is not None or limit is not None:
        default = None if all_without_page else size
        return Page(offset=skip or 0, limit=limit if limit is not None else default)
    if page is None and all_without_page:
        return Page(offset=0, limit=None)
    return Page(offset=(max(page or 1, 1) - 1) * size, limit=size)
