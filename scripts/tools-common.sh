# Shared by the test-tool installers (scripts/vscode-tools.sh, agent-clis.sh, ssh-tools.sh,
# postgres-tools.sh); sourced, never run. Before sourcing, set TOOLS_NAME (the prefix of their
# messages); ENV_ONLY (1: stdout is only KEY=VALUE lines, progress goes to stderr) is set by
# `tools_args` or by the installer itself.

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

# The usual arguments: none, or --env (ENV_ONLY=1); starts the clock of `tools_report`.
tools_args() {
  ENV_ONLY=0
  case "${1:-}" in
    --env) ENV_ONLY=1 ;;
    "") ;;
    *) echo "usage: $0 [--env]" >&2; exit 2 ;;
  esac
  T_START=$(now)
}

# Installs Debian packages ($@) with apt-get, as root or with sudo when there is one; apt's
# output goes where progress goes (stderr with --env).
tools_apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "this is not root (no sudo): install $* yourself"
    sudo="sudo -n"
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "${ENV_ONLY:-0}" = 1 ]; then exec 3>&2; else exec 3>&1; fi
  $sudo apt-get update -q >&3 || say "apt-get update failed; trying the install with the lists there are"
  $sudo apt-get install -y -q --no-install-recommends "$@" >&3 || die "apt-get install $* failed"
}
