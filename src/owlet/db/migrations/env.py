"""Alembic environment: on the connection owlet.db.migrate hands in, or (for the `alembic`
command line, e.g. `alembic revision --autogenerate`) on the database the settings name."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from owlet.tables import Base


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from owlet.db.engine import create_engine
    from owlet.settings import Settings

    engine = create_engine(Settings())
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run_on)
            await conn.commit()
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is None:
    asyncio.run(run_from_settings())
else:
    run_on(connection)
