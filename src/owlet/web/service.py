"""What `/api/config` tells a caller, by how much we know about them."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from owlet import __version__
from owlet.auth.oauth.providers import public_providers
from owlet.config.store import ConfigStore
from owlet.core.validation import blank_when_unset
from owlet.settings import Settings
from owlet.tables import User


def public_config(
    settings: Settings, config: ConfigStore, user: User | None, onboarding: bool
) -> dict[str, Any]:
    features: dict[str, Any] = {
        "slim": False,
        "auth": settings.webui_auth,
        "auth_trusted_header": bool(settings.webui_auth_trusted_email_header),
        "enable_signup_password_confirmation": False,
        "enable_ldap": bool(config.get("ldap.enable")),
        # Single-user mode has its one account: nobody signs up (Open WebUI forces it off).
        "enable_signup": settings.webui_auth and bool(config.get("ui.enable_signup")),
        "enable_login_form": bool(config.get("ui.enable_login_form")),
        "enable_websocket": False,
    }
    body: dict[str, Any] = {
        "status": True,
        "name": settings.webui_name,
        "version": __version__,
        "default_locale": config.get("ui.default_locale"),
        "i18n": config.get("ui.i18n"),
        "oauth": public_providers(settings.oauth),
        "features": features,
    }
    if onboarding:
        body["onboarding"] = True
    if user is None:
        return body
    features.update(_signed_in_features(config))
    if user.role == "pending":
        body["ui"] = {
            "pending_user_overlay_title": config.get("ui.pending_user_overlay_title"),
            "pending_user_overlay_content": config.get("ui.pending_user_overlay_content"),
        }
        return body
    body.update(
        {
            "default_models": config.get("ui.default_models"),
            "default_pinned_models": config.get("ui.default_pinned_models"),
            "default_prompt_suggestions": config.get("ui.prompt_suggestions"),
            "default_prompt_suggestions_i18n": config.get("ui.prompt_suggestions_i18n"),
            "code": {"engine": "", "interpreter_engine": ""},
            "audio": _audio(config),
            "file": {
                "max_size": None,
                "max_count": None,
                "image_compression": {
                    "width": config.get("file.image_compression_width"),
                    "height": config.get("file.image_compression_height"),
                },
            },
            "permissions": config.get("user.permissions"),
            "google_drive": {"client_id": "", "api_key": ""},
            "onedrive": {
                "client_id_personal": "",
                "client_id_business": "",
                "sharepoint_url": "",
                "sharepoint_tenant_id": "",
            },
            "ui": {
                "pending_user_overlay_title": config.get("ui.pending_user_overlay_title"),
                "pending_user_overlay_content": config.get("ui.pending_user_overlay_content"),
                "response_watermark": config.get("ui.watermark"),
                "iframe_csp": "",
                "default_interface_settings": config.get("ui.default_interface_settings"),
                "visibility": config.get("ui.visibility"),
            },
            "license_metadata": None,
        }
    )
    return body


def _audio(config: ConfigStore) -> dict[str, Any]:
    """The voice settings the web client reads; stored only, as owlet runs no audio."""
    return {
        "realtime": {
            "enabled": bool(config.get("audio.realtime.enabled")),
            "model": config.get("audio.realtime.model"),
            "voice": config.get("audio.realtime.voice"),
        },
        "tts": {
            "engine": config.get("audio.tts.engine"),
            "voice": config.get("audio.tts.voice"),
            "split_on": config.get("audio.tts.split_on"),
        },
        "stt": {"engine": config.get("audio.stt.engine")},
    }


def _signed_in_features(config: ConfigStore) -> dict[str, Any]:
    """Features owlet has switched on; ones it does not implement yet report false."""
    return {
        "enable_api_keys": bool(config.get("auth.enable_api_keys")),
        "enable_password_change_form": True,
        "enable_version_update_check": False,
        "enable_pyodide_file_persistence": False,
        "enable_public_active_users_count": True,
        "enable_easter_eggs": False,
        "enable_direct_connections": False,
        "enable_direct_integrations": False,
        "enable_plugins": False,
        "enable_tools": False,
        "enable_functions": True,
        "enable_tool_servers": False,
        "enable_terminal_servers": False,
        "enable_folders": bool(config.get("folders.enable")),
        "folder_max_file_count": blank_when_unset(config.get("folders.max_file_count")),
        "enable_channels": False,
        "enable_encrypted_channels": False,
        "enable_apps": False,
        "enable_calendar": False,
        "enable_automations": False,
        "enable_notes": False,
        "enable_context_compaction": False,
        "enable_tool_permissions": False,
        "enable_web_search": False,
        "enable_web_search_confirmation": False,
        "web_search_confirmation_content": "",
        "enable_code_execution": False,
        "enable_code_interpreter": False,
        "enable_image_generation": False,
        "enable_autocomplete_generation": False,
        "enable_title_generation": bool(config.get("task.title.enable")),
        "enable_follow_up_generation": bool(config.get("task.follow_up.enable")),
        "enable_tags_generation": bool(config.get("task.tags.enable")),
        "enable_community_sharing": bool(config.get("ui.enable_community_sharing")),
        "enable_message_rating": bool(config.get("ui.enable_message_rating")),
        "enable_user_webhooks": bool(config.get("ui.enable_user_webhooks")),
        "enable_user_status": bool(config.get("users.enable_status")),
        "enable_admin_export": True,
        "enable_admin_chat_access": True,
        "enable_admin_analytics": False,
        "enable_google_drive_integration": False,
        "enable_onedrive_integration": False,
        "enable_memories": False,
        "enable_subagents": False,
    }


@functools.cache
def release_notes(count: int = 5) -> dict[str, Any]:
    """The newest `count` releases of CHANGELOG.md: `{version: {date, <section>: [{title,
    content, raw}]}}`, the shape `/api/changelog` has in Open WebUI."""
    text = resources.files("owlet.web").joinpath("CHANGELOG.md").read_text(encoding="utf-8")
    notes: dict[str, Any] = {}
    release: dict[str, Any] | None = None
    section: list[dict[str, str]] | None = None
    for line in text.splitlines():
        heading = re.match(r"^## \[([^\]]+)\](?: - (\S+))?", line)
        if heading:
            if len(notes) == count:
                break
            # The three sections Open WebUI's release notes always have, empty when unused.
            empty: dict[str, Any] = {"added": [], "fixed": [], "changed": []}
            release = notes.setdefault(heading.group(1), {"date": heading.group(2) or "", **empty})
            section = None
        elif line.startswith("### ") and release is not None:
            section = release.setdefault(line[4:].strip().lower(), [])
        elif line.startswith("- ") and section is not None:
            raw = line[2:].strip()
            bold = re.match(r"^\*\*(.+?)\*\*:?\s*(.*)$", raw)
            title, content = (bold.group(1), bold.group(2)) if bold else ("", raw)
            section.append({"title": title, "content": content, "raw": raw})
    return notes
