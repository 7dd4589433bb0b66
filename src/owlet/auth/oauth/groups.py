"""ENABLE_OAUTH_GROUP_MANAGEMENT: make a user's group memberships those the provider names."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth.oauth import claims as oauth_claims
from owlet.auth.oauth.settings import OAuthSettings
from owlet.core.clock import new_id, now
from owlet.groups import repository as groups
from owlet.tables import Group, User
from owlet.users import repository as users


async def sync_groups(
    session: AsyncSession, settings: OAuthSettings, user: User, claims: dict[str, Any]
) -> None:
    """Join the groups named in the claim, leave the others; blocked groups are left as they
    are. An empty or missing claim changes nothing (as in Open WebUI)."""
    wanted = oauth_claims.claimed_groups(settings, claims)
    if not wanted:
        return
    if settings.enable_oauth_group_creation:
        await users.lock_signups(session)  # two first sign-ins must not make a group twice
    existing = {g.name: g for g in await groups.by_names(session, wanted)}
    if settings.enable_oauth_group_creation:
        owner = await users.first_user_id(session) or user.id
        for name in wanted:
            if name not in existing:
                existing[name] = await groups.insert(session, _new_group(settings, name, owner))
    wanted_ids = {g.id for name, g in existing.items() if name in wanted}
    for group in await groups.list_for_user(session, user.id):
        if group.id not in wanted_ids and not oauth_claims.is_blocked(settings, group.name):
            await groups.remove_members(session, group.id, [user.id])
    for group_id in sorted(wanted_ids):
        await groups.add_members(session, group_id, [user.id])


def _new_group(settings: OAuthSettings, name: str, owner: str) -> Group:
    stamp = now()
    return Group(
        id=new_id(),
        user_id=owner,
        name=name,
        description=f"Created from the identity provider's {settings.oauth_group_claim} claim",
        data={"config": {"share": settings.group_share}},
        meta=None,
        permissions=None,
        created_at=stamp,
        updated_at=stamp,
    )
