"""`/api/v1/configs/export` and `/import`: the persisted config as one JSON object of
Open WebUI's dotted key names, so a file moves between owlet and Open WebUI.

Import merges: keys sent replace the stored ones, others are kept. Keys owlet does not know
are skipped, and so are `oauth.*` (read from the environment; the export shows them); a known
key with a value of the wrong type is refused with 400 naming it, and nothing is written.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from owlet.config import documents
from owlet.config.permissions import check_permission_tree
from owlet.config.registry import DEFAULTS, STORED_TYPES
from owlet.core.durations import parse_lifetime
from owlet.core.validation import CleanText, JsonObject, blank_when_unset, count_from_wire
from owlet.errors import BadRequest

Text = Annotated[CleanText, StringConstraints(max_length=100_000)]
Texts = Annotated[list[Text], Field(max_length=10_000)]
Objects = Annotated[list[JsonObject], Field(max_length=10_000)]
Count = Annotated[int, Field(ge=0)]

# owlet key -> Open WebUI key, where owlet's own name differs
OPEN_WEBUI_NAMES = {
    "memories.system_context": "memories.system_context.enable",
    **{
        f"chat.compaction.{name}": f"chat.context_compaction.{name}"
        for name in (
            "enable",
            "model",
            "token_threshold",
            "token_cap",
            "retention_percentage",
            "prompt_template",
        )
    },  # fmt: skip
    "rag.openai_api_base_url": "rag.openai.api_base_url",
    "rag.openai_api_key": "rag.openai.api_key",
    "rag.ollama_base_url": "rag.ollama.base_url",
    "rag.ollama_api_key": "rag.ollama.api_key",
    "ldap.server.search_base": "ldap.server.users_dn",
    "ldap.server.search_filters": "ldap.server.search_filter",
    "ldap.server.enable_group_management": "ldap.group.enable_management",
    "ldap.server.enable_group_creation": "ldap.group.enable_creation",
}
OWLET_NAMES = {theirs: ours for ours, theirs in OPEN_WEBUI_NAMES.items()}
# Kept elsewhere in Open WebUI, so not part of its export either.
NOT_EXPORTED = frozenset({"events.webhooks"}) | documents.NOT_EXPORTED
# Counts Open WebUI keeps as text: unset is "" on the wire (None in owlet), "7" means 7.
BLANK_WHEN_UNSET = frozenset({"folders.max_file_count", "automations.max_count",
                              "automations.min_interval"})  # fmt: skip

_BOOL_KEYS = (
    "ui.enable_signup", "ui.enable_login_form", "ui.enable_community_sharing",
    "ui.enable_message_rating", "ui.enable_user_webhooks", "auth.enable_api_keys",
    "auth.api_key.endpoint_restrictions", "auth.admin.show", "folders.enable", "channels.enable",
    "notes.enable", "memories.enable", "memories.system_context", "calendar.enable",
    "automations.enable", "users.enable_status", "openai.enable", "ollama.enable",
    "task.title.enable", "task.tags.enable", "task.follow_up.enable", "chat.compaction.enable",
    "rag.enable_hybrid_search", "evaluation.arena.enable", "direct.enable",
    "direct.integrations.enable", "models.base_models_cache", "ldap.enable",
    "ldap.server.use_tls", "ldap.server.validate_cert", "ldap.server.enable_group_management",
    "ldap.server.enable_group_creation",
)  # fmt: skip
_TEXT_KEYS = (
    "ui.default_group_id", "ui.pending_user_overlay_title", "ui.pending_user_overlay_content",
    "ui.watermark", "webui.url", "ui.default_locale", "auth.api_key.allowed_endpoints",
    "task.model.default",
    "task.model.external", "task.title.prompt_template", "task.tags.prompt_template",
    "task.follow_up.prompt_template", "chat.compaction.model", "chat.compaction.prompt_template",
    "rag.embedding_model", "rag.openai_api_base_url", "rag.openai_api_key",
    "rag.ollama_base_url", "rag.ollama_api_key", "rag.template", "ldap.server.label",
    "ldap.server.host", "ldap.server.attribute_for_mail", "ldap.server.attribute_for_username",
    "ldap.server.app_dn", "ldap.server.app_password", "ldap.server.search_base",
    "ldap.server.search_filters", "ldap.server.ca_cert_file", "ldap.server.ciphers",
    "ldap.server.attribute_for_groups",
)  # fmt: skip

TYPES: dict[str, Any] = {
    **dict.fromkeys(_BOOL_KEYS, bool),
    **dict.fromkeys(_TEXT_KEYS, Text),
    "ui.default_user_role": Literal["pending", "user", "admin"],
    "ui.default_models": Text | None,
    "ui.default_pinned_models": Text | None,
    "ui.model_order_list": Texts,
    "ui.banners": Objects,
    "auth.jwt_expiry": Text,
    "auth.admin.email": Text | None,
    "user.permissions": JsonObject,
    "folders.max_file_count": Count | None,
    "channels.model_response_mode": Literal["thread", "channel"],
    "automations.max_count": Count | None,
    "automations.min_interval": Count | None,
    "openai.api_base_urls": Texts,
    "openai.api_keys": Texts,
    "openai.api_configs": JsonObject,
    "ollama.base_urls": Texts,
    "ollama.api_configs": JsonObject,
    "models.default_metadata": JsonObject,
    "models.default_params": JsonObject,
    "chat.compaction.token_threshold": Annotated[int, Field(ge=1)],
    "chat.compaction.token_cap": Annotated[int, Field(ge=1)] | None,
    "chat.compaction.retention_percentage": Annotated[int, Field(ge=10, le=50)],
    "rag.file.max_size": Annotated[float, Field(gt=0)] | None,
    "rag.file.allowed_extensions": Texts,
    "rag.embedding_engine": Literal["", "openai", "ollama"],
    "rag.embedding_batch_size": Annotated[int, Field(ge=1, le=4096)],
    "rag.chunk_size": Annotated[int, Field(ge=10, le=100_000)],
    "rag.chunk_overlap": Annotated[int, Field(ge=0, le=50_000)],
    "rag.top_k": Annotated[int, Field(ge=1, le=100)],
    "rag.relevance_threshold": float,
    "rag.hybrid_bm25_weight": Annotated[float, Field(ge=0.0, le=1.0)],
    "evaluation.arena.models": Objects,
    "ldap.server.port": Annotated[int, Field(ge=1, le=65535)] | None,
    **STORED_TYPES,
}
_ADAPTERS = {key: TypeAdapter(kind) for key, kind in TYPES.items()}


def exported(values: dict[str, Any]) -> dict[str, Any]:
    return {
        OPEN_WEBUI_NAMES.get(key, key): (
            blank_when_unset(value) if key in BLANK_WHEN_UNSET else copy.deepcopy(value)
        )
        for key, value in values.items()
        if key in DEFAULTS and key not in NOT_EXPORTED
    }


def imported(config: dict[str, Any]) -> dict[str, Any]:
    """The owlet config values an import of `config` writes; 400 for a bad value."""
    values: dict[str, Any] = {}
    for name, value in config.items():
        key = OWLET_NAMES.get(name, name)
        if key not in DEFAULTS or key in NOT_EXPORTED:
            continue
        if key in BLANK_WHEN_UNSET:
            value = count_from_wire(value)
        try:
            # strict: "true" is not a boolean and 1 is not a string, as JSON has it
            checked = _ADAPTERS[key].validate_python(value, strict=True)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise BadRequest(f"Invalid value for {name}: {reason}") from None
        if key == "user.permissions":
            check_permission_tree(checked)
        if key == "auth.jwt_expiry":
            try:
                parse_lifetime(checked)
            except ValueError as exc:
                raise BadRequest(f"Invalid value for {name}: {exc}") from None
        values[key] = checked
    return values
