"""`/api/v1/functions/*` (reference §7.1): admins manage plugin sources, valves and switches.

Running them inside chats is in runtime.py, pipes.py, actions.py and outlets.py.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from owlet.container import Container
from owlet.core.clock import now, version_id
from owlet.core.validation import Form, JsonObject
from owlet.db.locks import fetch
from owlet.deps import AdminUser, ContainerDep, SessionDep, VerifiedUser
from owlet.errors import BadRequest, NotFound
from owlet.functions.loader import Loaded, LoadError, load, make_valves, valid_id, valves_schema
from owlet.functions.schemas import (
    FunctionExportItem,
    FunctionModel,
    FunctionWithContent,
    FunctionWithUser,
    LoadedSource,
)
from owlet.tables import Function, User

router = APIRouter(prefix="/api/v1/functions", tags=["functions"])
ID_TAKEN = "Uh-oh! This id is already registered. Please choose another id string."
MAX_SOURCE = 1_000_000  # characters of plugin source
BAD_ID = "Only alphanumeric characters and underscores are allowed in the id"
# A valves class's JSON schema; null when the function defines none (or is inactive).
ValvesSpec = dict[str, Any] | None


class FunctionMeta(Form):
    description: Annotated[str, Field(max_length=10_000)] | None = None
    manifest: JsonObject | None = None


class FunctionForm(Form):
    id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=255)]
    content: Annotated[str, Field(min_length=1, max_length=MAX_SOURCE)]
    meta: FunctionMeta = Field(default_factory=FunctionMeta)


class WithValves(FunctionForm):
    valves: JsonObject | None = None
    is_active: bool = False
    is_global: bool = False


class SyncForm(Form):
    functions: list[WithValves] = Field(max_length=1000)


def response(row: Function, content: bool = False) -> dict[str, Any]:
    body = {
        "version_id": version_id(row.id, row.updated_at),
        "id": row.id, "user_id": row.user_id, "type": row.type, "name": row.name,
        "meta": {"toggle": False, **(row.meta or {})}, "is_active": row.is_active,
        "is_global": row.is_global,
        "updated_at": row.updated_at, "created_at": row.created_at,
    }  # fmt: skip
    if content:
        body["content"] = row.content
    return body


async def _checked(function_id: str, content: str) -> Loaded:
    if not valid_id(function_id):
        raise BadRequest(BAD_ID)
    try:
        return await load(function_id, content)
    except LoadError as exc:
        raise BadRequest(f"[ERROR: {exc}]") from exc


def _meta(form: FunctionForm, loaded: Loaded) -> dict[str, Any]:
    meta = form.meta.model_dump(exclude_none=True)
    meta["manifest"] = {**loaded.frontmatter, **(meta.get("manifest") or {})}
    if getattr(loaded.instance, "toggle", False) is True:
        meta["toggle"] = True
    return meta


async def _get(session: AsyncSession, function_id: str, lock: bool = False) -> Function:
    """The function; `lock` for a change that depends on what is read (db/locks.py)."""
    row = await fetch(session, Function, function_id, lock)
    if row is None:
        raise NotFound()
    return row


@router.get("/", response_model=list[FunctionModel])
async def list_functions(_user: VerifiedUser, session: SessionDep, container: ContainerDep) -> Any:
    if not container.settings.enable_plugins:
        return []
    rows = (await session.scalars(select(Function).order_by(Function.id))).all()
    return [response(r) for r in rows]


@router.get("/list", response_model=list[FunctionWithUser])
async def list_with_users(_admin: AdminUser, session: SessionDep) -> Any:
    stmt = (
        select(Function, User.name, User.email, User.role)
        .join(User, User.id == Function.user_id, isouter=True)
        .order_by(Function.id)
    )
    rows = (await session.execute(stmt)).all()
    return [
        {**response(f), "user": {"id": f.user_id, "name": name, "role": role, "email": email}}
        for f, name, email, role in rows
    ]


class UrlForm(Form):
    url: Annotated[str, Field(min_length=1, max_length=2048)]


def raw_url(url: str) -> str:
    """A GitHub page of a file (`…/blob/<ref>/<path>`) as its raw download address."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url  # the fetch refuses it with a 400
    segments = parts.path.strip("/").split("/")
    if parts.hostname == "github.com" and len(segments) > 4 and segments[2] == "blob":
        owner, repo, _, *rest = segments
        return f"https://raw.githubusercontent.com/{owner}/{repo}/{'/'.join(rest)}"
    return url


