"""Event webhooks: checked, then kept as one list in the config registry (`events.webhooks`).

Nothing is delivered yet, so a URL is only checked by the egress guard (http/https, and
public unless ENABLE_LOCAL_URL_FETCH) when it is saved; delivery will send through
`Egress.fetch`, which checks it again on every request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.core.clock import new_id, now
from owlet.core.egress import Egress
from owlet.errors import BadRequest, Messages, NotFound
from owlet.events.catalog import EVERY, NAMES
from owlet.events.schemas import WebhookForm, WebhookModel, WebhookUpdateForm

KEY = "events.webhooks"
DEFAULT_NAME = "Webhook"
TARGET_TYPES = ("user", "group")
_KNOWN = frozenset(NAMES) | {EVERY}


class WebhookService:
    def __init__(self, session: AsyncSession, config: ConfigStore, egress: Egress) -> None:
        self.session, self.config, self.egress = session, config, egress

    def _stored(self) -> list[dict[str, Any]]:
        return [dict(hook) for hook in self.config.get(KEY) or []]

    def list(self) -> list[WebhookModel]:
        return [WebhookModel(**hook) for hook in self._stored()]

    async def create(self, form: WebhookForm) -> WebhookModel:
        stamp = now()
        hook: dict[str, Any] = {
            "id": new_id(), "name": "", "url": "", "enabled": True, "events": [EVERY],
            "targets": None, "created_at": stamp, "updated_at": stamp,
        }  # fmt: skip
        hook.update(await self._checked(form))
        await self.config.stage(self.session, {KEY: [*self._stored(), hook]})
        return WebhookModel(**hook)

    async def update(self, webhook_id: str, form: WebhookUpdateForm) -> WebhookModel:
        hooks = self._stored()
        hook = next((h for h in hooks if h["id"] == webhook_id), None)
        if hook is None:
            raise NotFound("Webhook not found")
        hook.update(await self._checked(form), updated_at=now())
        await self.config.stage(self.session, {KEY: hooks})
        return WebhookModel(**hook)

    async def delete(self, webhook_id: str) -> None:
        hooks = self._stored()
        kept = [h for h in hooks if h["id"] != webhook_id]
        if len(kept) == len(hooks):
            raise NotFound("Webhook not found")
        await self.config.stage(self.session, {KEY: kept})

    async def _checked(self, form: WebhookUpdateForm) -> dict[str, Any]:
        """The fields `form` sets, validated and normalized as Open WebUI stores them."""
        sent = form.model_dump(exclude_unset=True)
        values: dict[str, Any] = {}
        if "name" in sent or isinstance(form, WebhookForm):
            values["name"] = (sent.get("name") or "").strip() or DEFAULT_NAME
        if sent.get("url") is not None:
            try:
                await self.egress.check(sent["url"])
            except BadRequest:
                raise BadRequest(Messages.INVALID_URL) from None
            values["url"] = sent["url"]
        if sent.get("enabled") is not None:
            values["enabled"] = sent["enabled"]
        if "events" in sent:
            events = list(dict.fromkeys(sent["events"] or [])) or [EVERY]
            for name in events:
                if name not in _KNOWN:
                    raise BadRequest(f"Invalid event: {name}")
            values["events"] = events
        if "targets" in sent:
            targets = sent["targets"]
            for target in targets or []:
                if set(target) != {"type", "id"} or target["type"] not in TARGET_TYPES:
                    raise BadRequest("Invalid target")
            values["targets"] = targets
        return values
