#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, pg_ctl, postgres) are on this machine for the
# `coordinator` test suite (docs/testing.md), and prints where they are. On a machine without
# them it installs Debian's `postgresql` package (apt-get; as root, or with sudo when there is
# one). Nothing is started here: each test starts a throwaway cluster in a temp folder
# (test/coordinator/postgres.ts) and stops it after.
#
# Usage: bash scripts/postgres-tools.sh          install if needed, print where things are
#        bash scripts/postgres-tools.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

TOOLS_NAME=postgres-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_args "$@"

# The newest server under /usr/lib/postgresql/<version>/bin (Debian's layout), or an initdb on PATH.
find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

if ! BIN=$(find_bin); then
  say "PostgreSQL's server is missing: installing Debian's postgresql"
  tools_apt_install postgresql
  BIN=$(find_bin) || die "postgresql was installed but initdb/pg_ctl/postgres were not found"
fi

# As root the server must run as another user: Debian's package creates `postgres`.
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
  if id postgres >/dev/null 2>&1; then RUN_AS=postgres; else die "running as root and there is no postgres user to run the server as"; fi
fi

emit() {
  echo "WAVES_PG_BIN=$BIN"
  echo "WAVES_PG_RUN_AS=$RUN_AS"
}
tools_report "the coordinator suite starts its own clusters with these"
