"""Open WebUI 0.12.4 settings owlet keeps but does not act on (beyond retrieval's, in
documents.py): the admin page's skills, apps and encrypted channels, task prompts owlet has
no task for, tool search, sub-agents, memory review, integrations.

Their routes answer and save them, and the export carries them, so an Open WebUI admin page
or config file finds every key it expects. Switches that would turn on something owlet does
not do start off; every other value is Open WebUI's first value. (docs/compatibility.md)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from owlet.config.features import JsonList, Row, Text, row
from owlet.core.validation import JsonObject

Chars = Annotated[int, Field(ge=0)] | None

# /api/v1/auths/admin/config
ADMIN: list[Row] = [
    row("DEFAULT_INTERFACE_SETTINGS", "ui.default_interface_settings", {}),
    row("I18N", "ui.i18n", {}),
    row("ENABLE_ENCRYPTED_CHANNELS", "channels.encryption.enable", False),
    row("ENABLE_APPS", "apps.enable", False),
    row("ENABLE_SKILL_LAZY_LOADING", "skills.lazy_loading.enable", False),
    row("SKILL_CONTENT_MAX_CHARS", "skills.content_max_chars", None, Chars),
    row("SKILL_PREVIEW_MAX_CHARS", "skills.preview_max_chars", None, Chars),
]

# /api/v1/tasks/config, beside the title, tags and follow-up settings owlet runs
TASKS: list[Row] = [
    row("TASK_MODEL_PARAMS", "task.model.params", {}),
    row("IMAGE_PROMPT_GENERATION_PROMPT_TEMPLATE", "task.image.prompt_template", ""),
    row("ENABLE_AUTOCOMPLETE_GENERATION", "task.autocomplete.enable", False),
    row("AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH", "task.autocomplete.input_max_length", -1),
    row("AUTOCOMPLETE_GENERATION_PROMPT_TEMPLATE", "task.autocomplete.prompt_template", ""),
    row("ENABLE_SEARCH_QUERY_GENERATION", "task.query.search.enable", False),
    row("ENABLE_RETRIEVAL_QUERY_GENERATION", "task.query.retrieval.enable", False),
    row("QUERY_GENERATION_PROMPT_TEMPLATE", "task.query.prompt_template", ""),
    row("TOOLS_FUNCTION_CALLING_PROMPT_TEMPLATE", "task.tools.prompt_template", ""),
    row("ENABLE_VOICE_MODE_PROMPT", "task.voice.prompt.enable", False),
    row("VOICE_MODE_PROMPT_TEMPLATE", "task.voice.prompt_template", ""),
]

# /api/v1/chats/config, beside context compaction
CHATS: list[Row] = [
    row("ENABLE_TOOL_PERMISSIONS", "chat.tool_permissions.enable", False),
    row("ENABLE_TOOL_SEARCH", "chat.tool_search.enable", False),
    row("TOOL_SEARCH_DEFER_THRESHOLD", "chat.tool_search.defer_threshold", 400),
    row("TOOL_SEARCH_ALWAYS_LOADED", "chat.tool_search.always_loaded", [], list[Text]),
    row("TOOL_SEARCH_DEFER_BUILTIN_TOOLS", "chat.tool_search.defer_builtin_tools", True),
]

# /api/v1/auths/admin/config/ldap/server (auth/ldap/schemas.py): stored only; an entry
# without a mail attribute is still refused rather than given `<username>@<domain>`.
LDAP: list[Row] = [row("default_email_domain", "ldap.server.default_email_domain", "")]

# No route of their own in owlet: the export and import carry them (wire name unused).
EXPORT_ONLY: list[Row] = [
    row("", "tool_server.connections", [], list[JsonObject]),
    row("", "terminal_server.connections", [], list[JsonObject]),
    row("", "memories.background_review.enable", False),
    row("", "memories.review_interval_turns", 10),
    row("", "memories.user_char_limit", 2000),
    row("", "memories.context_char_limit", 2000),
    row("", "google_drive.client_id", ""),
    row("", "google_drive.api_key", ""),
    row("", "onedrive.sharepoint_url", ""),
    row("", "onedrive.sharepoint_tenant_id", ""),
    row("", "rag.tiktoken_encoding_name", "cl100k_base"),
    row("", "web.search.azure_ai_search_api_key", ""),
    row("", "web.search.azure_ai_search_endpoint", ""),
    row("", "web.search.azure_ai_search_index_name", ""),
    row("", "rag.azure_openai.base_url", ""),
    row("", "rag.azure_openai.api_key", ""),
    row("", "rag.azure_openai.api_version", ""),
    row("", "ui.enable_password_change_form", True),
    row("", "ui.visibility", {}),
    row("", "ui.prompt_suggestions", None, JsonList | None),
    row("", "ui.prompt_suggestions_i18n", {}),
    row("", "subagents.enable", False),
    row("", "subagents.background_enabled", False),
    row("", "subagents.max_concurrent", 20),
    row("", "subagents.max_async", 20),
    row("", "subagents.max_iterations", 30),
    row("", "subagents.max_output", 30000),
    row("", "subagents.system_prompt", ""),
    row("", "automations.auth_token_expires_in", "1h"),
    row("", "webhook_url", ""),
    # owlet has no multi-factor sign-in: an import may not switch it on
    row("", "auth.mfa.enable", False, Literal[False]),
    row("", "auth.mfa.allow_oauth_bypass", False, Literal[False]),
    row("", "auth.mfa.allow_trusted_header_bypass", False, Literal[False]),
]

SECTIONS = (ADMIN, TASKS, CHATS, LDAP, EXPORT_ONLY)
