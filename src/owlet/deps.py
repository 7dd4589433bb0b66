"""FastAPI dependencies: the session, the container, and who is calling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.auth.credentials import Identity, authenticate
from owlet.config.store import ConfigStore
from owlet.container import Container
from owlet.errors import Forbidden, Messages, Unauthorized
from owlet.tables import User


# Every dependency is `async def`: a plain `def` would cost a worker-thread hop per request.
async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_session(container: ContainerDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with container.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit runs when the endpoint returns, before the response goes out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def end_transaction(session: AsyncSession) -> None:
    """Commit early, before a long upstream call, so no connection is held meanwhile."""
    await session.commit()


async def get_config(container: ContainerDep) -> ConfigStore:
    return await container.config.fresh()


ConfigDep = Annotated[ConfigStore, Depends(get_config)]


async def current_identity(
    request: Request, session: SessionDep, container: ContainerDep, config: ConfigDep
) -> Identity:
    return await authenticate(request, session, container, config)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


async def optional_user(
    request: Request, session: SessionDep, container: ContainerDep, config: ConfigDep
) -> User | None:
    """The caller when a usable credential came with the request, else None (anonymous).

    A credential refused here (expired, revoked, or a key restricted from this path) makes
    the request anonymous, as no credential would.
    """
    try:
        return (await authenticate(request, session, container, config)).user
    except (Unauthorized, Forbidden):
        return None


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def current_user(identity: CurrentIdentity) -> User:
    return identity.user


async def verified_user(identity: CurrentIdentity) -> User:
    if identity.user.role not in ("user", "admin"):
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    return identity.user


async def admin_user(identity: CurrentIdentity) -> User:
    if identity.user.role != "admin":
        raise Forbidden(Messages.ACCESS_PROHIBITED)
    return identity.user


CurrentUser = Annotated[User, Depends(current_user)]
VerifiedUser = Annotated[User, Depends(verified_user)]
AdminUser = Annotated[User, Depends(admin_user)]


@dataclass(frozen=True)
class Call:
    """Everything a hot route needs, from one dependency (see `verified_call`)."""

    user: User
    session: AsyncSession
    container: Container
    config: ConfigStore


async def verified_call(request: Request) -> AsyncIterator[Call]:
    """The session, container, config and verified user of a request as one dependency.

    Same checks and transaction as `SessionDep` + `VerifiedUser`; FastAPI then solves one
    dependency instead of seven, which is a measurable share of a proxied request's cost
    (docs/gateway.md). Used by the completion routes.
    """
    container: Container = request.app.state.container
    config = await container.config.fresh()
    async with container.sessionmaker() as session:
        try:
            identity = await authenticate(request, session, container, config)
            user = await verified_user(identity)
            yield Call(user, session, container, config)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


VerifiedCall = Annotated[Call, Depends(verified_call, scope="function")]
