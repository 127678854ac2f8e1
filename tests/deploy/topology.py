"""The production topology on loopback: the shipped nginx config in front of two Daphne
processes started by the shipped run script, with Redis and a fresh PostgreSQL database.

The nginx config is the shipped one with only these substitutions, each of which must match
(so a change to the shipped file that the test no longer covers fails loudly): listen ports,
file paths, the test CA's certificate, shorter /ws/ timeouts and connection limit (to keep the
test quick), a faster sign-in rate (every test signs guests in from one address), and a request
header that pins a client to one Daphne process."""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.live import ROOT, LiveSite, free_port

DEPLOY = ROOT / "deploy"
SHIPPED_NGINX = DEPLOY / "nginx" / "rooms.conf"
SHIPPED_UPSTREAM = DEPLOY / "nginx" / "rooms-upstream.conf"

# Short enough to keep the test quick; the shipped values are checked in test_shipped_config.py.
WS_PROXY_TIMEOUT = 3
DAPHNE_PING_INTERVAL = 1
WS_CONNECTIONS_PER_CLIENT = 6
# The shipped 1 a second would hold up the guests the tests sign in; the burst stays as shipped.
SIGNIN_RATE_PER_SECOND = 20
SIGNIN_BURST = 20
PIN_HEADER = "X-Rooms-Pin"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


# --- certificates ---------------------------------------------------------------------------


def make_certificates(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for localhost and 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rooms topology test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    paths = {"ca": directory / "ca.pem", "fullchain": directory / "fullchain.pem", "key": directory / "privkey.pem"}
    paths["ca"].write_bytes(ca_cert.public_bytes(pem))
    paths["fullchain"].write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    paths["key"].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    paths["key"].chmod(0o600)
    return paths


# --- nginx config -------------------------------------------------------------------------


def substitute(text: str, old: str, new: str, count: int = 1) -> str:
    found = text.count(old)
    if found != count:
        raise AssertionError(f"the shipped nginx config has {found} of {old!r}, the test expects {count}")
    return text.replace(old, new)


@dataclass(frozen=True)
class Limits:
    """What the tests change in the shipped config's timeouts and limits (the defaults), or the
    benchmark (bench/scale_out.py: the shipped timeouts, every client from one address)."""

    ws_proxy_timeout_s: int = WS_PROXY_TIMEOUT
    ws_connections_per_client: int = WS_CONNECTIONS_PER_CLIENT
    signin_rate_per_second: int = SIGNIN_RATE_PER_SECOND
    worker_processes: int = 1
    worker_connections: int = 512


def site_config(
    *,
    http_port: int,
    https_port: int,
    certs: dict[str, Path],
    static_root: Path,
    acme_root: Path,
    logs: Path,
    limits: Limits = Limits(),
) -> str:
    text = SHIPPED_NGINX.read_text()
    for old, new in [
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;\n", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;"),
        ("/etc/letsencrypt/live/rooms/fullchain.pem", str(certs["fullchain"])),
        ("/etc/letsencrypt/live/rooms/privkey.pem", str(certs["key"])),
        ("root /var/www/letsencrypt;", f"root {acme_root};"),
        ("proxy_read_timeout 3600s;", f"proxy_read_timeout {limits.ws_proxy_timeout_s}s;"),
        ("proxy_send_timeout 3600s;", f"proxy_send_timeout {limits.ws_proxy_timeout_s}s;"),
        ("limit_conn rooms_ws 100;", f"limit_conn rooms_ws {limits.ws_connections_per_client};"),
        ("zone=rooms_signin:10m rate=1r/s;", f"zone=rooms_signin:10m rate={limits.signin_rate_per_second}r/s;"),
    ]:
        text = substitute(text, old, new)
    text = substitute(text, "/var/log/nginx/", f"{logs}/", count=2)
    text = substitute(text, "alias /srv/rooms/staticfiles/", f"alias {static_root}/", count=2)
    # Every proxied location follows the pin when the client sends one.
    return substitute(text, "proxy_pass http://rooms_daphne;", "proxy_pass http://$rooms_pinned;", count=7)


