"""The Container: every long-lived collaborator, built once at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from owlet.auth.api_keys import KeyCipher
from owlet.auth.credential_cache import CredentialCache
from owlet.auth.oauth.client import OAuthClients
from owlet.auth.oauth.providers import configured as oauth_providers
from owlet.auth.ratelimit import SigninRateLimiter
from owlet.auth.revocation import DatabaseRevocations, RedisRevocations, RevocationStore
from owlet.completions.pipeline import Stages
from owlet.config.store import ConfigStore
from owlet.core.egress import Egress
from owlet.core.passwords import PasswordHasher
from owlet.db.engine import create_engine, create_sessionmaker
from owlet.db.migrate import current_revision, head_revision, migrate
from owlet.events.delivery import EventPublisher
from owlet.files.processing import FileProcessor
from owlet.files.storage import LocalStorage
from owlet.functions.loader import Cache as FunctionCache
from owlet.functions.marks import OutletMarks
from owlet.models.records_cache import ModelRecordCache
from owlet.providers.catalog import ModelCatalog
from owlet.providers.gateway import Gateway
from owlet.providers.http import UpstreamClient
from owlet.providers.local.engine import LocalEngine
from owlet.providers.transport import LazyAiohttpTransport
from owlet.realtime.hub import Realtime
from owlet.retrieval.index import Retrieval
from owlet.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """Start-up cannot complete; the message says what to fix."""


@dataclass
class Container:
    settings: Settings
    secret_key: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    config: ConfigStore
    redis: Redis | None
    hasher: PasswordHasher
    cipher: KeyCipher
    revocations: RevocationStore
    signin_limiter: SigninRateLimiter
    http: httpx.AsyncClient
    egress: Egress  # the only way to fetch a URL a client supplied (docs/security.md)
    upstream: UpstreamClient
    catalog: ModelCatalog
    gateway: Gateway
    files: FileProcessor
    retrieval: Retrieval
    outlet_marks: OutletMarks
    local: LocalEngine | None
    realtime: Realtime
    oauth: OAuthClients
    events: EventPublisher  # event webhooks, sent after commit through `egress`
    credentials: CredentialCache = field(default_factory=lambda: CredentialCache(1.0))
    function_cache: FunctionCache = field(default_factory=FunctionCache)
    model_records: ModelRecordCache = field(default_factory=lambda: ModelRecordCache(1.0))
    stages: Stages = field(default_factory=Stages)  # pipeline plug-ins (filters come later)

    @classmethod
    async def start(cls, settings: Settings) -> Container:
        secret = settings.secret_key
        engine = create_engine(settings)
        try:
            await _prepare_schema(engine, settings)
            redis = await _connect_redis(settings)
        except BaseException:
            await engine.dispose()
            raise
        sessionmaker = create_sessionmaker(engine)
        config = ConfigStore(sessionmaker, settings)
        await config.start()
        revocations: RevocationStore = (
            RedisRevocations(redis, settings.redis_key_prefix) if redis else DatabaseRevocations()
        )
        # One client for every upstream call, over aiohttp's pool (see providers/transport.py).
        http = httpx.AsyncClient(
            transport=LazyAiohttpTransport(), follow_redirects=False, trust_env=False
        )
        upstream = UpstreamClient(
            http, settings.aiohttp_client_timeout, settings.upstream_max_response_size
        )
        retrieval = Retrieval(settings.data_dir.resolve(), upstream, pgvector_url(settings))
        local = LocalEngine.create(settings, upstream)
        egress = Egress(http, allow_private=settings.enable_local_url_fetch)
        events = EventPublisher(config, egress, sessionmaker)
        container = cls(
            settings=settings,
            secret_key=secret,
            engine=engine,
            sessionmaker=sessionmaker,
            config=config,
            redis=redis,
            hasher=PasswordHasher(settings.password_hash_algorithm, settings.bcrypt_rounds),
            cipher=KeyCipher(secret),
            revocations=revocations,
            signin_limiter=SigninRateLimiter.create(
                settings.signin_rate_limit,
                settings.signin_rate_window_seconds,
                settings.redis_url,
                settings.redis_key_prefix,
            ),
            http=http,
            egress=egress,
            upstream=upstream,
            catalog=ModelCatalog(
                upstream,
                settings.models_cache_ttl,
                settings.aiohttp_client_timeout_model_list,
                local.models if local else None,
            ),
            gateway=Gateway(upstream, egress, local),
            files=FileProcessor(
                sessionmaker,
                LocalStorage((settings.data_dir / "uploads").resolve()),
                settings.file_processing_concurrency,
                retrieval,
                config,
            ),
            retrieval=retrieval,
            outlet_marks=OutletMarks(redis, settings.redis_key_prefix),
            local=local,
            realtime=Realtime(settings, redis),
            oauth=OAuthClients(oauth_providers(settings.oauth), http, settings.oauth.oauth_timeout),
            model_records=ModelRecordCache(settings.models_cache_ttl),
            credentials=CredentialCache(settings.credential_cache_ttl),
            events=events,
        )
        events.start()
        return container

    async def close(self) -> None:
        if self.local is not None:
            await self.local.close()  # the engine processes
        await self.files.close()
        await self.retrieval.close()
        await self.catalog.close()
        await self.realtime.close()
        await self.events.close()  # before the client its deliveries use
        await self.http.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def pgvector_url(settings: Settings) -> str | None:
    """VECTOR_DB=pgvector: PGVECTOR_DB_URL, else the main database when it is PostgreSQL."""
    if settings.vector_db != "pgvector":
        return None
    url = settings.pgvector_db_url or settings.database_url or ""
    if not url.startswith(("postgresql", "postgres")):
        raise StartupError("VECTOR_DB=pgvector needs PGVECTOR_DB_URL (a PostgreSQL server)")
    return url


async def _prepare_schema(engine: AsyncEngine, settings: Settings) -> None:
    if settings.enable_db_migrations:
        await migrate(engine)
        return
    current = await current_revision(engine)
    if current != head_revision():
        raise StartupError(
            f"database schema is at {current}, owlet needs {head_revision()}; "
            "run `owlet migrate` (ENABLE_DB_MIGRATIONS=false)"
        )


async def _connect_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis  # imported only when Redis is configured

    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        raise StartupError(f"REDIS_URL is set but Redis does not answer: {exc}") from exc
    return redis
