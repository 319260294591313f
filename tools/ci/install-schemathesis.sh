#!/usr/bin/env bash
# Installs schemathesis (the API fuzzer the e2e suite tests/e2e/fuzz runs against the gateway's
# OpenAPI document) from PyPI into a virtual environment cached outside the repository.
# Skipped when the pinned version is already there, so running this twice is cheap.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
VENV_DIR="${PARLEY_PY_VENV:-$HOME/.cache/parley/venv}"

log() { printf 'install-schemathesis: %s\n' "$*" >&2; }

if [[ -x "$VENV_DIR/bin/st" ]] &&
  [[ "$("$VENV_DIR/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" == "$SCHEMATHESIS_VERSION" ]]; then
  log "schemathesis $SCHEMATHESIS_VERSION already in $VENV_DIR"
  exit 0
fi

command -v python3 >/dev/null || { log "python3 is required"; exit 1; }
# Debian ships venv (and the ensurepip it needs) as a separate package.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  log "python3-venv is missing; installing it"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-venv
fi

rm -rf "$VENV_DIR"
python3 -m venv "$VENV_DIR"
"$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
log "schemathesis $SCHEMATHESIS_VERSION installed in $VENV_DIR ($VENV_DIR/bin/st)"