def upstream_config(ports: list[int]) -> str:
    """The shipped upstream with its two servers' lines replaced by one per port, as the
    comment in the file tells an operator to do."""
    text = SHIPPED_UPSTREAM.read_text()
    line = "    server 127.0.0.1:{} max_fails=1 fail_timeout=5s;\n"
    text = substitute(text, line.format(8001) + line.format(8002), "".join(line.format(port) for port in ports))
    pinned = "".join(f"upstream rooms_daphne_{i} {{ server 127.0.0.1:{port}; }}\n" for i, port in enumerate(ports))
    choices = "".join(f"    {i} rooms_daphne_{i};\n" for i in range(len(ports)))
    header = "$http_" + PIN_HEADER.lower().replace("-", "_")
    return f"{text}\n{pinned}map {header} $rooms_pinned {{\n    default rooms_daphne;\n{choices}}}\n"


def main_config(prefix: Path, limits: Limits = Limits()) -> str:
    # As root, nginx would hand the workers to `nobody`, who cannot read pytest's private tmp dirs.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {prefix}/temp/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes {limits.worker_processes};\nworker_rlimit_nofile {4 * limits.worker_connections};\n"
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/nginx-main-error.log info;\n"
        f"events {{ worker_connections {limits.worker_connections}; }}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix}/logs/nginx-main-access.log;\n{temp}"
        f"    include {prefix}/rooms-upstream.conf;\n"
        f"    include {prefix}/rooms.conf;\n"
        "}\n"
    )


# --- processes --------------------------------------------------------------------------


class DeployedSite(LiveSite):
    """LiveSite whose Daphne processes are started by deploy/daphne/run.sh with production
    settings (debug off, so TLS-only cookies, HTTPS redirects and HSTS are on)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, run_script=True, **kwargs)

    def environment(self) -> dict:
        return {**super().environment(), "DAPHNE_PING_INTERVAL": str(DAPHNE_PING_INTERVAL)}

    def run_script_args(self, index: int) -> list[str]:
        return ["--access-log", str(self.access_log(index))]

    def access_log(self, index: int) -> Path:
        return self.tmp_path / f"daphne-{index}-access.log"

    # Django redirects plain HTTP to HTTPS unless the proxy says the request came over TLS.
    health_headers = {"X-Forwarded-Proto": "https"}


class Nginx:
    def __init__(
        self,
        prefix: Path,
        *,
        daphne_ports: list[int],
        certs: dict[str, Path],
        static_root: Path,
        limits: Limits = Limits(),
    ):
        self.prefix = prefix
        self.http_port = free_port()
        self.https_port = free_port()
        self.logs = prefix / "logs"
        self.acme_root = prefix / "acme"
        for directory in (self.logs, self.acme_root / ".well-known" / "acme-challenge", prefix / "temp"):
            directory.mkdir(parents=True, exist_ok=True)
        (prefix / "rooms.conf").write_text(
            site_config(
                http_port=self.http_port,
                https_port=self.https_port,
                certs=certs,
                static_root=static_root,
                acme_root=self.acme_root,
                logs=self.logs,
                limits=limits,
            )
        )
        (prefix / "rooms-upstream.conf").write_text(upstream_config(daphne_ports))
        (prefix / "nginx.conf").write_text(main_config(prefix, limits))
        self.proc: subprocess.Popen | None = None

    def command(self, *extra: str) -> list[str]:
        return [nginx_binary(), "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"), *extra]

    def start(self) -> Nginx:
        check = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        self.proc = subprocess.Popen(
            self.command("-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=open(self.logs / "stderr.log", "ab")
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.logs / 'stderr.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def ws_origin(self) -> str:
        return f"wss://localhost:{self.https_port}"

    def access_log(self) -> str:
        return (self.logs / "rooms-access.log").read_text()

    def error_log(self) -> str:
        path = self.logs / "rooms-error.log"
        return path.read_text() if path.exists() else ""
