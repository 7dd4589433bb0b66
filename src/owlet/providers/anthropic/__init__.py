"""Translation between Anthropic Messages and OpenAI Chat Completions, with no HTTP or I/O."""

from owlet.providers.anthropic.common import (
    AnthropicRequestError,
    encode_event,
    error_body,
)
from owlet.providers.anthropic.request import to_openai_request
from owlet.providers.anthropic.response import AnthropicStream, from_openai_response

__all__ = [
    "AnthropicRequestError",
    "AnthropicStream",
    "encode_event",
    "error_body",
    "from_openai_response",
    "to_openai_request",
]
