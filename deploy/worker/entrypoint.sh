#!/bin/sh
# The worker image's entry point (deploy/worker/Containerfile): a pull worker works in a clone
# of the repository (ADR 0037). When $WAVES_CLONE (default /work/clone, the pod's volume) holds
# no clone yet, it clones $WAVES_REMOTE, the shared remote the driver pushes its bases to and
# the workers push their work to, into it; then `waves worker` runs there with the arguments the
# container was given (its `--remote` is the clone's origin by default). Every value is passed
# as one argument, never through a shell string.
set -eu
clone=${WAVES_CLONE:-/work/clone}
if [ ! -d "$clone/.git" ]; then
  if [ -z "${WAVES_REMOTE:-}" ]; then
    echo "waves-worker: no clone at $clone and no WAVES_REMOTE to clone: set WAVES_REMOTE to the shared remote (or mount a clone there)" >&2
    exit 2
  fi
  # git clones into a folder that is absent or empty (a volume's mount point); anything else is
  # left alone: a person's files are never removed here.
  if [ -d "$clone" ] && [ -n "$(ls -A -- "$clone")" ]; then
    echo "waves-worker: $clone is neither empty nor a clone (a clone killed half-way?): empty it, or set WAVES_CLONE to another folder" >&2
    exit 2
  fi
  git clone --quiet -- "$WAVES_REMOTE" "$clone"
fi
cd -- "$clone"
# The coordinator's URL (its password) and the remote's (a token) are the worker's, not its
# agents': they leave the environment the agents inherit, and the URL goes as an argument
# (the walls' own process namespace hides the worker's command line from its agents).
coordinator=${WAVES_COORDINATOR:-}
unset WAVES_COORDINATOR WAVES_REMOTE
if [ -n "$coordinator" ]; then
  exec waves worker --coordinator "$coordinator" "$@"
fi
exec waves worker "$@"
