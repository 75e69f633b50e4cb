#!/usr/bin/env bash
# What the test suites need on this machine: PostgreSQL on 127.0.0.1:5432 (trust auth,
# database `test`), Redis on 127.0.0.1:6379 and Debian's Chromium. Starts what is down and,
# as root on Debian, installs what is missing, so `npm test` also runs on a fresh machine.
# Set TEST_PG_URL or TEST_REDIS_URL to use servers of your own; they are then left alone.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "tests need: $* (run it as root, or start the services yourself)" >&2; exit 1; fi
}
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  echo "installing $* from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
wait_for() { for _ in $(seq 1 30); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done; "$@"; }

if [ -z "${TEST_PG_URL:-}" ]; then
  cluster() { as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main "$@"; }
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
    # A cluster made here serves only the tests: on the port they use, trusting local TCP connections.
    as_root sed -i 's/^port = .*/port = 5432/' /etc/postgresql/*/main/postgresql.conf
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' /etc/postgresql/*/main/pg_hba.conf
    if cluster status >/dev/null 2>&1; then cluster reload; fi
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting PostgreSQL"
    cluster start
    wait_for pg_isready -q -h 127.0.0.1 -p 5432
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
fi

if [ -z "${TEST_REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || apt_install redis-server
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for redis-cli -h 127.0.0.1 -p 6379 ping
  fi
fi

# The browser suites drive Debian's Chromium.
[ -x /usr/bin/chromium ] || apt_install chromium
