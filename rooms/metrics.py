"""Prometheus metrics of one server process (docs/deploy.md, "Metrics").

Counters and histograms are recorded where things happen, through the small functions below;
the rest is read when Prometheus scrapes (`render`): open sockets by the size of their room,
and a round trip to the database and to Redis. Every process has its own registry and serves
it at /metrics/ to the addresses in METRICS_ALLOWED_NETWORKS only (rooms/views.py).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()

# Where a chat's latencies live: a send is acknowledged in milliseconds on an idle server and
# in a second or more when it is saturated (docs/benchmarks.md).
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Open sockets are labelled by how many sockets their room has on this process.
_ROOM_SIZES = ((1, "1"), (10, "2-10"), (100, "11-100"), (1000, "101-1000"))
_LARGEST_ROOM_SIZE = "1001+"

messages_stored = Counter("rooms_messages_stored", "Messages stored (sends that were new).", registry=REGISTRY)
send_latency = Histogram(
    "rooms_send_latency_seconds",
    "A socket's send: from its frame read to its ack written.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
fanout_lag = Histogram(
    "rooms_fanout_lag_seconds",
    "A room change: from the change, made in its transaction, to its frame written to this process's sockets.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
errors = Counter(
    "rooms_errors", "Errors answered to clients, by code and transport.", ["code", "transport"], registry=REGISTRY
)
rate_limit_refusals = Counter(
    "rooms_rate_limit_refusals", "Requests refused by a rate limit, by what it limits.", ["limit"], registry=REGISTRY
)
connection_refusals = Counter(
    "rooms_connection_refusals",
    "Connections (sockets or HTTP clients) refused by the per-user cap.",
    ["transport"],
    registry=REGISTRY,
)
socket_closes = Counter("rooms_socket_closes", "Sockets the server closed, by close code.", ["code"], registry=REGISTRY)
dependency_up = Gauge(
    "rooms_dependency_up", "1 if the last round trip at scrape time succeeded.", ["dependency"], registry=REGISTRY
)
dependency_round_trip = Gauge(
    "rooms_dependency_round_trip_seconds",
    "The last round trip at scrape time (database: SELECT 1; redis: PING).",
    ["dependency"],
    registry=REGISTRY,
)


gc_pauses = Histogram(
    "rooms_gc_pause_seconds",
    "Python's garbage collections in this process, by generation: each one stops every thread.",
    ["generation"],
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
    registry=REGISTRY,
)
_gc_pauses_by_generation = [gc_pauses.labels(str(generation)) for generation in range(3)]
_gc_started = 0.0


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    # Collections do not nest and hold the GIL, so one start time serves every thread.
    global _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        _gc_pauses_by_generation[info["generation"]].observe(time.perf_counter() - _gc_started)


def watch_garbage_collections() -> None:
    """Time every collection (rooms/apps.py, once per process): a long one is a stall of every
    socket of the process, which shows in the delivery tail (docs/benchmarks.md)."""
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)


def room_size_label(sockets: int) -> str:
    for largest, label in _ROOM_SIZES:
        if sockets <= largest:
            return label
    return _LARGEST_ROOM_SIZE


class OpenSockets(Collector):
    """Open sockets at scrape time, from the fan-out's own registry (rooms/fanout.py): no
    bookkeeping on the open and close paths."""

    def __init__(self, room_socket_counts: Callable[[], list[int]], lobby_socket_count: Callable[[], int]) -> None:
        self.room_socket_counts = room_socket_counts
        self.lobby_socket_count = lobby_socket_count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "rooms_open_sockets",
            "Open sockets of this process: room sockets by how many their room has here, and room-list sockets.",
            labels=["kind", "room_size"],
        )
        by_size = {label: 0 for _, label in _ROOM_SIZES} | {_LARGEST_ROOM_SIZE: 0}
        for count in self.room_socket_counts():
            by_size[room_size_label(count)] += count
        for label, sockets in by_size.items():
            family.add_metric(["room", label], sockets)
        family.add_metric(["lobby", ""], self.lobby_socket_count())
        yield family


_open_sockets: OpenSockets | None = None


def register_open_sockets(room_socket_counts: Callable[[], list[int]], lobby_socket_count: Callable[[], int]) -> None:
    """Called once the app is ready (rooms/apps.py): the counts come from the fan-out and the
    room list, which import this module."""
    global _open_sockets
    if _open_sockets is None:
        _open_sockets = OpenSockets(room_socket_counts, lobby_socket_count)
        REGISTRY.register(_open_sockets)


def observe_since(histogram: Histogram, started: float) -> None:
    histogram.observe(max(0.0, time.monotonic() - started))


def record_dependency(name: str, seconds: float | None) -> None:
    """`seconds`: the round trip, or None when it failed."""
    dependency_up.labels(name).set(0 if seconds is None else 1)
    if seconds is not None:
        dependency_round_trip.labels(name).set(seconds)


def error_codes(codes: Iterable[str], transport: str) -> None:
    for code in codes:
        errors.labels(code, transport).inc()


def render() -> bytes:
    return generate_latest(REGISTRY)
