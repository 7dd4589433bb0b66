"""Event webhooks: checked, then kept as one list in the config registry (`events.webhooks`).

A URL is checked by the egress guard (http/https, and public unless ENABLE_LOCAL_URL_FETCH)
when it is saved, and again on every delivery (`events/delivery.py` sends through
`Egress.fetch`), so a name that later resolves to a private address is still refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.config.store import ConfigStore
from owlet.core.clock import new_id, now
from owlet.core.egress import Egress
from owlet.errors import BadRequest, Messages, NotFound
from owlet.events.catalog import EVERY, known_pattern
from owlet.events.schemas import WebhookForm, WebhookModel, WebhookUpdateForm
from owlet.tables import User

if TYPE_CHECKING:
    from owlet.events.delivery import EventPublisher

KEY = "events.webhooks"
DEFAULT_NAME = "Webhook"
TARGET_TYPES = ("user", "group")
Hooks = list[dict[str, Any]]  # as stored


class WebhookService:
    def __init__(
        self, session: AsyncSession, config: ConfigStore, egress: Egress, events: EventPublisher
    ) -> None:
        self.session, self.config, self.egress, self.events = session, config, egress, events

    def _stored(self) -> Hooks:
        return [dict(hook) for hook in self.config.get(KEY) or []]

    def list(self) -> list[WebhookModel]:
        return [WebhookModel(**hook) for hook in self._stored()]

    async def _save(self, hooks: Hooks, admin: User, hook_id: str, how: str) -> None:
        await self.config.stage(self.session, {KEY: hooks})
        self.events.publish(
            self.session, "config.webhook.updated", actor=admin, subject_id=hook_id,
            subject_type="webhook", data={"action": how},
        )  # fmt: skip

    async def create(self, admin: User, form: WebhookForm) -> WebhookModel:
        stamp = now()
        hook: dict[str, Any] = {
            "id": new_id(), "name": "", "url": "", "enabled": True, "events": [EVERY],
            "targets": None, "created_at": stamp, "updated_at": stamp,
        }  # fmt: skip
        hook.update(await self._checked(form))
        await self._save([*self._stored(), hook], admin, hook["id"], "created")
        return WebhookModel(**hook)

    async def update(self, admin: User, webhook_id: str, form: WebhookUpdateForm) -> WebhookModel:
        hooks = self._stored()
        hook = next((h for h in hooks if h["id"] == webhook_id), None)
        if hook is None:
            raise NotFound("Webhook not found")
        hook.update(await self._checked(form), updated_at=now())
        await self._save(hooks, admin, webhook_id, "updated")
        return WebhookModel(**hook)

    async def delete(self, admin: User, webhook_id: str) -> None:
        hooks = self._stored()
        kept = [h for h in hooks if h["id"] != webhook_id]
        if len(kept) == len(hooks):
            raise NotFound("Webhook not found")
        await self._save(kept, admin, webhook_id, "deleted")

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
                if not known_pattern(name):
                    kind = "event pattern" if name.endswith(".*") else "event"
                    raise BadRequest(f"Invalid {kind}: {name}")
            values["events"] = events
        if "targets" in sent:
            targets = sent["targets"]
            for target in targets or []:
                if set(target) != {"type", "id"} or target["type"] not in TARGET_TYPES:
                    raise BadRequest("Invalid target")
            values["targets"] = targets
        return values
