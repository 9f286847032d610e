#!/usr/bin/env bash
# The package registries and toolchains the tests of toolchains inside the walls need (#50,
# test/engine/attempt/toolchainsInWalls.test.ts, bench/realProject.bench.ts), all served on 127.0.0.1:
#   - verdaccio (pinned, from the npm registry) in the tools folder, and a verdaccio storage
#     folder filled ONCE with every tarball the fixture projects of test/fixtures/projects/ need
#     (keyed by their lockfiles): verdaccio started on 127.0.0.1 with the npm registry as its
#     uplink, `npm ci` of each project through it into a throwaway folder, then stopped. The tests
#     start verdaccio from a copy of that storage with no uplink at all (test/registry.ts).
#   - a PEP 503 "simple" folder holding one tiny pure-Python wheel built here from
#     test/fixtures/projects/py-tiny (no network), which test/registry.ts serves on 127.0.0.1.
#   - Go, cargo, venv and maven: Debian's `golang-go` / `cargo` / `python3-venv` / `maven`
#     (apt-get, as scripts/sandbox-tools.sh installs bubblewrap) when `go` / `cargo` / `mvn` are
#     not on PATH or `python3 -m venv` has no ensurepip.
# Everything goes outside the clone, under ${WAVES_TOOLS_DIR:-$HOME/.cache/wave-orchestrator-tools}.
# Idempotent: a second run only checks and prints. Safe to run concurrently (flock).
#
# Usage: bash scripts/registry-tools.sh          install and fill if needed, print where things are
#        bash scripts/registry-tools.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

VERDACCIO_VERSION=${WAVES_VERDACCIO_VERSION:-6.8.0}   # the last 6.x that runs on Node 20
UPLINK=${WAVES_REGISTRY_UPLINK:-https://registry.npmjs.org/}
TOOLS=${WAVES_TOOLS_DIR:-${HOME:-/root}/.cache/wave-orchestrator-tools}
INSTALL_TIMEOUT=${WAVES_TOOLS_INSTALL_TIMEOUT:-1200}   # seconds

TOOLS_NAME=registry-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_clean_npm_env   # nothing of an outer npm (`npm test`) may reach the nested installs
tools_args "$@"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECTS="$REPO/test/fixtures/projects"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
command -v node >/dev/null 2>&1 || die "node is not on PATH"
tools_lock "$TOOLS"

# ---- Go and cargo (Debian's) ----------------------------------------------------------------
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v cargo >/dev/null 2>&1 || missing+=(cargo)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# `python3 -m venv` needs ensurepip, which Debian's python3 leaves to python3-venv.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "${missing[*]} missing: installing Debian's"
  tools_apt_install "${missing[@]}"
fi
GO=$(command -v go) || die "go is not on PATH after the install"
CARGO=$(command -v cargo) || die "cargo is not on PATH after the install"
python3 -c 'import ensurepip, venv' 2>/dev/null || die "python3 cannot make a venv (no ensurepip) after the install"

# ---- verdaccio --------------------------------------------------------------------------------
VDIR="$TOOLS/verdaccio-$VERDACCIO_VERSION"
VERDACCIO="$VDIR/node_modules/verdaccio/bin/verdaccio"
if [ ! -f "$VDIR/.done" ]; then
  t=$(now)
  say "installing verdaccio@$VERDACCIO_VERSION into $VDIR (log: $TOOLS/verdaccio-install.log)"
  tmp="$VDIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  # verdaccio-audit asks for node-fetch by the dist-tag `cjs`, which the registry no longer carries
  # (only `latest`, 3.x, an ES module): pinned to the last CommonJS release that tag named.
  echo '{ "name": "waves-tools-verdaccio", "private": true, "overrides": { "node-fetch": "2.7.0" } }' >"$tmp/package.json"
  if ! timeout --kill-after=30 "$INSTALL_TIMEOUT" \
      npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION" \
      >"$TOOLS/verdaccio-install.log" 2>&1; then
    echo "---- last lines of $TOOLS/verdaccio-install.log ----" >&2; tail -40 "$TOOLS/verdaccio-install.log" >&2
    rm -rf "$tmp"; die "npm install of verdaccio failed"
  fi
  out=$(node "$tmp/node_modules/verdaccio/bin/verdaccio" --version 2>/dev/null || true)
  case $out in *"$VERDACCIO_VERSION"*) ;; *) rm -rf "$tmp"; die "verdaccio --version printed \"$out\", expected $VERDACCIO_VERSION" ;; esac
  touch "$tmp/.done"
  rm -rf "$VDIR"; mv "$tmp" "$VDIR"
  say "verdaccio install: $(( $(now) - t ))s"
fi

