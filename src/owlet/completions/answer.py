"""An assistant answer as it is put together from a completion body or its streamed frames.

The chat recorder and the inline outlet filters both read the answer this way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from owlet.core.streams import DONE


@dataclass
class Answer:
    content: str = ""
    reasoning: str = ""
    usage: dict[str, Any] | None = None
    error: str | None = None

    def take_completion(self, body: dict[str, Any]) -> None:
        """A whole `chat.completion`."""
        choices = body.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else {}
        message = first.get("message") if isinstance(first, dict) else None
        if isinstance(message, dict):
            content, reasoning = message.get("content"), message.get("reasoning_content")
            self.content = content if isinstance(content, str) else ""
            self.reasoning = reasoning if isinstance(reasoning, str) else ""
        if isinstance(body.get("usage"), dict):
            self.usage = body["usage"]

    def take_chunk(self, chunk: dict[str, Any]) -> None:
        """One `chat.completion.chunk` (or an error frame)."""
        error = chunk.get("error")
        if error:
            self.error = str(error.get("message") if isinstance(error, dict) else error)
            return
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                content, reasoning = delta.get("content"), delta.get("reasoning_content")
                self.content += content if isinstance(content, str) else ""
                self.reasoning += reasoning if isinstance(reasoning, str) else ""
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]

    def take_frame(self, frame: bytes) -> bool:
        """Every chunk in one relayed SSE frame; True when the frame ends the stream."""
        last = False
        for event in frame_events(frame):
            if event == DONE:
                last = True
                continue
            try:
                chunk = json.loads(event)
            except ValueError:
                continue
            if isinstance(chunk, dict):
                self.take_chunk(chunk)
        return last


def frame_events(frame: bytes) -> list[str]:
    """The `data:` payloads of one relayed SSE frame."""
    return [line[5:].strip() for line in frame.decode("utf-8", "replace").splitlines()
            if line.startswith("data:")]  # fmt: skip
