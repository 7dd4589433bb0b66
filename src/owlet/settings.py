"""Process settings read once from the environment, under Open WebUI's env var names."""

from __future__ import annotations

import logging
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from owlet.auth.oauth.settings import OAuthSettings
from owlet.core.durations import parse_lifetime

log = logging.getLogger(__name__)

WELL_KNOWN_DEFAULT_SECRET = "t0p-s3cr3t"
SECRET_KEY_FILE = ".webui_secret_key"


class SettingsError(RuntimeError):
    """A setting has a value the server refuses to start with."""


class Settings(BaseSettings):
    """Env-only settings. Admin-editable ones seed the DB config (see owlet.config)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # Process and storage
    env: Literal["dev", "prod"] = "prod"
    host: str = "127.0.0.1"
    port: int = 8080
    uvicorn_workers: int = 1
    data_dir: Path = Path("./data")
    database_url: str | None = None
    database_pool_size: int = 10
    database_pool_max_overflow: int = 20
    database_pool_timeout: float = 30.0
    enable_db_migrations: bool = True
    redis_url: str | None = None
    redis_key_prefix: str = "owlet"
    webui_name: str = "owlet"
    deployment_id: str = ""
    cors_allow_origin: str = "*"
    # Socket.IO (realtime/): the transports offered, and Engine.IO's keep-alive (seconds)
    # The Open WebUI web client (web/frontend.py): served from this folder when it is built
    enable_frontend: bool = True
    frontend_build_dir: Path = Path(".frontend") / "open-webui-0.12.4"
    enable_websocket_support: bool = True
    enable_public_active_users_count: bool = True  # GET /api/usage for every verified user
    websocket_server_ping_interval: int = Field(default=25, ge=1)
    websocket_server_ping_timeout: int = Field(default=20, ge=1)
    global_log_level: str = "INFO"
    # Largest request body accepted (bytes) outside routes with their own limit (uploads).
    max_request_body_size: int = Field(default=8 * 1024 * 1024, ge=1024)

    # Secrets and auth (env-only, as in Open WebUI)
    webui_secret_key: str | None = Field(
        default=None, validation_alias=AliasChoices("WEBUI_SECRET_KEY", "WEBUI_JWT_SECRET_KEY")
    )
    enable_password_auth: bool = True
    enable_initial_admin_signup: bool = False
    password_hash_algorithm: Literal["bcrypt", "argon2"] = "bcrypt"
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    enable_password_validation: bool = False
    password_validation_regex_pattern: str = r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^\w\s]).{8,}$"
    password_validation_hint: str = ""
    webui_auth_cookie_same_site: Literal["lax", "strict", "none"] = "lax"
    webui_auth_cookie_secure: bool = False
    custom_api_key_header: str = "x-api-key"
    webui_admin_email: str = ""
    webui_admin_password: str = ""
    webui_admin_name: str = "Admin"
    signin_rate_limit: int = 5
    signin_rate_window_seconds: int = 180
    # WEBUI_AUTH=false: single-user mode (auth/modes.py); refused when other users exist
    webui_auth: bool = True
    # A trusted proxy names the user in these headers (auth/modes.py); empty: off
    webui_auth_trusted_email_header: str = ""
    webui_auth_trusted_name_header: str = ""
    webui_auth_trusted_groups_header: str = ""
    webui_auth_trusted_role_header: str = ""
    # LDAP sign-in (auth/ldap/): first values of the admin config at /auths/admin/config/ldap
    enable_ldap: bool = False
    ldap_server_label: str = "LDAP Server"
    ldap_server_host: str = "localhost"
    ldap_server_port: int | None = Field(default=389, ge=1, le=65535)
    ldap_attribute_for_mail: str = "mail"
    ldap_attribute_for_username: str = "uid"
    ldap_app_dn: str = ""
    ldap_app_password: str = ""
    ldap_search_base: str = ""
    ldap_search_filters: str = Field(
        default="", validation_alias=AliasChoices("LDAP_SEARCH_FILTERS", "LDAP_SEARCH_FILTER")
    )
    ldap_use_tls: bool = True
    ldap_ca_cert_file: str = ""
    ldap_validate_cert: bool = True
    ldap_ciphers: str = "ALL"
    enable_ldap_group_management: bool = False
    enable_ldap_group_creation: bool = False
    ldap_attribute_for_groups: str = "memberOf"
    # owlet's own: seconds to connect to the directory and to wait for each of its replies
    ldap_timeout: float = Field(default=5.0, gt=0, le=120)

    # Defaults for admin-editable config (persisted in the DB on first start)
    enable_persistent_config: bool = True
    enable_signup: bool = True
    enable_login_form: bool = True
    default_user_role: Literal["pending", "user", "admin"] = "pending"
    default_group_id: str = ""
    jwt_expires_in: str = "4w"
    enable_api_keys: bool = True
    enable_api_keys_endpoint_restrictions: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS", "ENABLE_API_KEY_ENDPOINT_RESTRICTIONS"
        ),
    )
    api_keys_allowed_endpoints: str = Field(
        default="",
        validation_alias=AliasChoices("API_KEYS_ALLOWED_ENDPOINTS", "API_KEY_ALLOWED_ENDPOINTS"),
    )
    show_admin_details: bool = True
    admin_email: str = ""
    webui_url: str = ""
    enable_community_sharing: bool = True
    enable_message_rating: bool = True
    enable_folders: bool = True
    folder_max_file_count: int | None = None
    enable_channels: bool = False
    enable_notes: bool = True
    enable_memories: bool = True
    enable_memory_system_context: bool = True
    enable_calendar: bool = False
    enable_automations: bool = False
    automation_max_count: int | None = None
    automation_min_interval: int | None = None
    channel_model_response_mode: Literal["thread", "channel"] = "thread"
    enable_user_webhooks: bool = False
    enable_user_status: bool = True
    enable_profile_image_url_forwarding: bool = True
    default_group_share_permission: str = "members"

    # Upstream connections (first values of admin-editable config; see owlet.connections)
    enable_openai_api: bool = True
    openai_api_base_url: str = "https://api.openai.com/v1"
    openai_api_base_urls: str = ""  # `;`-separated; wins over the singular form
    openai_api_key: str = ""
    openai_api_keys: str = ""
    enable_ollama_api: bool = True
    ollama_base_url: str = "http://localhost:11434"
    ollama_base_urls: str = ""
    enable_openai_api_passthrough: bool = False
    aiohttp_client_timeout: float | None = 300.0  # seconds for a completion; empty = none
    aiohttp_client_timeout_model_list: float = 5.0
    # Largest whole upstream answer, and largest single frame of a stream (bytes): beyond it
    # the client gets a 502 (or an error frame) instead of owlet holding it in memory.
    upstream_max_response_size: int = Field(default=64 * 1024 * 1024, ge=1024)
    models_cache_ttl: float = 1.0
    # How long a credential's user may be served from memory (0 = always ask the database).
    credential_cache_ttl: float = Field(default=1.0, ge=0, le=60)
    bypass_model_access_control: bool = False
    bypass_admin_access_control: bool = True
    # Context compaction of long chats (first values of the admin config /api/v1/chats/config)
    # Auxiliary tasks (tasks/): "" is the chat's own model / the default prompt
    task_model: str = ""
    task_model_external: str = ""
    enable_title_generation: bool = True
    title_generation_prompt_template: str = ""
    enable_tags_generation: bool = True
    tags_generation_prompt_template: str = ""
    enable_follow_up_generation: bool = True
    follow_up_generation_prompt_template: str = ""
    enable_context_compaction: bool = False
    context_compaction_model: str = ""
    context_compaction_token_threshold: int = Field(default=100_000, ge=1)
    context_compaction_token_cap: int | None = Field(default=None, ge=1)
    context_compaction_retention_percentage: int = Field(default=40, ge=10, le=50)
    context_compaction_prompt_template: str = ""
    # Files (first values of admin config; sizes in MB as in Open WebUI)
    rag_file_max_size: float | None = Field(default=None, gt=0)
    # Hard cap on an upload's request body (bytes), whatever RAG_FILE_MAX_SIZE says.
    max_upload_size: int = Field(default=1024**3, ge=1024)
    rag_allowed_file_extensions: str = ""  # comma-separated, e.g. "pdf,txt"; empty: any
    file_processing_concurrency: int = Field(default=2, ge=1, le=64)
    # Retrieval (first values of the admin config at /api/v1/retrieval/*)
    rag_embedding_engine: Literal["", "openai", "ollama"] = ""  # "": the local model
    rag_embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    rag_embedding_batch_size: int = Field(
        default=1,
        ge=1,
        le=4096,
        validation_alias=AliasChoices(
            "RAG_EMBEDDING_BATCH_SIZE", "RAG_EMBEDDING_OPENAI_BATCH_SIZE"
        ),
    )
    rag_openai_api_base_url: str = ""  # empty: the first OpenAI connection
    rag_openai_api_key: str = ""
    rag_ollama_base_url: str = ""  # empty: the first Ollama node
    rag_ollama_api_key: str = ""
    chunk_size: int = Field(default=1000, ge=10, le=100_000)
    chunk_overlap: int = Field(default=100, ge=0, le=50_000)
    rag_top_k: int = Field(default=3, ge=1, le=100)
    rag_relevance_threshold: float = 0.0
    enable_rag_hybrid_search: bool = False
    rag_hybrid_bm25_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    rag_template: str = ""  # empty: the default template
    vector_db: Literal["embedded", "pgvector"] = "embedded"
    pgvector_db_url: str = ""  # VECTOR_DB=pgvector: a PostgreSQL server with `vector`
    enable_plugins: bool = True  # functions (admin-authored Python plugins)
    # Local GGUF models, each in an engine process (providers/local): the bundled SmolLM2, the
    # `models/` folder in DATA_DIR and these paths (files or folders, `,`-separated)
    enable_local_models: bool = True
    local_model_paths: str = ""
    local_models_context: int = Field(default=4096, ge=256, le=131072)  # tokens per slot
    local_models_parallel: int = Field(default=4, ge=1, le=64)  # requests answered together
    local_models_threads: int = Field(default=0, ge=0, le=256)  # 0: llama.cpp's own choice
    # Outbound fetches a client asks for (e.g. /functions/load/url) may reach private addresses
    enable_local_url_fetch: bool = False
    # Outlet filters inline on API completions (off: the client calls /api/chat/completed)
    enable_api_outlet_filters: bool = False
    enable_admin_chat_access: bool = True  # admins may read other users' chats
    enable_admin_export: bool = True  # admins may export every chat (/api/v1/chats/all/db)
    # The model list (first values of the admin config at /api/v1/configs/models); JSON in env
    default_models: str = ""
    default_pinned_models: str = ""
    model_order_list: list[str] = Field(default_factory=list)
    webui_banners: list[dict[str, Any]] = Field(default_factory=list)  # JSON list
    default_model_metadata: dict[str, Any] = Field(default_factory=dict)
    default_model_params: dict[str, Any] = Field(default_factory=dict)
    # Stored for the admin "Connections" tab; owlet has neither (docs/compatibility.md)
    enable_direct_connections: bool = False
    enable_direct_integrations: bool = False
    enable_base_models_cache: bool = False
    enable_evaluation_arena_models: bool = False  # as Open WebUI 0.12.4
    evaluation_arena_models: list[dict[str, Any]] = Field(default_factory=list)
    pending_user_overlay_title: str = ""
    pending_user_overlay_content: str = ""
    response_watermark: str = ""
    default_locale: str = ""

    @field_validator("jwt_expires_in")
    @classmethod
    def _valid_expiry(cls, value: str) -> str:
        if parse_lifetime(value) is None:  # raises ValueError with a clear message
            log.warning("JWT_EXPIRES_IN=%s: tokens never expire; consider e.g. 4w", value)
        return value

    @field_validator("aiohttp_client_timeout", mode="before")
    @classmethod
    def _empty_timeout(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def openai_urls(self) -> list[str]:
        raw = self.openai_api_base_urls or self.openai_api_base_url
        return [u.strip().rstrip("/") for u in raw.split(";") if u.strip()]

    @property
    def openai_keys(self) -> list[str]:
        raw = self.openai_api_keys or self.openai_api_key
        keys = [k.strip() for k in raw.split(";")]
        return (keys + [""] * len(self.openai_urls))[: len(self.openai_urls)]

    @property
    def ollama_urls(self) -> list[str]:
        raw = self.ollama_base_urls or self.ollama_base_url
        return [u.strip().rstrip("/") for u in raw.split(";") if u.strip()]

    @field_validator("cors_allow_origin")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        for origin in value.split(";"):
            origin = origin.strip()
            if origin == "*" or not origin:
                continue
            if not origin.startswith(("http://", "https://")) or "://" == origin[-3:]:
                raise ValueError(f"CORS_ALLOW_ORIGIN entry {origin!r} is not an http(s) origin")
        return value

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_allow_origin.split(";") if o.strip()]

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL; SQLite in DATA_DIR unless DATABASE_URL says otherwise."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'webui.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
        return url

    @cached_property
    def oauth(self) -> OAuthSettings:
        """OAuth / OpenID Connect (auth/oauth/settings.py), read from the same environment."""
        return OAuthSettings()

    @cached_property
    def secret_key(self) -> str:
        """WEBUI_SECRET_KEY, or one generated once and kept in DATA_DIR with mode 0600."""
        if self.webui_secret_key is not None:
            key = self.webui_secret_key.strip()
            if key == WELL_KNOWN_DEFAULT_SECRET:
                raise SettingsError(
                    "WEBUI_SECRET_KEY is set to the publicly known default; "
                    "unset it (owlet then generates one) or choose your own."
                )
            if len(key) < 16:
                raise SettingsError("WEBUI_SECRET_KEY must be at least 16 characters long.")
            return key
        return _load_or_create_secret(self.data_dir / SECRET_KEY_FILE)


def _load_or_create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_text().strip()
        if key:
            if key == WELL_KNOWN_DEFAULT_SECRET:
                raise SettingsError(f"{path} holds the publicly known default secret; delete it.")
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers race, exactly one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    log.info("Generated a new secret key in %s", path)
    return key
