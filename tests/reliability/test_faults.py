"""Break things on purpose: Redis restarted, the database cut off, a server process killed.
Whatever breaks, nothing acknowledged is lost, and every client ends up holding every stored
message exactly once (live, or by the catch-up the protocol gives it)."""

import asyncio
import time
from urllib.parse import urlparse

import pytest
import requests

from tests.support.live import LiveSite, guest_session
from tests.support.room_client import RoomClient
from tests.support.services import CuttableProxy, ThrowawayRedis

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def stored_ids(site, slug="general") -> set[int]:
    """What the database holds, read straight from it (not through the app under test)."""
    rows = site.database.rows(
        "SELECT m.id FROM rooms_message m JOIN rooms_room r ON r.id = m.room_id WHERE r.slug = %s", (slug,)
    )
    return {row[0] for row in rows}


async def settle(clients, expected: set[int], seconds: float) -> None:
    """Ping and pump until every client holds `expected`, or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(set(c.messages) == expected for c in clients):
            return
        for client in clients:
            await client.ping()
        await asyncio.gather(*(c.pump(0.5) for c in clients))


def health(site, index=0):
    response = requests.get(site.url(index) + "/health/", timeout=10)
    return response.status_code, response.json()


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path).start()
    yield server
    server.kill()


async def test_redis_restart_loses_nothing_acknowledged(tmp_path, throwaway_redis, redis_url):
    site = LiveSite(tmp_path, processes=2, redis_url=throwaway_redis.url).start()
    try:
        mina = RoomClient(site.url(0), guest_session(site.url(0), "Mina"))
        jun = RoomClient(site.url(1), guest_session(site.url(1), "Jun"))
        await mina.connect()
        await jun.connect()
        await mina.send_acked("before the outage")
        await settle([mina, jun], stored_ids(site), 10)

        throwaway_redis.kill()
        status, parts = health(site, 0)
        assert status == 503 and parts["channel_layer"] == "down" and parts["database"] == "ok"

        during = []
        for i in range(3):
            during.append((mina, await mina.send(f"during the outage {i}")))
            during.append((jun, await jun.send(f"jun during the outage {i}")))
        await asyncio.gather(mina.pump(2), jun.pump(2))
        # Every send got an answer: stored and acknowledged, or clearly refused.
        refused = {e.get("client_id") for c in (mina, jun) for e in c.errors}
        assert all(cid in client.acks or cid in refused for client, cid in during)
        acked = {m["id"] for c in (mina, jun) for m in c.acks.values()}
        assert acked <= stored_ids(site), "an acknowledged message is missing from the database"

        throwaway_redis.start()
        deadline = time.monotonic() + 15
        while health(site, 0)[0] != 200 or health(site, 1)[0] != 200:
            assert time.monotonic() < deadline, "the site did not become healthy after Redis returned"
            await asyncio.sleep(0.5)
        # Acked first: settling only waits for what is stored, and an unacked send may not be yet.
        await mina.send_acked("after the outage")
        await settle([mina, jun], stored_ids(site), 20)
        stored = stored_ids(site)
        assert set(mina.messages) == set(jun.messages) == stored
        assert acked < stored  # the message sent after the outage is there too
    finally:
        for client in ("mina", "jun"):
            if client in locals():
                await locals()[client].close()
        site.stop()


async def test_database_outage_refuses_sends_clearly_and_recovers(tmp_path, postgres_url, redis_url):
    target = urlparse(postgres_url)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432).start()

    def through_proxy(url: str) -> str:
        parsed = urlparse(url)
        return parsed._replace(netloc=f"{parsed.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()

    site = LiveSite(
        tmp_path, redis_url=redis_url, database_admin_url=postgres_url, database_url_rewrite=through_proxy
    ).start()
    try:
        session = guest_session(site.url(0), "Mina")
        mina = RoomClient(site.url(0), session)
        await mina.connect()

        proxy.cut()
        status, parts = health(site)
        assert status == 503 and parts["database"] == "down"
        sent = await mina.send("nobody can store this")
        await mina.ping()
        # Refused once the wait for a database connection runs out (DATABASE_POOL_TIMEOUT, 3 s).
        await mina.pump(5)
        assert [e["code"] for e in mina.errors if e.get("client_id") == sent] == ["unavailable"]
        assert sent not in mina.acks
        response = session.post(
            site.url(0) + "/api/rooms/general/messages/", json={"body": "x", "client_id": "http-1"}, timeout=10
        )
        assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"

        proxy.restore()
        stored = await mina.send_acked("stored once it is back")
        assert stored_ids(site) == {stored["id"]}
    finally:
        await mina.close()
        site.stop()
        proxy.stop()


async def test_killed_process_clients_reconnect_elsewhere_and_catch_up(tmp_path, redis_url):
    site = LiveSite(tmp_path, processes=2, redis_url=redis_url).start()
    try:
        mina = RoomClient(site.url(0), guest_session(site.url(0), "Mina"))
        jun = RoomClient(site.url(1), guest_session(site.url(0), "Jun"))
        await mina.connect()
        await jun.connect()
        await jun.send_acked("before the crash")
        await settle([mina, jun], stored_ids(site), 10)

        site.kill(1)  # Jun's server dies mid-conversation
        for i in range(5):
            await mina.send(f"while jun is away {i}")
        await mina.pump(1)
        await jun.connect(site.url(0))  # reconnects elsewhere with ?since=<its event head>
        await settle([mina, jun], stored_ids(site), 10)
        assert mina.errors == []
        assert set(jun.messages) == stored_ids(site) and len(jun.messages) == 6
    finally:
        await mina.close()
        await jun.close()
        site.stop()
