#!/bin/sh
# One Daphne process of Rooms, the way nginx (deploy/nginx/rooms.conf) expects it. The systemd
# unit, the container image and the topology test all start Daphne through this script, so
# these flags are the ones that are tested.
#
#   DAPHNE_BIND / DAPHNE_PORT   where to listen [127.0.0.1 / 8001]; one process per core
#   PYTHON                      the interpreter with the requirements installed [python3]
#   extra arguments             more Daphne options (e.g. --access-log -)
set -eu
cd "$(dirname "$0")/../.."

# Same variable and default as the app (FRAME_MAX_BYTES, chatsite/settings.py).
frame_max=${FRAME_MAX_BYTES:-65536}

# --proxy-headers: the client address and scheme come from nginx's X-Forwarded-For and
#   X-Forwarded-Proto. Daphne must only be reachable through nginx, which overwrites both.
# --ping-interval 20: Daphne pings an idle socket every 20 s and browsers answer without any
#   JavaScript (background tabs throttle the app's own 25 s ping to once a minute), so no proxy
#   or load balancer on the path with an idle timeout of 30 s or more ever cuts a quiet socket.
# --ping-timeout 30: a peer that has not answered for 30 s is gone; its disconnect runs.
# --websocket_timeout 86400: a socket re-authenticates at least daily; the client reconnects
#   on its own with ?after= and misses nothing.
# --websocket-max-*-size: the app closes larger frames with 1009; Daphne refusing them with
#   the same 1009 before buffering them keeps an unauthenticated peer from filling memory.
# --http-timeout 25: under nginx's 30 s proxy_read_timeout for /api/, so a stuck request ends
#   as a 503 from Daphne (and is cancelled) rather than as nginx's 504 with the work still running.
exec "${PYTHON:-python3}" deploy/daphne/serve.py \
  --bind "${DAPHNE_BIND:-127.0.0.1}" \
  --port "${DAPHNE_PORT:-8001}" \
  --proxy-headers \
  --ping-interval "${DAPHNE_PING_INTERVAL:-20}" \
  --ping-timeout "${DAPHNE_PING_TIMEOUT:-30}" \
  --websocket_timeout 86400 \
  --websocket_connect_timeout 10 \
  --websocket-max-message-size "$frame_max" \
  --websocket-max-frame-size "$frame_max" \
  --application-close-timeout 10 \
  --http-timeout 25 \
  "$@" \
  chatsite.asgi:application
