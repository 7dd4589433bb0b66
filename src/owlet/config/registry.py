"""Every persisted config key, with the env setting that gives its first value."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from owlet.config import documents, features, stored
from owlet.config.permissions import env_permissions
from owlet.settings import Settings

# key -> default taken from the environment (via Settings) on first start
DEFAULTS: dict[str, Callable[[Settings], Any]] = {
    "ui.enable_signup": lambda s: s.enable_signup,
    "ui.enable_login_form": lambda s: s.enable_login_form,
    "ui.default_user_role": lambda s: s.default_user_role,
    "ui.default_group_id": lambda s: s.default_group_id,
    "ui.enable_community_sharing": lambda s: s.enable_community_sharing,
    "ui.enable_message_rating": lambda s: s.enable_message_rating,
    "ui.enable_user_webhooks": lambda s: s.enable_user_webhooks,
    "ui.pending_user_overlay_title": lambda s: s.pending_user_overlay_title,
    "ui.pending_user_overlay_content": lambda s: s.pending_user_overlay_content,
    "ui.watermark": lambda s: s.response_watermark,
    "webui.url": lambda s: s.webui_url,
    "ui.default_locale": lambda s: s.default_locale,
    "auth.enable_api_keys": lambda s: s.enable_api_keys,
    "auth.api_key.endpoint_restrictions": lambda s: s.enable_api_keys_endpoint_restrictions,
    "auth.api_key.allowed_endpoints": lambda s: s.api_keys_allowed_endpoints,
    "auth.jwt_expiry": lambda s: s.jwt_expires_in,
    "auth.admin.show": lambda s: s.show_admin_details,
    "auth.admin.email": lambda s: s.admin_email or None,
    "user.permissions": lambda s: env_permissions(),
    "folders.enable": lambda s: s.enable_folders,
    "folders.max_file_count": lambda s: s.folder_max_file_count,
    "channels.enable": lambda s: s.enable_channels,
    "channels.model_response_mode": lambda s: s.channel_model_response_mode,
    "notes.enable": lambda s: s.enable_notes,
    "memories.enable": lambda s: s.enable_memories,
    "memories.system_context": lambda s: s.enable_memory_system_context,
    "calendar.enable": lambda s: s.enable_calendar,
    "automations.enable": lambda s: s.enable_automations,
    "automations.max_count": lambda s: s.automation_max_count,
    "automations.min_interval": lambda s: s.automation_min_interval,
    "users.enable_status": lambda s: s.enable_user_status,
    "openai.enable": lambda s: s.enable_openai_api,
    "openai.api_base_urls": lambda s: s.openai_urls,
    "openai.api_keys": lambda s: s.openai_keys,
    "openai.api_configs": lambda s: {},
    "ollama.enable": lambda s: s.enable_ollama_api,
    "ollama.base_urls": lambda s: s.ollama_urls,
    "ollama.api_configs": lambda s: {},
    "ui.default_models": lambda s: s.default_models or None,
    "ui.default_pinned_models": lambda s: s.default_pinned_models or None,
    "ui.model_order_list": lambda s: list(s.model_order_list),
    "ui.banners": lambda s: list(s.webui_banners),
    "models.default_metadata": lambda s: dict(s.default_model_metadata),
    "models.default_params": lambda s: dict(s.default_model_params),
    "task.model.default": lambda s: s.task_model,
    "task.model.external": lambda s: s.task_model_external,
    "task.title.enable": lambda s: s.enable_title_generation,
    "task.title.prompt_template": lambda s: s.title_generation_prompt_template,
    "task.tags.enable": lambda s: s.enable_tags_generation,
    "task.tags.prompt_template": lambda s: s.tags_generation_prompt_template,
    "task.follow_up.enable": lambda s: s.enable_follow_up_generation,
    "task.follow_up.prompt_template": lambda s: s.follow_up_generation_prompt_template,
    "chat.compaction.enable": lambda s: s.enable_context_compaction,
    "chat.compaction.model": lambda s: s.context_compaction_model,
    "chat.compaction.token_threshold": lambda s: s.context_compaction_token_threshold,
    "chat.compaction.token_cap": lambda s: s.context_compaction_token_cap,
    "chat.compaction.retention_percentage": lambda s: s.context_compaction_retention_percentage,
    "chat.compaction.prompt_template": lambda s: s.context_compaction_prompt_template,
    "rag.file.max_size": lambda s: s.rag_file_max_size,
    "rag.file.allowed_extensions": lambda s: [
        e.strip().lower().lstrip(".") for e in s.rag_allowed_file_extensions.split(",") if e.strip()
    ],
    "rag.embedding_engine": lambda s: s.rag_embedding_engine,
    "rag.embedding_model": lambda s: s.rag_embedding_model,
    "rag.embedding_batch_size": lambda s: s.rag_embedding_batch_size,
    "rag.openai_api_base_url": lambda s: s.rag_openai_api_base_url,
    "rag.openai_api_key": lambda s: s.rag_openai_api_key,
    "rag.ollama_base_url": lambda s: s.rag_ollama_base_url,
    "rag.ollama_api_key": lambda s: s.rag_ollama_api_key,
    "rag.chunk_size": lambda s: s.chunk_size,
    "rag.chunk_overlap": lambda s: s.chunk_overlap,
    "rag.top_k": lambda s: s.rag_top_k,
    "rag.relevance_threshold": lambda s: s.rag_relevance_threshold,
    "rag.enable_hybrid_search": lambda s: s.enable_rag_hybrid_search,
    "rag.hybrid_bm25_weight": lambda s: s.rag_hybrid_bm25_weight,
    "rag.template": lambda s: s.rag_template,
    "ldap.enable": lambda s: s.enable_ldap,
    "ldap.server.label": lambda s: s.ldap_server_label,
    "ldap.server.host": lambda s: s.ldap_server_host,
    "ldap.server.port": lambda s: s.ldap_server_port,
    "ldap.server.attribute_for_mail": lambda s: s.ldap_attribute_for_mail,
    "ldap.server.attribute_for_username": lambda s: s.ldap_attribute_for_username,
    "ldap.server.app_dn": lambda s: s.ldap_app_dn,
    "ldap.server.app_password": lambda s: s.ldap_app_password,
    "ldap.server.search_base": lambda s: s.ldap_search_base,
    "ldap.server.search_filters": lambda s: s.ldap_search_filters,
    "ldap.server.use_tls": lambda s: s.ldap_use_tls,
    "ldap.server.ca_cert_file": lambda s: s.ldap_ca_cert_file,
    "ldap.server.validate_cert": lambda s: s.ldap_validate_cert,
    "ldap.server.ciphers": lambda s: s.ldap_ciphers,
    "ldap.server.enable_group_management": lambda s: s.enable_ldap_group_management,
    "ldap.server.enable_group_creation": lambda s: s.enable_ldap_group_creation,
    "ldap.server.attribute_for_groups": lambda s: s.ldap_attribute_for_groups,
    "evaluation.arena.enable": lambda s: s.enable_evaluation_arena_models,
    "evaluation.arena.models": lambda s: list(s.evaluation_arena_models),
    "direct.enable": lambda s: s.enable_direct_connections,
    "direct.integrations.enable": lambda s: s.enable_direct_integrations,
    "models.base_models_cache": lambda s: s.enable_base_models_cache,
    "events.webhooks": lambda s: [],  # event webhooks (events/), not part of an export
}


def _constant(value: Any) -> Callable[[Settings], Any]:
    return lambda _settings: copy.deepcopy(value)


# Stored but not run by owlet: code execution, audio, images, other retrieval engines, web
# search and the rest of Open WebUI's settings (features.py, documents.py, stored.py).
STORED_ROWS: list[features.Row] = [
    item
    for sections in (features.SECTIONS, documents.SECTIONS, stored.SECTIONS)
    for rows in sections
    for item in rows
]
STORED_TYPES: dict[str, Any] = {key: kind for _, key, kind, _ in STORED_ROWS}
DEFAULTS.update({key: _constant(first) for _, key, _, first in STORED_ROWS})


def env_defaults(settings: Settings) -> dict[str, Any]:
    return {key: default(settings) for key, default in DEFAULTS.items()}
