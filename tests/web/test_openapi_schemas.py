"""Every owlet-shaped operation documents the JSON it answers, so schemathesis (which checks
`response_schema_conformance`) can catch a wrong shape. Only the relays, whose bodies are
another server's or a plugin's, may document an untyped JSON answer; each says why here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from owlet.app import create_app
from owlet.settings import Settings

UPSTREAM = "the upstream's own body, relayed unchanged"
# Prefixes where every operation relays an upstream (Open WebUI's proxy routes).
RELAY_PREFIXES = {
    "/ollama/api/": "an Ollama node's answer, " + UPSTREAM,
    "/ollama/v1/": "an Ollama node's OpenAI-compatible answer, " + UPSTREAM,
    "/openai/": "an OpenAI-compatible connection's answer, " + UPSTREAM,
}
RELAYS = {
    "POST /api/chat/completions": "the model's completion: " + UPSTREAM + " (or a pipe's)",
    "POST /api/v1/chat/completions": "the model's completion: " + UPSTREAM + " (or a pipe's)",
    "POST /api/embeddings": "the embedding connection's answer, " + UPSTREAM,
    "POST /api/v1/embeddings": "the embedding connection's answer, " + UPSTREAM,
    "POST /api/message": "the Anthropic Messages answer, passed through or translated",
    "POST /api/v1/messages": "the Anthropic Messages answer, passed through or translated",
    "POST /api/message/count_tokens": "the Anthropic token count, passed through",
    "POST /api/v1/messages/count_tokens": "the Anthropic token count, passed through",
    "POST /api/models/unload": "the local engine's or Ollama node's answer, " + UPSTREAM,
    "POST /ollama/verify": "the node's version answer, " + UPSTREAM,
    "POST /api/chat/actions/{action_id}": "whatever the action function returns (any JSON)",
}


def untyped(schema: dict[str, Any]) -> bool:
    """A schema that says nothing about the value: `{}` or only a title/description."""
    return not set(schema) - {"title", "description"}


def untyped_json_operations(spec: dict[str, Any]) -> set[str]:
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                for media_type, content in response.get("content", {}).items():
                    json = media_type == "application/json" or media_type.endswith("+json")
                    if status.startswith("2") and json and untyped(content.get("schema", {})):
                        found.add(f"{method.upper()} {path}")
    return found


def relay_reason(label: str) -> str | None:
    path = label.split(" ", 1)[1]
    prefix = next((p for p in RELAY_PREFIXES if path.startswith(p)), None)
    return RELAYS.get(label) or (RELAY_PREFIXES[prefix] if prefix else None)


def spec(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path, env="dev", webui_secret_key="t" * 32,
                        enable_frontend=False)  # fmt: skip
    return create_app(settings).openapi()


def test_only_relays_document_an_untyped_json_answer(tmp_path: Path) -> None:
    found = untyped_json_operations(spec(tmp_path))
    unexplained = sorted(label for label in found if relay_reason(label) is None)
    assert not unexplained, "document these answers (response_model= or responses=):\n" + "\n".join(
        unexplained
    )
    assert len(found) > 40  # the proxy routes are there: the scan sees them


def test_every_listed_relay_still_exists_and_is_untyped(tmp_path: Path) -> None:
    """A relay that gains a schema, or goes away, leaves the list (it stays exact)."""
    found = untyped_json_operations(spec(tmp_path))
    assert sorted(set(RELAYS) - found) == []
    for prefix in RELAY_PREFIXES:
        assert any(label.split(" ", 1)[1].startswith(prefix) for label in found), prefix


def test_the_check_sees_an_untyped_answer() -> None:
    """The scan itself: `{}` and a bare title are untyped, a typed schema or a non-JSON
    body is not."""
    spec = {"paths": {
        "/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {}}}}}}},
        "/b": {"post": {"responses": {"201": {"content": {"application/json": {
            "schema": {"title": "B"}}}}}}},
        "/c": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"type": "object"}}}}}}},
        "/d": {"get": {"responses": {"200": {"content": {"image/png": {"schema": {}}}}}}},
        "/e": {"get": {"responses": {"404": {"content": {"application/json": {"schema": {}}}}}}},
    }}  # fmt: skip
    assert untyped_json_operations(spec) == {"GET /a", "POST /b"}
