"""Hostile input the fuzz campaign found answered with 500: now a clear 4xx."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.store.tokens import hash_token
from tests.console.conftest import csrf_of


@pytest.mark.parametrize("token", ["页面", "é\xff", "😡" * 50])
async def test_login_with_a_non_ascii_csrf_token_is_refused(client: TestClient, token: str) -> None:
    csrf_of(await (await client.get("/login")).text())  # the session has a real token
    response = await client.post(
        "/login", data={"_csrf": token, "username": "wang", "password": "x"}
    )
    assert response.status == 403


async def test_api_token_with_non_utf8_bytes_is_refused(client: TestClient) -> None:
    # aiohttp hands a header's non-UTF-8 bytes over as lone surrogates.
    response = await client.get("/api/tickets", headers={"Authorization": "Bearer é\xff"})
    assert response.status == 401


def test_hash_token_takes_lone_surrogates() -> None:
    assert hash_token("\udce9") != hash_token("\udcea")


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
async def test_a_form_body_that_is_not_utf8_gets_400(client: TestClient, accept: str) -> None:
    response = await client.post(
        "/login",
        data=b"\xb8\xff\x00username=\xe9",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )
    assert response.status == 400
