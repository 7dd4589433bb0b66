"""Wire shapes of `/api/v1/retrieval` answers (reference §6.4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from owlet.config import documents, features
from owlet.files.schemas import FileWithPath


class QueryDocResponse(BaseModel):
    """Chroma-style nested lists: one inner list per query, best hit first."""

    ids: list[list[str]]
    documents: list[list[str]]
    metadatas: list[list[dict[str, Any]]]
    distances: list[list[float]]


class QueryCollectionResponse(BaseModel):
    """The hits merged across the collections, without ids (as Open WebUI 0.12.4)."""

    documents: list[list[str]]
    metadatas: list[list[dict[str, Any]]]
    distances: list[list[float]]


class ProcessTextResponse(BaseModel):
    status: bool
    collection_name: str
    content: str


class ProcessFileResponse(ProcessTextResponse):
    filename: str


class WebPageFile(BaseModel):
    data: dict[str, Any]  # {content}
    meta: dict[str, Any]  # {name, source}


class ProcessWebResponse(BaseModel):
    """With `process` (the default): embedded into `collection_name`."""

    status: bool
    collection_name: str
    filename: str
    file: WebPageFile


class ProcessUrlResponse(BaseModel):
    """What `process/url` found at the URL (`type`): a page's text, or the file it stored."""

    status: bool
    type: Literal["web", "file", "image"]
    name: str
    url: str
    collection_name: str | None
    content: str | None
    file: FileWithPath | None


class WebTextResponse(BaseModel):
    """With `process=false`: only the page's text."""

    status: bool
    content: str


class _RetrievalConfigBase(BaseModel):
    status: bool
    RAG_TEMPLATE: str
    ENABLE_RAG_HYBRID_SEARCH: bool
    HYBRID_BM25_WEIGHT: float
    TOP_K: int
    CHUNK_SIZE: int
    CHUNK_OVERLAP: int
    RELEVANCE_THRESHOLD: float
    FILE_MAX_SIZE: float | None
    ALLOWED_FILE_EXTENSIONS: list[str]
    web: features.answer_for("WebConfig", documents.WEB)  # type: ignore[valid-type]


RetrievalConfigResponse = features.answer_for(
    "RetrievalConfigResponse", documents.RETRIEVAL, _RetrievalConfigBase
)


class Connection(BaseModel):
    url: str
    key: str


class AzureConnection(Connection):
    version: str


class _EmbeddingConfigBase(BaseModel):
    status: bool
    RAG_EMBEDDING_ENGINE: str
    RAG_EMBEDDING_MODEL: str
    RAG_EMBEDDING_BATCH_SIZE: int
    openai_config: Connection
    ollama_config: Connection
    azure_openai_config: AzureConnection


EmbeddingConfigResponse = features.answer_for(
    "EmbeddingConfigResponse", documents.EMBEDDING, _EmbeddingConfigBase
)
