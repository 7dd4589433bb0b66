"""`Form` checks models nested inside it too: a NUL in a banner's id (a list of models) is a
422, not a value PostgreSQL refuses with a 500 (found by schemathesis)."""

from __future__ import annotations

import pytest

from tests.conftest import MakeClient
from tests.support import bearer, signup


@pytest.mark.parametrize("field", ["id", "content", "title"])
async def test_a_nul_inside_a_nested_model_is_refused(make_client: MakeClient, field: str) -> None:
    async with make_client() as client:
        admin = await signup(client, "Ada")
        banner = {"id": "b1", "content": "hi", "title": "t", field: "a\x00b"}
        response = await client.post(
            "/api/v1/configs/banners", headers=bearer(admin["token"]), json={"banners": [banner]}
        )
        assert response.status_code == 422, response.text
        kept = await client.get("/api/v1/configs/banners", headers=bearer(admin["token"]))
        assert kept.json() == []
