#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download cannot work here);
# PDF tests read quotes back with poppler's pdftotext; both need the CJK fonts.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/pdftotext ] && [ -n "$(fc-list 2>/dev/null | grep -i "Noto Sans CJK")" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium, poppler-utils or fonts-noto-cjk missing: run 'sudo apt-get install chromium poppler-utils fonts-noto-cjk'" >&2
  exit 1
fi
echo "installing Debian's chromium, poppler-utils and CJK fonts…" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils fonts-noto-cjk >&2