# ---- the storage, filled once per set of lockfiles -------------------------------------------
# The extra packages the tests and the bench install by name (`npm install <dep>`), pinned.
EXTRA=$(grep -v '^#' "$PROJECTS/extra-packages.txt" | tr -s ' \n' ' ' | sed 's/ $//')
KEY=$( { echo "verdaccio $VERDACCIO_VERSION"; echo "extra $EXTRA"; cat "$PROJECTS/small-node/package-lock.json" "$PROJECTS/big-node/package-lock.json"; } | sha256sum | cut -c1-16)
STORAGE="$TOOLS/registry-storage-$KEY"

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# Waits until verdaccio answers its ping on $1 (60 s at most).
wait_ping() {
  node -e "
    const [port, deadline] = [Number(process.argv[1]), Date.now() + 60000];
    const ask = () => require('http').get({ host: '127.0.0.1', port, path: '/-/ping' }, (r) => { r.resume(); if (r.statusCode === 200) process.exit(0); again(); }).on('error', again);
    const again = () => (Date.now() > deadline ? process.exit(1) : setTimeout(ask, 100));
    ask();" "$1"
}

if [ ! -f "$STORAGE/.done" ]; then
  t=$(now)
  work="$STORAGE.tmp.$$"
  rm -rf "$work"; mkdir -p "$work/storage" "$work/npm-cache"
  log="$TOOLS/registry-fill.log"
  : >"$log"
  port=$(free_port)
  cat >"$work/config.yaml" <<YAML
storage: $work/storage
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: -1
uplinks:
  npmjs:
    url: $UPLINK
    timeout: 60s
    maxage: 30m
packages:
  '**':
    access: \$all
    publish: \$authenticated
    proxy: npmjs
server:
  keepAliveTimeout: 60
log: { type: stdout, format: pretty, level: warn }
YAML
  say "filling the registry storage $STORAGE through verdaccio on 127.0.0.1:$port (log: $log)"
  node "$VERDACCIO" --config "$work/config.yaml" --listen "127.0.0.1:$port" >>"$log" 2>&1 &
  vpid=$!
  stop_verdaccio() { kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; }
  trap 'stop_verdaccio; rm -rf "$work"' EXIT
  wait_ping "$port" || die "verdaccio did not answer on 127.0.0.1:$port (log: $log)"
  reg="http://127.0.0.1:$port/"
  npm_through() {  # npm_through DIR ARGS...: npm in DIR, through verdaccio, a cache of its own, no user config
    local dir=$1; shift
    (cd "$dir" && NPM_CONFIG_USERCONFIG=/dev/null timeout --kill-after=30 "$INSTALL_TIMEOUT" \
      npm "$@" --registry "$reg" --cache "$work/npm-cache" --no-audit --no-fund --ignore-scripts --loglevel=error) >>"$log" 2>&1
  }
  for p in small-node big-node; do
    mkdir -p "$work/ci-$p"
    cp "$PROJECTS/$p/package.json" "$PROJECTS/$p/package-lock.json" "$work/ci-$p/"
    npm_through "$work/ci-$p" ci || { tail -30 "$log" >&2; die "npm ci of $p through verdaccio failed"; }
    say "  $p: $(node -e "console.log(Object.keys(require('$work/ci-$p/package-lock.json').packages).filter(Boolean).length)") packages"
  done
  mkdir -p "$work/extra"
  echo '{ "name": "extra", "version": "1.0.0", "private": true }' >"$work/extra/package.json"
  # shellcheck disable=SC2086  # one package spec per word
  npm_through "$work/extra" install --no-save --no-package-lock $EXTRA || { tail -30 "$log" >&2; die "npm install of $EXTRA through verdaccio failed"; }
  stop_verdaccio
  trap - EXIT
  tarballs=$(find "$work/storage" -name '*.tgz' | wc -l)
  rm -rf "$STORAGE"; mv "$work/storage" "$STORAGE"
  rm -rf "$work"
  touch "$STORAGE/.done"
  say "registry storage: $tarballs tarballs in $(( $(now) - t ))s"
fi

# ---- the Python index -------------------------------------------------------------------------
PYKEY=$(cat "$PROJECTS/py-tiny/pyproject.toml" "$PROJECTS/py-tiny/build_wheel.py" "$PROJECTS"/py-tiny/src/*/*.py | sha256sum | cut -c1-16)
PYINDEX="$TOOLS/python-index-$PYKEY"
if [ ! -f "$PYINDEX/.done" ]; then
  tmp="$PYINDEX.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  python3 "$PROJECTS/py-tiny/build_wheel.py" "$PROJECTS/py-tiny" "$tmp/simple" >&2 || { rm -rf "$tmp"; die "building the Python index failed"; }
  touch "$tmp/.done"
  rm -rf "$PYINDEX"; mv "$tmp" "$PYINDEX"
  say "Python index: $(cd "$PYINDEX/simple" && find . -name '*.whl' | sed 's|^\./||' | tr '\n' ' ')"
fi

emit() {
  cat <<EOF
WAVES_VERDACCIO=$VERDACCIO
WAVES_REGISTRY_STORAGE=$STORAGE
WAVES_PYTHON_INDEX=$PYINDEX/simple
WAVES_GO=$GO
WAVES_CARGO=$CARGO
EOF
}
tools_report "test/registry.ts starts verdaccio from a copy of the storage, offline"
