#!/usr/bin/env bash
# Make sure what the tests need is on this machine: headless Chromium for the UI
# tests and a running PostgreSQL. Installs or starts what it can; says plainly
# what it could not (the tests then skip with a notice, or fail under CI=true).
set -u

have() { command -v "$1" >/dev/null 2>&1; }

if ! have chromium && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "installing Chromium for the browser tests (Debian packages chromium, chromium-driver)…"
    apt-get update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
      || echo "NOTICE: could not install Chromium; browser tests will be skipped (or fail under CI=true)"
  else
    echo "NOTICE: Chromium is not installed (apt-get install chromium); browser tests will be skipped"
  fi
fi

if have pg_isready && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if have pg_ctlcluster && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if ! (have pg_isready && pg_isready -q -h 127.0.0.1 -p 5432); then
  echo "NOTICE: PostgreSQL is not reachable at 127.0.0.1:5432; its tests will be skipped (or fail under CI=true)"
fi
exit 0
