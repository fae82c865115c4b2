#!/usr/bin/env bash
# Install the Debian packages `make test` needs when they are missing: the real servers for
# the second test pass (MariaDB, Redis), headless Chromium for the browser tests, venv
# support for python3, Pango and DejaVu fonts for WeasyPrint's PDFs (Cyrillic), and
# poppler-utils (pdftotext) for the tests that read the PDFs back, and the deploy kit's real
# parts: nginx, openssl (a test certificate), systemd (systemd-analyze verify) and curl
# (deploy/README.md's health check), Prometheus' promtool (the alerting rules' tests), and npm
# (axe-core for the browser tests' accessibility checks, `npm pack` into var/axe-core/).
# Does nothing when everything is there.
#   scripts/ensure_system_packages.sh [package ...]   (default: all of them)
set -euo pipefail

# Debian keeps server binaries in sbin, which is not on a normal user's PATH.
export PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin"

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(mariadb-server redis-server chromium python3-venv libpangoft2-1.0-0 fonts-dejavu-core poppler-utils nginx openssl systemd curl prometheus npm)

have() { command -v "$1" >/dev/null 2>&1; }
installed() {
  case "$1" in
    mariadb-server) have mariadbd && have mariadb-install-db ;;
    redis-server) have redis-server ;;
    chromium) have chromium ;;
    python3-venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
    libpangoft2-1.0-0 | fonts-dejavu-core) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" ;;
    poppler-utils) have pdftotext ;;
    nginx) have nginx ;;
    openssl) have openssl ;;
    systemd) have systemd-analyze ;;
    curl) have curl ;;
    prometheus) have promtool ;;
    npm) have npm ;;
    *) echo "ensure_system_packages: unknown package $1" >&2; return 1 ;;
  esac
}

missing=()
for package in "${wanted[@]}"; do
  installed "$package" || missing+=("$package")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "ensure_system_packages: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif have sudo && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "ensure_system_packages: ERROR: missing Debian packages: ${missing[*]}" >&2
  echo "  Install them as root: apt-get install -y ${missing[*]}" >&2
  echo "  (this script installs them itself when run as root or with passwordless sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
