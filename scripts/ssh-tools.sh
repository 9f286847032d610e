#!/usr/bin/env bash
# Makes sure OpenSSH's server and client and tmux are on this machine for the `hosts` test
# suite (docs/testing.md), and prints where they are. On a machine without them it installs
# Debian's `openssh-server`, `openssh-client` and `tmux` (apt-get; as root, or with sudo when
# there is one). Nothing is started here: each test starts its own sshd on 127.0.0.1 with
# throwaway host and user keys in a temp folder (test/hosts/sshd.ts) and stops it after.
#
# Usage: bash scripts/ssh-tools.sh          install if needed, print where things are
#        bash scripts/ssh-tools.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

TOOLS_NAME=ssh-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_args "$@"

have_all() { [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1; }

if ! have_all; then
  say "OpenSSH's server, client or tmux is missing: installing Debian's openssh-server openssh-client tmux"
  tools_apt_install openssh-server openssh-client tmux
  have_all || die "openssh-server was installed but /usr/sbin/sshd, ssh, ssh-keygen or tmux was not found"
fi

emit() {
  echo "WAVES_SSHD=/usr/sbin/sshd"
  echo "WAVES_SSH=$(command -v ssh)"
}
tools_report "the hosts suite starts its own sshd instances with these"
