#!/usr/bin/env bash
# Installs the real agent CLIs that the `agents` test suite runs (docs/agents-testing.md), from
# the npm registry only, pinned to exact versions:
#   - Claude Code         @anthropic-ai/claude-code (a native binary, copied into place by its postinstall)
#   - OpenAI Codex CLI    @openai/codex             (a native binary in its platform package)
#   - Gemini CLI          @google/gemini-cli        (a Node bundle; runs on the machine's Node >= 20)
#   - GitHub Copilot CLI  @github/copilot           (a native binary in its platform package)
# Everything goes OUTSIDE the clone, into one folder per set of versions, under
#   ${WAVES_TOOLS_DIR:-$HOME/.cache/wave-orchestrator-tools}/agent-clis-<versions>/
# with a VERSIONS file; `node_modules/.bin` holds claude, codex, gemini and copilot.
# Idempotent: a second run only checks and prints. Safe to run concurrently (flock, the same
# lock as scripts/vscode-tools.sh). Nothing runs a CLI against the network: each is only
# asked for `--version`.
#
# Usage: bash scripts/agent-clis.sh          install if needed, print where things are
#        bash scripts/agent-clis.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

CLAUDE_CODE_VERSION=${WAVES_CLAUDE_CODE_VERSION:-2.1.331}
CODEX_VERSION=${WAVES_CODEX_VERSION:-0.169.0}
GEMINI_CLI_VERSION=${WAVES_GEMINI_CLI_VERSION:-0.61.0}
COPILOT_VERSION=${WAVES_COPILOT_VERSION:-1.0.102}
TOOLS=${WAVES_TOOLS_DIR:-${HOME:-/root}/.cache/wave-orchestrator-tools}
INSTALL_TIMEOUT=${WAVES_TOOLS_INSTALL_TIMEOUT:-1200}   # seconds

TOOLS_NAME=agent-clis
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_clean_npm_env   # nothing of an outer npm (`npm test`) may reach the nested install

tools_args "$@"

PACKAGES=(
  "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
  "@openai/codex@$CODEX_VERSION"
  "@google/gemini-cli@$GEMINI_CLI_VERSION"
  "@github/copilot@$COPILOT_VERSION"
)
DIR="$TOOLS/agent-clis-cc$CLAUDE_CODE_VERSION-codex$CODEX_VERSION-gemini$GEMINI_CLI_VERSION-copilot$COPILOT_VERSION"
BIN="$DIR/node_modules/.bin"

command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
tools_lock "$TOOLS"

# What `<cli> --version` prints, per CLI (checked after the install and on every run).
expect_version() {
  case $1 in
    claude) echo "$CLAUDE_CODE_VERSION (Claude Code)" ;;
    codex) echo "codex-cli $CODEX_VERSION" ;;
    gemini) echo "$GEMINI_CLI_VERSION" ;;
    copilot) echo "GitHub Copilot CLI $COPILOT_VERSION" ;;
  esac
}
check_versions() {  # check_versions DIR → 0 when every CLI answers --version as expected
  local cli out
  for cli in claude codex gemini copilot; do
    [ -x "$1/node_modules/.bin/$cli" ] || { echo "$cli: missing" >&2; return 1; }
    # a fresh HOME: no user config is read, nothing is written into the real one. Copilot's
    # binary unpacks its package (about 235 MB) on first start: for this check alone into
    # copilot-cache/ here (kept, so that a later check does not unpack it again). The tests do
    # not use it: inside the walls Copilot unpacks into the agents' shared cache, as for anyone.
    out=$(cd "$1" && HOME="$1/.version-home" CODEX_HOME="$1/.version-home" COPILOT_PKG_CACHE_HOME="$1/copilot-cache" \
      COPILOT_AUTO_UPDATE=false DISABLE_AUTOUPDATER=1 \
      timeout 60 "$1/node_modules/.bin/$cli" --version 2>/dev/null | head -1) || true
    case $out in
      *"$(expect_version "$cli")"*) ;;
      *) echo "$cli --version printed \"$out\", expected \"$(expect_version "$cli")\"" >&2; return 1 ;;
    esac
  done
}

if [ ! -f "$DIR/.done" ]; then
  t=$(now)
  say "installing ${PACKAGES[*]} into $DIR (log: $TOOLS/agent-clis-install.log)"
  tmp="$DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  # allowScripts: Claude Code's postinstall copies its native binary over the placeholder
  # bin/claude.exe (npm 11 warns about, and may block, scripts not listed). Gemini's optional
  # native modules (node-pty, keytar) are not needed headless and stay unbuilt.
  cat >"$tmp/package.json" <<'JSON'
{
  "name": "waves-tools-agent-clis",
  "private": true,
  "allowScripts": { "@anthropic-ai/claude-code": true }
}
JSON
  if ! timeout --kill-after=30 "$INSTALL_TIMEOUT" \
      npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "${PACKAGES[@]}" \
      >"$TOOLS/agent-clis-install.log" 2>&1; then
    echo "---- last lines of $TOOLS/agent-clis-install.log ----" >&2; tail -40 "$TOOLS/agent-clis-install.log" >&2
    rm -rf "$tmp"; die "npm install of the agent CLIs failed"
  fi
  check_versions "$tmp" || { rm -rf "$tmp"; die "the installed agent CLIs do not answer --version as expected (log: $TOOLS/agent-clis-install.log)"; }
  printf '%s\n' "${PACKAGES[@]}" >"$tmp/VERSIONS"
  rm -rf "$tmp/.version-home"
  touch "$tmp/.done"
  rm -rf "$DIR"; mv "$tmp" "$DIR"
  say "agent CLIs install: $(( $(now) - t ))s"
else
  check_versions "$DIR" || die "the agent CLIs in $DIR are broken: delete that folder and run again"
  rm -rf "$DIR/.version-home"
fi

emit() {
  cat <<EOF
WAVES_AGENT_CLIS_DIR=$DIR
WAVES_AGENT_CLIS_BIN=$BIN
WAVES_CLAUDE_CODE_VERSION=$CLAUDE_CODE_VERSION
WAVES_CODEX_VERSION=$CODEX_VERSION
WAVES_GEMINI_CLI_VERSION=$GEMINI_CLI_VERSION
WAVES_COPILOT_VERSION=$COPILOT_VERSION
EOF
}
tools_report "put $BIN first on PATH to run them"
