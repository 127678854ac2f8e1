"""What the topology test cannot run here (Docker, systemd) or runs with shortened values:
the shipped files' own numbers, and that the files agree with each other and with the app."""

import re
import subprocess
import sys

import yaml
from django.conf import settings

from tests.deploy.topology import DEPLOY, SHIPPED_NGINX, SHIPPED_UPSTREAM
from tests.support.live import RUN_DAPHNE, free_port

NGINX_DEFAULT_PROXY_TIMEOUT = 60
CLIENT_PING_INTERVAL = 25  # docs/protocol.md: clients ping every ~25 s
DRAIN_SECONDS_DEFAULT = 10  # deploy/daphne/serve.py

COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
COMPOSE_UPSTREAM = (DEPLOY / "nginx" / "compose" / "rooms-upstream.conf").read_text()
UNIT = (DEPLOY / "systemd" / "rooms-daphne@.service").read_text()
TARGET = (DEPLOY / "systemd" / "rooms.target").read_text()


def location(name: str) -> str:
    match = re.search(r"location " + re.escape(name) + r" \{(.*?)\n    \}", SHIPPED_NGINX.read_text(), re.S)
    assert match, f"no location {name} in the shipped config"
    return match.group(1)


def seconds(block: str, directive: str) -> int:
    value = re.search(rf"^\s*{directive} (\d+)(s|m|h)?;", block, re.M)
    assert value, f"{directive} is not set"
    return int(value.group(1)) * {"s": 1, None: 1, "m": 60, "h": 3600}[value.group(2)]


def daphne_default(variable: str) -> int:
    return int(re.search(r"\$\{" + variable + r":-(\d+)\}", RUN_DAPHNE.read_text()).group(1))


def test_the_socket_timeouts_are_long_and_daphne_pings_well_inside_them():
    ws = location("/ws/")
    assert seconds(ws, "proxy_read_timeout") >= 3600
    assert seconds(ws, "proxy_send_timeout") >= 3600
    ping = daphne_default("DAPHNE_PING_INTERVAL")
    # Pings must beat nginx's own timeout, nginx's default (other proxies on the path) and
    # the app's presence expiry, with room to spare.
    assert ping * 2 < NGINX_DEFAULT_PROXY_TIMEOUT
    assert ping < CLIENT_PING_INTERVAL < settings.ROOMS["PRESENCE_TTL"]
    assert "proxy_http_version 1.1;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $rooms_connection_upgrade;" in ws


def test_daphne_refuses_exactly_the_frames_the_app_refuses():
    script = RUN_DAPHNE.read_text()
    assert "frame_max=${FRAME_MAX_BYTES:-" + str(settings.ROOMS["FRAME_MAX_BYTES"]) + "}" in script
    assert '--websocket-max-message-size "$frame_max"' in script
    assert '--websocket-max-frame-size "$frame_max"' in script
    assert "--proxy-headers" in script


def test_the_api_timeout_outlasts_daphnes_own():
    http_timeout = int(re.search(r"--http-timeout (\d+)", RUN_DAPHNE.read_text()).group(1))
    assert http_timeout < seconds(location("/api/"), "proxy_read_timeout")


def test_sign_in_and_the_admin_are_held_to_one_request_a_second_per_address():
    zone_line = r"limit_req_zone \$binary_remote_addr zone=rooms_signin:\w+ rate=(\d+)r/s;"
    zone = re.search(zone_line, SHIPPED_NGINX.read_text())
    assert zone and int(zone.group(1)) == 1
    for path in ("/admin/", "/auth/", "/api/auth/"):
        block = location(path)
        assert re.search(r"limit_req zone=rooms_signin burst=\d+ nodelay;", block), path
        assert "proxy_pass http://rooms_daphne;" in block
        assert "error_page 429 = @rooms_too_many" in block


def test_a_client_never_sets_the_forwarded_headers_daphne_trusts():
    text = SHIPPED_NGINX.read_text()
    assert "$proxy_add_x_forwarded_for" not in text
    assert text.count("proxy_set_header X-Forwarded-For $remote_addr;") == 2  # server level and /ws/
    assert text.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2


def test_every_daphne_process_is_in_the_upstream_and_only_those():
    vm_ports = re.findall(r"server 127\.0\.0\.1:(\d+)", SHIPPED_UPSTREAM.read_text())
    assert sorted(vm_ports) == sorted(re.findall(r"rooms-daphne@(\d+)\.service", TARGET))
    assert len(vm_ports) >= 2

    daphnes = sorted(
        name
        for name, service in COMPOSE["services"].items()
        if service.get("build", {}).get("target") == "app" and "command" not in service
    )
    assert len(daphnes) >= 2
    assert sorted(re.findall(r"server (\w+):8000", COMPOSE_UPSTREAM)) == daphnes
    for text in (SHIPPED_UPSTREAM.read_text(), COMPOSE_UPSTREAM):
        assert "least_conn;" in text


