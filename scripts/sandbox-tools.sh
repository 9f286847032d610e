#!/usr/bin/env bash
# Makes sure bubblewrap (bwrap), the walls every agent runs inside (#32, ADR 0019), is on this
# machine for the test suites that run agents (docs/testing.md), and that it can make walls here
# (a trial run with the namespaces the walls use). On a machine without it it installs Debian's
# `bubblewrap` package (apt-get; as root, or with sudo when there is one), and the system's Python
# for the relays (`python3-minimal`).
#
# Usage: bash scripts/sandbox-tools.sh          install if needed, print where it is
#        bash scripts/sandbox-tools.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

TOOLS_NAME=sandbox-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_args "$@"

if ! command -v bwrap >/dev/null 2>&1; then
  say "bubblewrap is missing: installing Debian's bubblewrap"
  tools_apt_install bubblewrap
  command -v bwrap >/dev/null 2>&1 || die "bubblewrap was installed but bwrap is not on PATH"
fi
# The relays inside the walls' networks run in the system's Python where there is one (ADR 0040); the
# suites test that relay, so they need it (Debian's python3-minimal; a machine without it relays in Node).
if [ ! -x /usr/bin/python3 ]; then
  say "the system Python is missing: installing Debian's python3-minimal"
  tools_apt_install python3-minimal
  [ -x /usr/bin/python3 ] || die "python3-minimal was installed but /usr/bin/python3 is not there"
fi
BWRAP=$(command -v bwrap)
if ! "$BWRAP" --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-net --die-with-parent --new-session true 2>/tmp/sandbox-tools.err; then
  die "bubblewrap cannot make walls on this machine: $(head -1 /tmp/sandbox-tools.err)"
fi

emit() {
  echo "WAVES_BWRAP=$BWRAP"
}
tools_report "agents in the test suites run inside these walls"
