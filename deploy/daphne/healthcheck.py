"""Exit 0 when this machine's Daphne answers /health/ with 200 (database, channel layer and
state all reachable), 1 otherwise. For container and process-manager health checks.

The request carries what nginx would add: a host Django serves and X-Forwarded-Proto, since
with debug off Django redirects anything it believes to be plain HTTP."""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("DAPHNE_PORT") or "8001"
    hosts = [h.strip().lstrip(".") for h in (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",") if h.strip()]
    host = next((h for h in hosts if h != "*"), "localhost")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"health check failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
