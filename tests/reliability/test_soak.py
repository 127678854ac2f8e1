"""A short soak (SOAK_SECONDS, 120 by default): mixed traffic on two processes — sends,
reconnects to either process, heartbeats. At the end every client holds exactly the stored
messages, everything acknowledged is stored, and the servers' memory grew only a little.
`make test` runs it once (on PostgreSQL); bench/ has the longer version."""

import asyncio
import os
import random
import time

import pytest

from tests.reliability.test_faults import settle, stored_ids
from tests.support.live import LiveSite, guest_session
from tests.support.room_client import RoomClient

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))
pytestmark = [
    pytest.mark.live,
    pytest.mark.soak,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(SOAK_SECONDS + 240),  # start-up and the final catch-up on top of the soak
]

CLIENTS = 12
MEMORY_GROWTH_LIMIT_KIB = 64 * 1024


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def test_mixed_traffic_soak_loses_and_duplicates_nothing(tmp_path, redis_url, record_property):
    seconds = SOAK_SECONDS
    site = LiveSite(
        tmp_path, processes=2, redis_url=redis_url, env={"SEND_RATE_BURST": "1000", "SEND_RATE_COUNT": "1000"}
    ).start()
    rng = random.Random(7)
    clients = []
    try:
        for i in range(CLIENTS):
            client = RoomClient(site.url(i % 2), guest_session(site.url(0), f"Soak {i}"))
            await client.connect()
            clients.append(client)
        await asyncio.gather(*(c.send_acked("warm-up") for c in clients))
        memory_before = [rss_kib(proc.pid) for proc in site.procs]

        sent = reconnects = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for client in rng.sample(clients, 4):
                action = rng.random()
                if action < 0.7:
                    await client.send(f"soak {sent}")
                    sent += 1
                elif action < 0.85:
                    await client.close()
                    await client.connect(site.url(rng.randrange(2)))
                    reconnects += 1
                else:
                    await client.ping()
            await asyncio.gather(*(c.pump(0.2) for c in clients))

        await settle(clients, stored_ids(site), 30)
        stored = stored_ids(site)
        memory_after = [rss_kib(proc.pid) for proc in site.procs]
        acked = {m["id"] for c in clients for m in c.acks.values()}
        report = {
            "seconds": seconds,
            "sent": sent,
            "stored": len(stored),
            "acked": len(acked),
            "refused": sum(len(c.errors) for c in clients),
            "reconnects": reconnects,
            "deliveries": sum(c.deliveries for c in clients),
            "rss_kib_before": memory_before,
            "rss_kib_after": memory_after,
        }
        record_property("soak", report)
        assert acked <= stored, "an acknowledged message is not stored"
        for client in clients:
            assert set(client.messages) == stored, "a client misses a stored message (or holds a stranger)"
        # Every send stored exactly once: no loss, and no duplicate rows (each body is unique).
        assert len(stored) == CLIENTS + sent, report
        growth = max(after - before for before, after in zip(memory_before, memory_after, strict=True))
        assert growth < MEMORY_GROWTH_LIMIT_KIB, report
    finally:
        for client in clients:
            await client.close()
        site.stop()
