"""Splitting extracted text into overlapping chunks for embedding (`CHUNK_SIZE`/`CHUNK_OVERLAP`).

A recursive character splitter, as Open WebUI's default: split on the coarsest separator
that yields pieces no longer than `size` (blank lines, lines, sentences, words, characters),
then pack neighbouring pieces into chunks of at most `size` characters that repeat up to
`overlap` characters of the previous chunk. Markdown headers start a new chunk first.
Small enough to write here rather than pull in a framework for it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

SEPARATORS = ("\n\n", "\n", ". ", " ", "")
_HEADER = re.compile(r"^#{1,6} ", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    text: str
    start: int  # offset of the chunk in the whole text


def split_text(
    text: str, size: int = 1000, overlap: int = 100, markdown: bool = True
) -> list[Chunk]:
    if size <= 0:
        raise ValueError("chunk size must be positive")
    overlap = max(0, min(overlap, size // 2))
    sections = _sections(text) if markdown else [(0, len(text))]
    chunks: list[Chunk] = []
    for start, end in sections:
        pieces = _pieces(text, start, end, size, SEPARATORS)
        chunks.extend(_pack(text, pieces, size, overlap))
    return [c for c in chunks if c.text.strip()]


def _sections(text: str) -> list[tuple[int, int]]:
    starts = sorted({0, *(m.start() for m in _HEADER.finditer(text))})
    return [(s, e) for s, e in zip(starts, [*starts[1:], len(text)], strict=True) if e > s]


def _pieces(
    text: str, start: int, end: int, size: int, separators: tuple[str, ...]
) -> list[tuple[int, int]]:
    """(start, end) spans no longer than `size`, split at the coarsest separator that works."""
    if end - start <= size:
        return [(start, end)]
    separator, rest = separators[0], separators[1:]
    if separator == "":
        return [(i, min(i + size, end)) for i in range(start, end, size)]
    spans = []
    cursor = start
    while cursor < end:
        found = text.find(separator, cursor, end)
        stop = end if found < 0 else found + len(separator)
        spans.append((cursor, stop))
        cursor = stop
    result: list[tuple[int, int]] = []
    for s, e in spans:
        result.extend(_pieces(text, s, e, size, rest) if e - s > size else [(s, e)])
    return result


def _pack(text: str, pieces: list[tuple[int, int]], size: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: deque[tuple[int, int]] = deque()
    for piece in pieces:
        if current and piece[1] - current[0][0] > size:
            chunks.append(_chunk(text, current))
            while current and (
                current[-1][1] - current[0][0] > overlap or piece[1] - current[0][0] > size
            ):
                current.popleft()  # keep at most `overlap` characters of context
        current.append(piece)
    if current:
        chunks.append(_chunk(text, current))
    return chunks


def _chunk(text: str, spans: deque[tuple[int, int]]) -> Chunk:
    start, end = spans[0][0], spans[-1][1]
    raw = text[start:end]
    lead = len(raw) - len(raw.lstrip())
    return Chunk(raw.strip(), start + lead)
