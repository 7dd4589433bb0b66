"""Group memberships owned by an identity source (LDAP, a trusted proxy): synced by name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from owlet.core.clock import new_id, now
from owlet.groups import repository as groups
from owlet.tables import Group, User


async def sync_groups(
    session: AsyncSession,
    user: User,
    names: Iterable[str],
    *,
    create_missing: bool,
    keep: Iterable[str] = (),
    share: bool | str = "members",
) -> None:
    """Make `user` a member of exactly the groups called `names`.

    Groups the source does not name are left (except the ids in `keep`, e.g. the default
    group every new account joins); named groups that do not exist are created only with
    `create_missing`, with no permissions of their own (members get the defaults) and
    `share` as their sharing setting (DEFAULT_GROUP_SHARE_PERMISSION).
    """
    wanted = {name.strip() for name in names if name and name.strip()}
    found = list(await groups.list_by_names(session, wanted))
    if create_missing:
        stamp = now()
        for name in sorted(wanted - {g.name for g in found}):
            found.append(
                await groups.insert(
                    session,
                    Group(
                        id=new_id(),
                        user_id=user.id,
                        name=name,
                        description="",
                        data={"config": {"share": share}},
                        meta=None,
                        permissions=None,
                        created_at=stamp,
                        updated_at=stamp,
                    ),
                )
            )
    kept = set(keep)
    for group in await groups.list_for_user(session, user.id):
        if group.name not in wanted and group.id not in kept:
            await groups.remove_members(session, group.id, [user.id])
    for group in found:
        await groups.add_members(session, group.id, [user.id])
