"""HTML to text (`files/extract.html_text`), as uploads and `retrieval/process/web` use it."""

from __future__ import annotations

from owlet.files.extract import CLOSE_AT_MOST, html_text


def test_trailing_text_without_markup_is_kept() -> None:
    assert html_text("<p>first</p>second") == "first\nsecond"
    assert html_text("<p>first</p><b>bold") == "first\nbold"


def test_a_long_unfinished_tag_at_the_end_is_dropped_not_rescanned() -> None:
    # The stdlib parser's close() re-scans an unfinished tail in quadratic time (a 2 MB
    # "</</</..." took minutes; this test would hang there). It is dropped instead.
    tail = "</" * 1_000_000
    assert len(tail) > CLOSE_AT_MOST
    assert html_text(f"<p>kept</p>{tail}") == "kept"
    assert html_text(f"<p>kept</p><!--{'-' * 1_000_000}") == "kept"
