#!/usr/bin/env bash
# Builds the pull worker's container image (deploy/worker/Containerfile, ADR 0037) here with
# Podman, from Debian's archive and the npm registry alone: its BASE is the containers suite's
# Debian image (scripts/container-tools.sh: debootstrap bookworm from this machine's apt mirror,
# with the options any container needs to start here), its npm registry this machine's
# (`npm config get registry`). The image's tag names its contents — the Containerfile, the
# entry point, the `waves` bundle it copies, the base image and the registry — so a build is
# done once per change; Podman's layer cache keeps Node and the agent CLIs across changes of the
# bundle (the first build downloads them: a few minutes; a later one copies the bundle: seconds).
# Older tags of the image are removed. Needs the bundle built (`npm run build`).
#
# Usage: bash scripts/worker-image.sh          build if needed, print what to use
#        bash scripts/worker-image.sh --env    same, but stdout is only KEY=VALUE lines
set -euo pipefail

TOOLS_NAME=worker-image
# shellcheck source=scripts/tools-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
tools_args "$@"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPOSITORY=localhost/waves-worker
TOOLS=${WAVES_TOOLS_DIR:-${HOME:-/root}/.cache/wave-orchestrator-tools}

# The base and the run options: the containers suite's (it installs Podman when missing).
walls=$(bash "$ROOT/scripts/container-tools.sh" --env) || die "scripts/container-tools.sh could not make a container run here"
value() { printf '%s\n' "$walls" | sed -n "s/^$1=//p" | head -1; }
PODMAN=$(value WAVES_PODMAN)
BASE=$(value WAVES_PODMAN_IMAGE)
RUN_ARGS=$(value WAVES_PODMAN_RUN_ARGS)
[ -n "$PODMAN" ] && [ -n "$BASE" ] || die "scripts/container-tools.sh named no Podman or base image"
REGISTRY=${WAVES_NPM_REGISTRY:-$(npm config get registry 2>/dev/null || true)}
[ -n "$REGISTRY" ] && [ "$REGISTRY" != undefined ] || REGISTRY=https://registry.npmjs.org/
# The CA certificates this machine's npm trusts (its cafile, else NODE_EXTRA_CA_CERTS, else the
# system's bundle, which holds the CAs update-ca-certificates added): the build's downloads go
# through the same network as this machine's, a proxy's own CA included.
CA_FILE=${WAVES_BUILD_CA_FILE:-$(npm config get cafile 2>/dev/null || true)}
case $CA_FILE in null|undefined|"") CA_FILE=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt} ;; esac
[ -f "$CA_FILE" ] || die "no CA certificates at $CA_FILE: set WAVES_BUILD_CA_FILE"

# What the image copies from the repository; the bundle must be there.
FILES=(deploy/worker/Containerfile deploy/worker/entrypoint.sh package.json LICENSE bin/waves.js
  dist/cli.js dist/runner.js dist/relay.js dist/waves-mcp.js dist/planWorker.js)
for f in "${FILES[@]}"; do
  [ -f "$ROOT/$f" ] || die "$f is missing: run \`npm run build\` first"
done
[ -d "$ROOT/dist/treeSitter" ] || die "dist/treeSitter is missing: run \`npm run build\` first"

# The tag: a hash of the files, the base image's id and the registry.
base_id=$("$PODMAN" image inspect --format '{{.Id}}' "$BASE") || die "no image $BASE"
tag=$( {
  (cd "$ROOT" && sha256sum "${FILES[@]}" && find dist/treeSitter -type f -print0 | sort -z | xargs -0 sha256sum)
  printf 'base %s\nregistry %s\n' "$base_id" "$REGISTRY"
} | sha256sum | cut -c1-16)
IMAGE="$REPOSITORY:$tag"

if ! "$PODMAN" image exists "$IMAGE" 2>/dev/null; then
  tools_lock "$TOOLS"
  if ! "$PODMAN" image exists "$IMAGE" 2>/dev/null; then
    log="$TOOLS/worker-image-build.log"
    t=$(now)
    say "building $IMAGE from $BASE (the first time: Node and the agent CLIs from $REGISTRY, a few minutes; log: $log)"
    # shellcheck disable=SC2086 # RUN_ARGS: the options container-tools.sh found, words by design
    if ! "$PODMAN" build $RUN_ARGS --layers --network host \
        --build-arg "BASE=$BASE" --build-arg "NPM_REGISTRY=$REGISTRY" \
        -v "$CA_FILE:/run/waves-build-ca.crt:ro" --build-arg EXTRA_CA_FILE=/run/waves-build-ca.crt \
        -f "$ROOT/deploy/worker/Containerfile" -t "$IMAGE" "$ROOT" >"$log" 2>&1; then
      tail -30 "$log" >&2
      die "podman build of the worker image failed (its log: $log)"
    fi
    say "built $IMAGE in $(( $(now) - t ))s"
    # Older images of the worker: only the newest is kept (Podman's layer cache stays).
    "$PODMAN" images --format '{{.Repository}}:{{.Tag}}' "$REPOSITORY" | while read -r old; do
      [ "$old" = "$IMAGE" ] || "$PODMAN" rmi "$old" >/dev/null 2>&1 || true
    done
  fi
fi

emit() {
  echo "WAVES_PODMAN=$PODMAN"
  echo "WAVES_PODMAN_RUN_ARGS=$RUN_ARGS"
  echo "WAVES_WORKER_IMAGE=$IMAGE"
}
tools_report "run the worker with: podman run \$WAVES_PODMAN_RUN_ARGS --security-opt unmask=/proc/* … \$WAVES_WORKER_IMAGE"
