#!/bin/sh
# The benches' agent whose own start costs almost nothing (`--agent=shell`): it does what the
# scripted test agent's `sleep`, `write` and `commit` do, then writes its result record, in POSIX
# sh with git — so that a run's time beyond the bound is the engine's and the walls', not an
# agent's Node start (about 100 ms of CPU each on this kind of machine, 40 at once in a wide level).
#   shell-agent.sh SECONDS PACKAGE_ID RESULT_FILE
set -eu
sleep "$1"
mkdir -p "$2"
printf 'written by the shell agent for %s\n' "$2" > "$2/x.txt"
git add -A
git -c user.name='Shell Agent' -c user.email=agent@example.invalid commit -q --no-verify -m "shell agent $2"
mkdir -p "$(dirname "$3")"
printf '{"version":1,"package_id":"%s","status":"done","files_modified":["%s/x.txt"],"decisions":[],"pending_actions":[],"result_keys":{},"notes":"written by bench/shell-agent.sh"}\n' "$2" "$2" > "$3"