@router.post("/load/url", response_model=LoadedSource)
async def load_from_url(form: UrlForm, _admin: AdminUser, container: ContainerDep) -> Any:
    """A plugin's source from a URL, to review before `create` (nothing is stored or run)."""
    url = raw_url(form.url.strip())
    url, content = await container.egress.fetch_text(url, max_bytes=MAX_SOURCE, seconds=30.0)
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
    return {"name": name or "function", "content": content}


@router.get("/export", responses={200: {"model": list[FunctionExportItem]}})
async def export_functions(
    _admin: AdminUser, session: SessionDep, include_valves: bool = False
) -> Any:
    rows = (await session.scalars(select(Function).order_by(Function.id))).all()
    return [
        {**response(r, content=True), **({"valves": r.valves} if include_valves else {})}
        for r in rows
    ]


@router.post("/create", response_model=FunctionModel)
async def create_function(
    form: FunctionForm, admin: AdminUser, session: SessionDep, container: ContainerDep
) -> Any:
    function_id = form.id.lower()
    loaded = await _checked(function_id, form.content)
    if await session.get(Function, function_id) is not None:
        raise BadRequest(ID_TAKEN)
    stamp = now()
    row = Function(
        id=function_id, user_id=admin.id, name=form.name, type=loaded.kind,
        content=form.content, meta=_meta(form, loaded), valves={}, is_active=False,
        is_global=False, created_at=stamp, updated_at=stamp,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    container.function_cache.forget(function_id)
    _event(container, session, admin, "function.created", row)
    return response(row)


@router.post("/sync", response_model=list[FunctionModel])
async def sync_functions(
    form: SyncForm, admin: AdminUser, session: SessionDep, container: ContainerDep
) -> Any:
    """The given functions, and only them (all are loaded first: one bad source stores none)."""
    loaded = [(f, await _checked(f.id.lower(), f.content)) for f in form.functions]
    await session.execute(delete(Function))
    stamp = now()
    for f, module in loaded:
        session.add(Function(
            id=f.id.lower(), user_id=admin.id, name=f.name, type=module.kind,
            content=f.content, meta=_meta(f, module), valves=f.valves or {},
            is_active=f.is_active, is_global=f.is_global, created_at=stamp, updated_at=stamp,
        ))  # fmt: skip
    await session.flush()
    container.function_cache.forget()
    rows = (await session.scalars(select(Function).order_by(Function.id))).all()
    return [response(r) for r in rows]


@router.get("/id/{function_id}", response_model=FunctionWithContent)
async def get_function(function_id: str, _admin: AdminUser, session: SessionDep) -> Any:
    return response(await _get(session, function_id), content=True)


@router.post("/id/{function_id}/update", response_model=FunctionWithContent)
async def update_function(
    function_id: str, form: FunctionForm, admin: AdminUser, session: SessionDep,
    container: ContainerDep,
) -> Any:  # fmt: skip
    await _get(session, function_id)  # a missing one is a 404 before its new source is run
    loaded = await _checked(function_id, form.content)  # up to 10 s: not under the lock
    row = await _get(session, function_id, lock=True)
    row.name, row.content, row.type = form.name, form.content, loaded.kind
    row.meta, row.updated_at = _meta(form, loaded), now()
    container.function_cache.forget(row.id)
    _event(container, session, admin, "function.updated", row)
    return response(row, content=True)


@router.post("/id/{function_id}/toggle", response_model=FunctionWithContent)
async def toggle_function(
    function_id: str, admin: AdminUser, session: SessionDep, container: ContainerDep
) -> Any:
    row = await _flip(session, container, function_id, "is_active")
    name = "function.enabled" if row.is_active else "function.disabled"
    _event(container, session, admin, name, row)
    return response(row, content=True)


@router.post("/id/{function_id}/toggle/global", response_model=FunctionWithContent)
async def toggle_global(
    function_id: str, _admin: AdminUser, session: SessionDep, container: ContainerDep
) -> Any:
    return response(await _flip(session, container, function_id, "is_global"), content=True)


async def _flip(session: Any, container: Any, function_id: str, switch: str) -> Function:
    row = await _get(session, function_id, lock=True)
    setattr(row, switch, not getattr(row, switch))
    row.updated_at = now()
    container.function_cache.forget(function_id)
    return row


@router.delete("/id/{function_id}/delete", response_model=bool)
async def delete_function(
    function_id: str, admin: AdminUser, session: SessionDep, container: ContainerDep
) -> bool:
    row = await _get(session, function_id, lock=True)
    await session.delete(row)
    container.function_cache.forget(function_id)
    _event(container, session, admin, "function.deleted", row)
    return True


def _event(
    container: Container, session: AsyncSession, admin: User, name: str, row: Function
) -> None:
    """Event `name` about function `row`, for the event webhooks once this commits."""
    container.events.publish(session, name, actor=admin, subject_id=row.id,
                             data={"name": row.name, "type": row.type})  # fmt: skip


async def _instance(container: Any, row: Function) -> Any:
    try:
        return (await container.function_cache.get(row.id, row.updated_at, row.content)).instance
    except LoadError as exc:
        raise BadRequest(f"[ERROR: {exc}]") from exc


@router.get("/id/{function_id}/valves", response_model=dict[str, Any])
async def get_valves(function_id: str, _admin: AdminUser, session: SessionDep) -> Any:
    return (await _get(session, function_id)).valves or {}


@router.get("/id/{function_id}/valves/spec", response_model=ValvesSpec)
async def valves_spec(
    function_id: str, _admin: AdminUser, session: SessionDep, container: ContainerDep
) -> Any:
    return valves_schema(await _instance(container, await _get(session, function_id)))


@router.post("/id/{function_id}/valves/update", response_model=dict[str, Any])
async def update_valves(
    function_id: str, form: JsonObject, admin: AdminUser, session: SessionDep,
    container: ContainerDep,
) -> Any:  # fmt: skip
    try:  # the plugin may have to load (up to 10 s): not under the lock
        valves = make_valves(await _instance(container, await _get(session, function_id)), form)
    except ValueError as exc:
        raise BadRequest(f"[ERROR: {exc}]") from exc
    row = await _get(session, function_id, lock=True)
    row.valves = valves
    container.function_cache.forget(function_id)
    _event(container, session, admin, "function.valves_updated", row)  # names, never values
    return row.valves


def _user_valves(user: User, function_id: str) -> dict[str, Any]:
    functions = (user.settings or {}).get("functions") or {}
    value = (functions.get("valves") or {}).get(function_id)
    return value if isinstance(value, dict) else {}


@router.get("/id/{function_id}/valves/user", response_model=dict[str, Any])
async def get_user_valves(function_id: str, user: VerifiedUser, session: SessionDep) -> Any:
    await _get(session, function_id)
    return _user_valves(user, function_id)


@router.get("/id/{function_id}/valves/user/spec", response_model=ValvesSpec)
async def user_valves_spec(
    function_id: str, _user: VerifiedUser, session: SessionDep, container: ContainerDep
) -> Any:
    row = await _get(session, function_id)
    if not row.is_active:  # as Open WebUI 0.12.4: an inactive function offers no user valves
        return None
    return valves_schema(await _instance(container, row), "UserValves")


@router.post("/id/{function_id}/valves/user/update", response_model=dict[str, Any])
async def update_user_valves(
    function_id: str, form: JsonObject, user: VerifiedUser, session: SessionDep,
    container: ContainerDep,
) -> Any:  # fmt: skip
    instance = await _instance(container, await _get(session, function_id))
    try:
        values = make_valves(instance, form, "UserValves")
    except ValueError as exc:
        raise BadRequest(f"[ERROR: {exc}]") from exc
    settings = dict(user.settings or {})
    functions = dict(settings.get("functions") or {})
    functions["valves"] = {**(functions.get("valves") or {}), function_id: values}
    settings["functions"] = functions
    stored = await session.get(User, user.id)
    if stored is not None:
        stored.settings = settings
    container.credentials.forget_user(user.id)
    return values
