#!/usr/bin/env bash
# The Debian packages the suite needs beyond Python: Chromium and CJK fonts (browser tests),
# nginx (the `make prod` test) and gettext (msgfmt, translations). Called by `make test` and by
# `.ci/run`, so the two cannot drift.
#
# All present: prints nothing, exits 0. Missing and we may install (root, or passwordless sudo):
# says so in one line, runs `apt-get update` then `apt-get install`. Missing and we may not:
# fails with ONE line naming exactly what to install. Browser tests are never skipped silently.
#
#   scripts/system_packages.sh            check, install when possible
#   scripts/system_packages.sh --dry-run  check, print what would be run, install nothing
#
# CHROMIUM_PATH overrides where Chromium is looked for (tests/e2e/conftest.py reads the same).
set -euo pipefail

dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "system packages missing: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "system packages missing, installing with apt-get (apt-get update first): ${missing[*]}"
if $dry_run; then
  echo "dry run: ${as_root[*]:+${as_root[*]} }apt-get update && ${as_root[*]:+${as_root[*]} }apt-get install -y ${missing[*]}"
  exit 0
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
