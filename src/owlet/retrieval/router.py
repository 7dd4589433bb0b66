"""`/api/v1/retrieval/*` (reference §6.4): configuration, processing and queries."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from owlet.config import documents, features
from owlet.config.store import Staged
from owlet.core.validation import CleanText, Form, Identifier
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep, VerifiedUser, end_transaction
from owlet.errors import BadRequest, NotFound
from owlet.files.processing import COMPLETED
from owlet.retrieval import attachments, rag, web
from owlet.retrieval.embedders import EmbeddingError
from owlet.retrieval.index import file_collection, nested
from owlet.retrieval.schemas import (
    EmbeddingConfigResponse,
    ProcessFileResponse,
    ProcessTextResponse,
    ProcessUrlResponse,
    ProcessWebResponse,
    QueryCollectionResponse,
    QueryDocResponse,
    RetrievalConfigResponse,
    WebTextResponse,
)
from owlet.tables import File

router = APIRouter(prefix="/api/v1/retrieval", tags=["retrieval"])
Collection = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class QueryDocForm(Form):
    collection_name: Collection
    query: Annotated[CleanText, Field(min_length=1, max_length=10_000)]
    k: int | None = Field(default=None, ge=1, le=100)
    hybrid: bool | None = None


class QueryCollectionForm(Form):
    collection_names: list[Collection] = Field(min_length=1, max_length=100)
    query: Annotated[CleanText, Field(min_length=1, max_length=10_000)]
    k: int | None = Field(default=None, ge=1, le=100)
    hybrid: bool | None = None


class ProcessTextForm(Form):
    name: Annotated[CleanText, Field(max_length=255)] = ""
    content: Annotated[CleanText, Field(min_length=1, max_length=50_000_000)]
    collection_name: Collection | None = None


class ProcessUrlForm(Form):
    url: Annotated[str, Field(min_length=1, max_length=8192)]
    collection_name: Collection | None = None


class ProcessFileForm(Form):
    file_id: Identifier
    content: Annotated[CleanText, Field(max_length=50_000_000)] | None = None
    collection_name: Collection | None = None


@router.post("/query/doc", response_model=QueryDocResponse)
async def query_doc(
    form: QueryDocForm, user: VerifiedUser, session: SessionDep, container: ContainerDep,
    config: ConfigDep,
) -> Any:  # fmt: skip
    await rag.check_collection(session, container, user, form.collection_name)
    await end_transaction(session)
    k = form.k or int(config.get("rag.top_k"))
    names = [form.collection_name]
    return nested(await _search(container, config, names, form.query, k, form.hybrid))


@router.post("/query/collection", response_model=QueryCollectionResponse)
async def query_collection(
    form: QueryCollectionForm, user: VerifiedUser, session: SessionDep,
    container: ContainerDep, config: ConfigDep,
) -> Any:  # fmt: skip
    for name in form.collection_names:
        await rag.check_collection(session, container, user, name)
    await end_transaction(session)
    k = form.k or int(config.get("rag.top_k"))
    names = form.collection_names
    found = nested(await _search(container, config, names, form.query, k, form.hybrid))
    found.pop("ids")  # a merge across collections: Open WebUI 0.12.4 answers without ids
    return found


async def _search(
    container: Any, config: Any, names: list[str], query: str, k: int, hybrid: bool | None
) -> Any:
    try:
        return await container.retrieval.search(config, names, query, k, hybrid)
    except (EmbeddingError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc


@router.post("/process/text", response_model=ProcessTextResponse)
async def process_text(
    form: ProcessTextForm, user: VerifiedUser, session: SessionDep, container: ContainerDep,
    config: ConfigDep,
) -> Any:  # fmt: skip
    name = form.collection_name or hashlib.sha256(form.content.encode()).hexdigest()[:63]
    if form.collection_name:
        await rag.check_collection(session, container, user, name, write=True)
    await end_transaction(session)
    metadata = {"name": form.name, "source": form.name or name, "file_id": None}
    try:
        await container.retrieval.index_text(config, name, form.content, metadata)
    except (EmbeddingError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    return {"status": True, "collection_name": name, "content": form.content}


@router.post("/process/file", response_model=ProcessFileResponse)
async def process_file(
    form: ProcessFileForm, user: VerifiedUser, session: SessionDep, container: ContainerDep,
    config: ConfigDep,
) -> Any:  # fmt: skip
    """Re-index a file: with `content`, replace its text first; with `collection_name`, add
    its chunks to that collection too."""
    row = await session.get(File, form.file_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise NotFound()
    if form.collection_name:
        await rag.check_collection(session, container, user, form.collection_name, write=True)
    text = form.content if form.content is not None else str(row.data.get("content") or "")
    if not text:
        raise BadRequest("The content provided is empty. Please ensure that there is text or "
                         "data present before proceeding.")  # fmt: skip
    filename, digest = row.filename, hashlib.sha256(text.encode()).hexdigest()
    await end_transaction(session)
    try:  # embedded first: the row changes only once the vectors are stored
        await container.files.index(row.id, filename, text, digest)
        if form.collection_name:
            await container.retrieval.store.delete(form.collection_name, "file_id", row.id)
            await container.retrieval.copy(file_collection(row.id), form.collection_name, {})
    except (EmbeddingError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    if form.content is not None:
        changed = await session.get(File, form.file_id)
        if changed is not None:
            changed.data = {**changed.data, "status": COMPLETED, "content": text}
            changed.hash = digest
    return {"status": True, "collection_name": form.collection_name or file_collection(row.id),
            "filename": filename, "content": text}  # fmt: skip


@router.post("/process/web", responses={200: {"model": ProcessWebResponse | WebTextResponse}})
async def process_web(
    form: ProcessUrlForm, user: VerifiedUser, session: SessionDep, container: ContainerDep,
    config: ConfigDep, process: bool = True, overwrite: bool = True,
) -> Any:  # fmt: skip
    """A web page's text, fetched through the egress guard; with `process`, also embedded
    into `collection_name` (default: the URL's own collection)."""
    await attachments.require_web_upload(session, config, user)
    url = form.url.strip()
    name = form.collection_name or web.web_collection(url)
    if form.collection_name:
        await rag.check_collection(session, container, user, name, write=True)
    await end_transaction(session)  # no connection held while the page loads
    text = await web.page_text(container.egress, url)
    if not process:
        return {"status": True, "content": text}
    try:
        await web.index_page(container.retrieval, config, name, url, text, overwrite)
    except (EmbeddingError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    return {"status": True, "collection_name": name, "filename": url,
            "file": {"data": {"content": text}, "meta": {"name": url, "source": url}}}  # fmt: skip


@router.post("/process/url", responses={200: {"model": ProcessUrlResponse}})
async def process_url(
    form: ProcessUrlForm, user: VerifiedUser, session: SessionDep, container: ContainerDep,
    config: ConfigDep, process: bool = True,
) -> Any:  # fmt: skip
    """What the web client attaches a web page with: the page's text (embedded into its own
    collection), or the file or image found at the URL, stored as an upload."""
    try:
        return await attachments.process_url(
            session, container, config, user, form.url.strip(), form.collection_name, process
        )
    except (EmbeddingError, ValueError) as exc:
        raise BadRequest(str(exc)) from exc


# ---------------------------------------------------------------- configuration (admin)

_CONFIG_FIELDS = {
    "RAG_TEMPLATE": "rag.template",
    "ENABLE_RAG_HYBRID_SEARCH": "rag.enable_hybrid_search",
    "HYBRID_BM25_WEIGHT": "rag.hybrid_bm25_weight",
    "TOP_K": "rag.top_k",
    "CHUNK_SIZE": "rag.chunk_size",
    "CHUNK_OVERLAP": "rag.chunk_overlap",
    "RELEVANCE_THRESHOLD": "rag.relevance_threshold",
    "FILE_MAX_SIZE": "rag.file.max_size",
    "ALLOWED_FILE_EXTENSIONS": "rag.file.allowed_extensions",
}
_EMBEDDING_FIELDS = {
    "RAG_EMBEDDING_ENGINE": "rag.embedding_engine",
    "RAG_EMBEDDING_MODEL": "rag.embedding_model",
    "RAG_EMBEDDING_BATCH_SIZE": "rag.embedding_batch_size",
}


class RetrievalConfigForm(Form):
    RAG_TEMPLATE: Annotated[CleanText, Field(max_length=100_000)] | None = None
    ENABLE_RAG_HYBRID_SEARCH: bool | None = None
    HYBRID_BM25_WEIGHT: float | None = Field(default=None, ge=0.0, le=1.0)
    TOP_K: int | None = Field(default=None, ge=1, le=100)
    CHUNK_SIZE: int | None = Field(default=None, ge=10, le=100_000)
    CHUNK_OVERLAP: int | None = Field(default=None, ge=0, le=50_000)
    RELEVANCE_THRESHOLD: float | None = Field(default=None, ge=0.0, le=1.0)
    FILE_MAX_SIZE: float | None = Field(default=None, gt=0)
    ALLOWED_FILE_EXTENSIONS: list[Annotated[str, Field(max_length=20)]] | None = None


class ConnectionForm(Form):
    url: Annotated[str, Field(max_length=2048, pattern=r"^(https?://.*)?$")] = ""
    key: Annotated[str, Field(max_length=4096)] = ""


class AzureConnectionForm(ConnectionForm):
    version: Annotated[str, Field(max_length=256)] = ""


# Settings owlet stores only (config/documents.py); left out: kept.
WebConfigForm = features.form_for("WebConfigForm", documents.WEB, "all")


class _RetrievalConfigForm(RetrievalConfigForm):
    web: WebConfigForm | None = None  # type: ignore[valid-type]


if TYPE_CHECKING:  # the stored-only fields are read through `features.staged`
    RetrievalSettingsForm = _RetrievalConfigForm
else:
    RetrievalSettingsForm = features.form_for(
        "RetrievalSettingsForm", documents.RETRIEVAL, "all", _RetrievalConfigForm
    )


class _EmbeddingConfigForm(Form):
    RAG_EMBEDDING_ENGINE: Annotated[str, Field(pattern=r"^(|openai|ollama)$")]
    RAG_EMBEDDING_MODEL: Annotated[CleanText, Field(min_length=1, max_length=256)]
    RAG_EMBEDDING_BATCH_SIZE: int = Field(default=1, ge=1, le=4096)
    openai_config: ConnectionForm | None = None
    ollama_config: ConnectionForm | None = None
    azure_openai_config: AzureConnectionForm | None = None  # stored only


if TYPE_CHECKING:
    EmbeddingConfigForm = _EmbeddingConfigForm
else:
    EmbeddingConfigForm = features.form_for(
        "EmbeddingConfigForm", documents.EMBEDDING, "all", _EmbeddingConfigForm
    )


def _snapshot(config: Any, fields: dict[str, str]) -> dict[str, Any]:
    return {"status": True, **{name: config.get(key) for name, key in fields.items()}}


def _rows(config: Any, rows: list[features.Row]) -> dict[str, Any]:
    return {wire: config.get(key) for wire, key, _, _ in rows}


def _retrieval(config: Any) -> dict[str, Any]:
    return {
        **_snapshot(config, _CONFIG_FIELDS),
        **_rows(config, documents.RETRIEVAL),
        "web": _rows(config, documents.WEB),
    }


@router.get("/config", responses={200: {"model": RetrievalConfigResponse}})
async def retrieval_config(_admin: AdminUser, config: ConfigDep) -> Any:
    return _retrieval(config)


@router.post("/config/update", responses={200: {"model": RetrievalConfigResponse}})
async def update_retrieval_config(
    form: RetrievalSettingsForm,
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> Any:
    # A null leaves the setting as it is (stored, it would break every later chunking).
    sent = form.model_dump(exclude_unset=True, exclude_none=True)
    values = {key: sent[name] for name, key in _CONFIG_FIELDS.items() if name in sent}
    values.update(features.staged(documents.RETRIEVAL, form))
    if form.web is not None:
        values.update(features.staged(documents.WEB, form.web))
    await config.stage(session, values)
    return _retrieval(Staged(config, values))


def _embedding(config: Any) -> dict[str, Any]:
    return {
        **_snapshot(config, _EMBEDDING_FIELDS),
        "openai_config": {
            "url": config.get("rag.openai_api_base_url"),
            "key": config.get("rag.openai_api_key"),
        },
        "ollama_config": {
            "url": config.get("rag.ollama_base_url"),
            "key": config.get("rag.ollama_api_key"),
        },
        **_rows(config, documents.EMBEDDING),
        "azure_openai_config": {
            name: config.get(key) for name, key in documents.AZURE_EMBEDDING.items()
        },
    }


@router.get("/embedding", responses={200: {"model": EmbeddingConfigResponse}})
async def embedding_config(_admin: AdminUser, config: ConfigDep) -> Any:
    return _embedding(config)


@router.post("/embedding/update", responses={200: {"model": EmbeddingConfigResponse}})
async def update_embedding_config(
    form: EmbeddingConfigForm,
    _admin: AdminUser,
    config: ConfigDep,
    session: SessionDep,
) -> Any:
    values: dict[str, Any] = {key: getattr(form, name) for name, key in _EMBEDDING_FIELDS.items()}
    if form.openai_config is not None:
        values["rag.openai_api_base_url"] = form.openai_config.url.rstrip("/")
        values["rag.openai_api_key"] = form.openai_config.key
    if form.ollama_config is not None:
        values["rag.ollama_base_url"] = form.ollama_config.url.rstrip("/")
        values["rag.ollama_api_key"] = form.ollama_config.key
    if form.azure_openai_config is not None:
        azure = form.azure_openai_config.model_dump()
        values.update({key: azure[name] for name, key in documents.AZURE_EMBEDDING.items()})
    values.update(features.staged(documents.EMBEDDING, form))
    await config.stage(session, values)
    return _embedding(Staged(config, values))
