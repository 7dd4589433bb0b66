"""`GET /api/v1/pipelines/list`: no connection is a Pipelines server, so none are listed."""

from __future__ import annotations

from tests.conftest import MakeClient
from tests.support import add_user, bearer, signup


async def test_pipeline_servers_list_is_empty_for_admins(make_client: MakeClient) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        user = await add_user(client, admin["token"], "Uma")
        listed = await client.get("/api/v1/pipelines/list", headers=bearer(admin["token"]))
        assert listed.status_code == 200 and listed.json() == {"data": []}
        assert (await client.get("/api/v1/pipelines/list")).status_code == 401
        denied = await client.get("/api/v1/pipelines/list", headers=bearer(user["token"]))
        assert denied.status_code == 403
