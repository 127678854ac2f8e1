"""Prometheus metrics, scraped from a real Daphne process after real traffic: the counters and
histograms move with what happened, and only allowed addresses may read them."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live import LiveSite, guest_session
from tests.support.room_client import RoomClient

pytestmark = [pytest.mark.live]


def scrape(site: LiveSite, **headers: str) -> dict[tuple[str, tuple], float]:
    response = requests.get(site.url(0) + "/metrics/", headers=headers, timeout=10)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def site(tmp_path, redis_url):
    live = LiveSite(tmp_path, redis_url=redis_url, run_script=True, env={"SEND_RATE_BURST": "5"}).start()
    yield live
    live.stop()


async def test_the_metrics_move_with_real_traffic(site):
    before = scrape(site)
    assert value(before, "rooms_dependency_up", dependency="database") == 1
    assert value(before, "rooms_dependency_up", dependency="redis") == 1
    assert value(before, "rooms_messages_stored_total") == 0

    mina = RoomClient(site.url(0), guest_session(site.url(0), "Mina"))
    jun = RoomClient(site.url(0), guest_session(site.url(0), "Jun"))
    await mina.connect()
    await jun.connect()
    for i in range(3):
        await mina.send_acked(f"counted {i}")
    # Past the send budget (a burst of 5): refused with rate_limited.
    sent = [await mina.send(f"flood {i}") for i in range(6)]
    await mina.socket.send(json.dumps({"type": "no-such-frame"}))
    await mina.pump(1.5)
    await jun.pump(0.5)
    assert any(e["code"] == "rate_limited" for e in mina.errors)
    stored = len([s for s in sent if s in mina.acks]) + 3

    after = scrape(site)
    assert value(after, "rooms_messages_stored_total") == stored
    assert value(after, "rooms_send_latency_seconds_count") == stored
    # Each stored message reached this process's sockets once (one process, one room).
    assert value(after, "rooms_fanout_lag_seconds_count") >= stored
    assert value(after, "rooms_fanout_lag_seconds_bucket", le="+Inf") == value(after, "rooms_fanout_lag_seconds_count")
    assert value(after, "rooms_open_sockets", kind="room", room_size="2-10") == 2
    assert value(after, "rooms_rate_limit_refusals_total", limit="messages") == 6 - (stored - 3)
    assert value(after, "rooms_errors_total", code="rate_limited", transport="socket") == 6 - (stored - 3)
    assert value(after, "rooms_errors_total", code="unknown_type", transport="socket") == 1

    anonymous = requests.get(site.url(0) + "/api/me/", timeout=5)
    assert anonymous.status_code == 401
    assert value(scrape(site), "rooms_errors_total", code="not_authenticated", transport="http") == 1

    await mina.close()
    await jun.close()
    await asyncio.sleep(0.5)
    assert value(scrape(site), "rooms_open_sockets", kind="room", room_size="2-10") == 0


def test_only_allowed_addresses_may_read_the_metrics(site):
    # Behind nginx Daphne takes the client's address from X-Forwarded-For (--proxy-headers).
    outside = requests.get(site.url(0) + "/metrics/", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5)
    assert outside.status_code == 404 and "rooms_" not in outside.text
    assert scrape(site, **{"X-Forwarded-For": "127.0.0.1"})


def test_garbage_collections_are_timed_by_generation():
    """In-process: a full collection is counted once under generation 2, with its time."""
    import gc

    from rooms import metrics

    metrics.watch_garbage_collections()
    metrics.watch_garbage_collections()  # installed once however often it is asked

    def full() -> tuple[float, float]:
        (family,) = metrics.gc_pauses.labels("2").collect()
        samples = {s.name: s.value for s in family.samples if not s.labels.get("le")}
        return samples["rooms_gc_pause_seconds_count"], samples["rooms_gc_pause_seconds_sum"]

    count, seconds = full()
    gc.collect()
    after_count, after_seconds = full()
    assert after_count == count + 1 and after_seconds > seconds
    assert gc.callbacks.count(metrics._time_collection) == 1
