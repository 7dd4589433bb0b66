"""`/openai/config…`, `/ollama/config…` and `…/verify`: admins manage the connections."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from owlet.connections.schemas import (
    OllamaConfig,
    OllamaConfigForm,
    OpenAIConfig,
    OpenAIConfigForm,
    VerifyForm,
)
from owlet.connections.service import ConnectionService
from owlet.deps import AdminUser, ConfigDep, ContainerDep, SessionDep

router = APIRouter(tags=["connections"])


async def get_service(
    session: SessionDep, container: ContainerDep, config: ConfigDep
) -> ConnectionService:
    return ConnectionService(session, container, config)


Service = Annotated[ConnectionService, Depends(get_service)]


@router.get("/openai/config", response_model=OpenAIConfig)
async def openai_config(_admin: AdminUser, service: Service) -> OpenAIConfig:
    return service.openai_config()


@router.post("/openai/config/update", response_model=OpenAIConfig)
async def update_openai_config(
    form: OpenAIConfigForm, _admin: AdminUser, service: Service
) -> OpenAIConfig:
    return await service.update_openai(form)


@router.post("/openai/verify")
async def verify_openai(form: VerifyForm, _admin: AdminUser, service: Service) -> Any:
    return await service.verify("openai", form)


@router.get("/ollama/config", response_model=OllamaConfig)
async def ollama_config(_admin: AdminUser, service: Service) -> OllamaConfig:
    return service.ollama_config()


@router.post("/ollama/config/update", response_model=OllamaConfig)
async def update_ollama_config(
    form: OllamaConfigForm, _admin: AdminUser, service: Service
) -> OllamaConfig:
    return await service.update_ollama(form)


@router.post("/ollama/verify")
async def verify_ollama(form: VerifyForm, _admin: AdminUser, service: Service) -> Any:
    return await service.verify("ollama", form)
