#!/usr/bin/env bash
# Prints the path of a working Python >= 3.12 (Django 6 needs it), or fails with a clear message.
set -u
candidates=(python3.12 python3.13)
for home in "${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv; do
  for p in "$home"/versions/3.12*/bin/python3.12 "$home"/versions/3.13*/bin/python3.13; do
    [ -x "$p" ] && candidates+=("$p")
  done
done
candidates+=(/usr/bin/python3.13 /usr/bin/python3.12 /usr/local/bin/python3.13 /usr/local/bin/python3.12)
for c in "${candidates[@]}"; do
  if out=$("$c" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null); then
    echo "$out"; exit 0
  fi
done
echo "Guanxi needs Python 3.12 or 3.13 (Django 6 does not run on older versions)." >&2
echo "None was found: install python3.12 (e.g. 'apt-get install python3.12' or 'pyenv install 3.12')." >&2
exit 1
