#!/usr/bin/env bash
# Make sure what the test suite talks to is installed and running on this machine:
# Redis and PostgreSQL on loopback, Debian's Chromium for the browser tests, nginx for the
# topology test. Installs with apt-get only what is missing (needs root, as on CI).
set -euo pipefail

REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
PG_URL=${PG_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-services: '$*' is missing and installing it needs root (apt-get install $*)" >&2
    return 1
  fi
  if [ $apt_updated = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- Chromium (browser tests) and nginx (topology test) ---
command -v chromium >/dev/null || apt_install chromium
# Korean UI text and the seeded room names render as boxes in screenshots without a CJK font.
[ -d /usr/share/fonts/opentype/noto ] || apt_install fonts-noto-cjk
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || apt_install fonts-noto-color-emoji
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx-light

# --- Redis ---
redis_host=$(echo "$REDIS_URL" | sed -E 's#^redis://([^:/@]*@)?([^:/]+).*#\2#')
redis_port=$(echo "$REDIS_URL" | sed -nE 's#^redis://[^/]*:([0-9]+).*#\1#p'); redis_port=${redis_port:-6379}
if ! (exec 3<>"/dev/tcp/$redis_host/$redis_port") 2>/dev/null; then
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break; sleep 0.1; done
fi

# --- PostgreSQL ---
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -n | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Loopback-only trust, as on the CI machines: the suite connects as postgres without a password.
  grep -q "^host all all 127.0.0.1/32 trust" "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  psql "$PG_URL" -c 'select 1' >/dev/null 2>&1 || psql "${PG_URL%/*}/postgres" -c 'create database test' >/dev/null
fi
echo "ensure-services: redis, postgresql, chromium and nginx are ready"