def test_compose_starts_in_dependency_order_with_health_checks():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "migrate", "web"} <= services.keys()
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    assert services["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert "pgdata" in COMPOSE["volumes"]
    daphnes = [name for name in services if name.startswith("daphne")]
    for name in daphnes:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["environment"]["DJANGO_DEBUG"] == "0"
        grace = int(service["stop_grace_period"].rstrip("s"))
        assert grace > int(service["environment"]["DAPHNE_DRAIN_SECONDS"])
    assert {name: dep["condition"] for name, dep in services["web"]["depends_on"].items()} == {
        name: "service_healthy" for name in daphnes
    }
    assert services["migrate"]["restart"] == "no"


def test_compose_variables_are_all_in_the_env_example():
    example = (DEPLOY / "env.example").read_text()
    defined = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (DEPLOY / "docker-compose.yml").read_text()))
    assert used <= defined


def test_the_systemd_unit_runs_the_tested_script_and_waits_for_the_drain():
    assert "ExecStart=/srv/rooms/deploy/daphne/run.sh" in UNIT
    assert "Environment=DAPHNE_BIND=127.0.0.1 DAPHNE_PORT=%i" in UNIT
    assert re.search(r"^KillSignal=SIGTERM$", UNIT, re.M)
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", UNIT, re.M).group(1)) > DRAIN_SECONDS_DEFAULT
    assert re.search(r"^User=rooms$", UNIT, re.M)


def test_the_image_builds_the_front_end_and_runs_unprivileged():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", dockerfile, re.M)
    assert [stage for _, stage in stages] == ["frontend", "python-deps", "app", "web"]
    assert "RUN npm ci --no-audit --no-fund" in dockerfile and "RUN npm run build" in dockerfile
    assert "manage.py collectstatic" in dockerfile
    app_stage = dockerfile.split("AS app", 1)[1].split("AS web", 1)[0]
    assert re.search(r"^USER rooms$", app_stage, re.M)
    assert 'CMD ["deploy/daphne/run.sh"]' in app_stage


def test_the_run_script_is_valid_shell():
    path = RUN_DAPHNE
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    assert path.stat().st_mode & 0o111, "run.sh must be executable (systemd and the image exec it)"


def test_the_healthcheck_reports_a_dead_daphne():
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "daphne" / "healthcheck.py")],
        env={"DAPHNE_PORT": str(free_port()), "ALLOWED_HOSTS": "chat.example.com"},
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert result.returncode == 1
    assert "health check failed" in result.stderr


def test_idle_guests_and_expired_sessions_are_cleared_daily_in_both_deployments():
    unit = (DEPLOY / "systemd" / "rooms-maintenance.service").read_text()
    timer = (DEPLOY / "systemd" / "rooms-maintenance.timer").read_text()
    assert "ExecStart=/srv/rooms/.venv/bin/python manage.py retire_idle_guests" in unit
    assert "ExecStart=/srv/rooms/.venv/bin/python manage.py clearsessions" in unit
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    service = COMPOSE["services"]["maintenance"]
    script = " ".join(service["command"])
    assert "manage.py retire_idle_guests" in script and "manage.py clearsessions" in script
    assert "sleep 86400" in script
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert service["environment"]["DJANGO_DEBUG"] == "0"


def test_the_maintenance_commands_exist():
    from django.core.management import get_commands

    assert get_commands()["retire_idle_guests"] == "rooms"
    assert "clearsessions" in get_commands()


def test_prometheus_scrapes_every_daphne_process_and_only_it_may():
    import ipaddress

    config = yaml.safe_load(COMPOSE["configs"]["prometheus_config"]["content"])
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics/"
    daphnes = sorted(name for name, service in COMPOSE["services"].items() if re.fullmatch(r"daphne\d+", name))
    assert sorted(t.split(":")[0] for t in job["static_configs"][0]["targets"]) == daphnes
    prometheus = ipaddress.ip_address(COMPOSE["services"]["prometheus"]["networks"]["default"]["ipv4_address"])
    allowed = COMPOSE["services"]["daphne1"]["environment"]["METRICS_ALLOWED_NETWORKS"].split(",")
    assert any(prometheus in ipaddress.ip_network(network) for network in allowed)
    assert all(ipaddress.ip_network(n).num_addresses == 1 for n in allowed)  # nobody else on the network
    for name in ("prometheus", "grafana"):
        assert all(port.startswith("127.0.0.1:") for port in COMPOSE["services"][name]["ports"])
    assert "return 404;" in location("/metrics/")


def test_the_dashboard_shows_only_metrics_the_app_exports():
    import json

    from rooms.metrics import REGISTRY

    dashboard = json.loads((DEPLOY / "grafana" / "rooms-dashboard.json").read_text())
    exported = {sample.name for family in REGISTRY.collect() for sample in family.samples}
    exported |= {family.name for family in REGISTRY.collect()}
    exported |= {f"{name}_bucket" for name in exported} | {f"{name}_total" for name in exported}
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(rooms_[a-z_]+)\b", target["expr"])
    }
    assert used and used <= exported, used - exported
    assert {"rooms_open_sockets", "rooms_send_latency_seconds_bucket", "rooms_fanout_lag_seconds_bucket"} <= used
