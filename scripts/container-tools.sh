#!/usr/bin/env bash
# Makes sure Podman can run a container on this machine for the `containers` test suite
# (docs/testing.md, test/containers/), and builds the suite's image from Debian packages: a
# minimal Debian (debootstrap) with bubblewrap and git, imported into Podman once and cached.
# On a machine without them it installs Debian's `podman`, `runc` and `debootstrap` (apt-get; as
# root, or with sudo when there is one). Then it finds the options this machine needs for any
# container to start at all (crun refuses cgroups in hybrid mode: runc instead; without
# CAP_SYS_RESOURCE the runtime cannot raise the open-files and processes limits: lower ones) and
# prints them; when no container starts, it says why (the command and its error) and fails.
#
# Usage: bash scripts/container-tools.sh          install and build if needed, print what to use
#        bash scripts/container-tools.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

TOOLS_NAME=container-tools
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_args "$@"

TOOLS=${WAVES_TOOLS_DIR:-${HOME:-/root}/.cache/wave-orchestrator-tools}
# The image's name says what is in it: change the packages, change the tag.
IMAGE=localhost/waves-walls-test:bookworm-bwrap-git-1
SUITE=bookworm
# The Debian archive this machine's apt uses (its sources as set up here), unless WAVES_DEBIAN_MIRROR names one.
apt_mirror() {
  local uri
  uri=$(grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -1)
  [ -n "$uri" ] || uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit }}' | grep -v -- '-security' | head -1)
  printf '%s' "$uri"
}
MIRROR=${WAVES_DEBIAN_MIRROR:-$(apt_mirror)}

have_all() { command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1; }
if ! have_all; then
  say "podman, runc or debootstrap is missing: installing Debian's podman runc debootstrap"
  tools_apt_install podman runc debootstrap
  have_all || die "podman, runc and debootstrap were installed but one is not on PATH"
fi

if ! podman image exists "$IMAGE" 2>/dev/null; then
  [ -n "$MIRROR" ] || die "no Debian archive in this machine's apt sources to build the image from: set WAVES_DEBIAN_MIRROR"
  tools_lock "$TOOLS"
  if ! podman image exists "$IMAGE" 2>/dev/null; then
    work="$TOOLS/walls-image"
    rm -rf "$work"; mkdir -p "$work"
    say "building $IMAGE: debootstrap --variant=minbase --include=bubblewrap,git $SUITE (a few minutes, once)"
    if ! debootstrap --variant=minbase --include=bubblewrap,git,ca-certificates "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
      tail -5 "$work/debootstrap.log" >&2
      die "debootstrap of $SUITE from $MIRROR failed (its log: $work/debootstrap.log)"
    fi
    tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null || die "podman import of the image failed"
    rm -rf "$work"
  fi
fi

# The options any container needs here to start at all, found by trying: none, then runc, then lower limits.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 4096 ] && nofile=4096
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
limits="--ulimit nofile=$nofile:$nofile --ulimit nproc=$nproc:$nproc"
RUN_ARGS=""
errors=""
for args in "" "--runtime runc" "$limits" "--runtime runc $limits"; do
  # shellcheck disable=SC2086
  if out=$(podman run --rm $args "$IMAGE" /bin/true 2>&1); then
    RUN_ARGS=$args
    found=1
    break
  fi
  errors="$errors
  podman run --rm $args $IMAGE /bin/true: $(printf '%s' "$out" | tail -1)"
done
[ "${found:-0}" = 1 ] || die "no container starts on this machine:$errors"

emit() {
  echo "WAVES_PODMAN=$(command -v podman)"
  echo "WAVES_PODMAN_IMAGE=$IMAGE"
  echo "WAVES_PODMAN_RUN_ARGS=$RUN_ARGS"
}
tools_report "the containers suite runs its containers with these"
