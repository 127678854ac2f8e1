"""The benchmark harness at tiny scale against a live site: it drives the real protocol
(guest sign-in, room sockets, send → ack → message.new), loses and duplicates nothing, and
reports what docs/benchmarks.md reads. The full benchmark is `bench/run.py`, never a test."""

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench import scenarios, servers
from bench.servers import RoomsServer

pytestmark = [pytest.mark.live]


def run_script(command: list[str], out: Path, *, timeout: int, **env: str) -> dict:
    """Run a benchmark script (its path and arguments) as a user would, and read its --out JSON."""
    finished = subprocess.run(
        [sys.executable, *command, "--out", str(out)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.fixture
def server(tmp_path, redis_url):
    rooms = RoomsServer(tmp_path, redis_url, processes=1, pin_cores=False)
    rooms.start()
    yield rooms
    rooms.stop()


def test_smoke_run_delivers_every_message_once_and_reports_it(server):
    report = asyncio.run(scenarios.smoke(server))

    assert report["connections"]["opened"] == 6
    assert report["messages_sent"] == 20
    assert report["deliveries_expected"] == 20 * 3
    assert report["deliveries_received"] == report["deliveries_expected"]
    assert report["lost"] == 0
    assert report["duplicated"] == 0
    assert report["send_errors"] == 0
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert report["ack_ms"]["p50"] > 0
    server_figures = report["server"]
    assert len(server_figures["pids"]) == len(server_figures["cpu_s"]) == len(server_figures["rss_mib"]) == 1
    assert server_figures["rss_mib"][0] > 0
    assert server_figures["cpu_us_per_delivery"] > 0
    assert server_figures["cores"] == [sorted(os.sched_getaffinity(server_figures["pids"][0]))]


def test_servers_are_pinned_away_from_a_pinned_load_generator(tmp_path, redis_url):
    """bench/run.py pins itself to the load generator's core before it starts any server; the
    servers it starts must still get a core of their own."""
    if not {servers.LOADGEN_CORE, servers.SERVER_CORE} <= servers.cores():
        pytest.skip("needs two cores")

    def start_as_run_py_does():
        servers.pin_loadgen()  # this thread only: Popen children inherit the calling thread's cores
        return RoomsServer(tmp_path, redis_url, processes=1).start()

    # On a thread of its own, so that this process keeps both cores; .result() re-raises a failed start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rooms = pool.submit(start_as_run_py_does).result()
    try:
        assert os.sched_getaffinity(rooms.pids([0])[0]) == {servers.SERVER_CORE}
    finally:
        rooms.stop()


def test_the_unread_room_list_benchmark_runs_and_checks_itself_at_tiny_scale(tmp_path, postgres_url):
    """bench/unread_rooms.py at 5 rooms of 200 messages: the counts it reads match a brute-force
    count, and the indexes serve the two statements (checked with sequential scans off, since
    PostgreSQL rightly scans tables this small)."""
    command = ["bench/unread_rooms.py", "--rooms", "5", "--messages-per-room", "200", "--calls", "20", "--warmup", "2"]
    result = run_script(command, tmp_path / "unread.json", timeout=120, DATABASE_URL=postgres_url)
    assert result["correctness"]["ok"] and result["plan_check"]["ok"]
    assert result["membership_list"]["with_memberships"]["queries"] == 2


def test_the_search_benchmark_runs_and_checks_itself_at_tiny_scale(tmp_path, postgres_url):
    """bench/search_history.py at 2 rooms of 2,000 messages: every query's first page is the one
    a brute-force scan over the bodies finds, and the two-word figure is there to record."""
    import json
    import subprocess
    import sys

    out = tmp_path / "search.json"
    env = {**os.environ, "DATABASE_URL": postgres_url}
    command = [sys.executable, "bench/search_history.py", "--rooms", "2", "--messages-per-room", "2000"]
    command += ["--calls", "3", "--warmup", "1", "--out", str(out)]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["correct"] and result["corpus"]["messages"] == 4000
    assert next(query for query in result["queries"] if query["kind"] == "two common words")["results"] == 20
    assert result["two_word_median_of_medians_ms"] > 0


def test_the_scale_out_benchmark_spreads_sockets_over_processes_behind_nginx(tmp_path, redis_url, postgres_url):
    """bench/scale_out.py at two steps: the sockets it opens through the shipped nginx reach both
    Daphne processes, every copy arrives, and each step says what each part of the server side
    spent (the curve's point is which part runs out first)."""
    from tests.conftest import require_service
    from tests.deploy.topology import nginx_binary

    if nginx_binary() is None:
        require_service("nginx is not installed (tests/support/ensure-services.sh installs it)")
    command = ["bench/scale_out.py", "--processes", "2", "--max-steps", "2", "--step", "1"]
    result = run_script(command, tmp_path / "scale.json", timeout=300, DATABASE_URL=postgres_url, REDIS_URL=redis_url)
    (point,) = result["runs"][0]
    assert point["connected"]["opened"] == 500 and point["connected"]["failed"] == 0
    spread = point["spread_over_processes"]
    assert len(spread) == 2 and min(spread) > 0 and sum(spread) == 500
    assert [step["rate_msgs_per_s"] for step in point["steps"]] == [50, 75]
    for step in point["steps"]:
        assert step["held"] and step["lost"] == 0 and step["duplicated"] == 0
        assert step["deliveries_per_s"] > 0
        assert all(step["cpu_pct"][part] > 0 for part in ("daphne", "nginx", "postgresql", "loadgen"))
