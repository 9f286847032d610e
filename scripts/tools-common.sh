# Shared by the test-tool installers (scripts/vscode-tools.sh, scripts/agent-clis.sh); sourced,
# never run. Before sourcing, set TOOLS_NAME (the prefix of their messages) and ENV_ONLY
# (1: stdout is only KEY=VALUE lines, progress goes to stderr).

# A clean npm environment for the nested installs. Run under npm (`npm test`, `npm start`), an
# installer inherits the outer npm's npm_* / npm_config_* variables: the user agent names the
# outer Node (20), and code-server's postinstall reads the Node version from it and refuses to
# install. Nothing of the outer npm may reach the installs (regression test:
# test/cli/vscodeTools.test.ts).
tools_clean_npm_env() {
  local name
  for name in $(compgen -e); do
    case $name in
      npm_*|NPM_*|INIT_CWD|NODE|NODE_OPTIONS|NODE_PATH) unset "$name" ;;
    esac
  done
}

# progress and diagnostics: stderr with --env, stdout otherwise
say() { if [ "${ENV_ONLY:-0}" = 1 ]; then echo "$TOOLS_NAME: $*" >&2; else echo "$TOOLS_NAME: $*"; fi; }
die() { echo "$TOOLS_NAME: ERROR: $*" >&2; exit 1; }
now() { date +%s; }

# One installer at a time in a tools folder (two test runs starting together must not install
# into one folder): holds "$1/.lock" on fd 9 until the script exits.
tools_lock() {
  mkdir -p "$1"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$1/.lock"
    if ! flock -w 1800 9; then die "another install holds $1/.lock for more than 30 min"; fi
  fi
}

# The closing report: the KEY=VALUE lines that `emit` prints (alone on stdout with --env,
# indented otherwise), then how long it took since $T_START, and a hint ($1) without --env.
tools_report() {
  if [ "${ENV_ONLY:-0}" = 1 ]; then
    emit
    say "ready in $(( $(now) - T_START ))s"
  else
    emit | sed 's/^/  /'
    say "ready in $(( $(now) - T_START ))s ($1)"
  fi
}
