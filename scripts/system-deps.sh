#!/usr/bin/env bash
# Installs the Debian packages Kelisim needs when they are missing: "pdf" (Pango and fonts for
# WeasyPrint), "browser" (Chromium for the browser tests) or "postgres" (the PostgreSQL client whose
# pg_dump can dump the server the tests talk to: its major version at least the server's). As root it
# uses apt-get; otherwise it names the packages and stops. KELISIM_DEPS_DRY_RUN=1 only names them.
set -euo pipefail

missing=()
case "${1:-}" in
  pdf)
    ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || missing+=(fonts-dejavu-core)
    ;;
  browser)
    command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
    ;;
  postgres)
    # Asks the server its version (TEST_DATABASE_URL, as the tests do) with the project's Python; no server, no need.
    cd "$(dirname "$0")/.."
    url="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
    if ! package=$("${KELISIM_PYTHON:-.venv/bin/python}" -c 'import sys; from services.backup import client_package
print(client_package(sys.argv[1]) or "")' "$url" 2>/dev/null); then
      echo "PostgreSQL is not reachable at $url: no PostgreSQL client needed for the tests"; exit 0
    fi
    [ -n "$package" ] && missing+=("$package")
    ;;
  *)
    echo "usage: $0 pdf|browser|postgres" >&2; exit 2 ;;
esac

[ ${#missing[@]} -eq 0 ] && exit 0
readarray -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ -n "${KELISIM_DEPS_DRY_RUN:-}" ]; then
  echo "would install: ${missing[*]}"; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Kelisim needs these Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
