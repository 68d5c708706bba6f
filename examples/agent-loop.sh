#!/bin/sh
# An agent loop for `mxconform serve --agents DIR`: fetches each case, runs an adapter on it
# (any command that follows the adapter contract), posts the result line back. A device-side
# agent does the same with its own HTTP stack: GET next, run the sign-in, POST the JSON.
#
#   examples/agent-loop.sh http://127.0.0.1:PORT/ NAME /abs/path/to/adapter
set -eu
serve=${1:?usage: agent-loop.sh SERVE_URL AGENT_NAME ADAPTER_CMD}
name=${2:?agent name}
adapter=${3:?adapter command}
work=$(mktemp -d "${TMPDIR:-/tmp}/mxc-agent.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
n=0
while :; do
  code=$(curl -s -o "$work/case.json" -w '%{http_code}' "${serve}_mxconform/next?agent=$name")
  [ "$code" = 204 ] && break                       # every case done
  [ "$code" = 200 ] || { echo "agent-loop: next answered $code" >&2; exit 1; }
  rm -rf "$work/state" "$work/run" && mkdir "$work/state" "$work/run"
  ca=
  if grep -q '"base_url":[[:space:]]*"https:' "$work/case.json"; then
    # an HTTPS case: trust the run-local CA of serve, fetched once
    [ -s "$work/ca.pem" ] || curl -s -f -o "$work/ca.pem" "${serve}_mxconform/ca.pem" ||
      { echo "agent-loop: cannot fetch ${serve}_mxconform/ca.pem" >&2; exit 1; }
    ca="$work/ca.pem"
  fi
  # the adapter contract: the case file, a state dir, a fresh working directory, the CA
  (cd "$work/run" && MXC_CASE="$work/case.json" MXC_STATE_DIR="$work/state" MXC_CA_FILE="$ca" \
     sh -c "$adapter" < /dev/null > "$work/out" 2> "$work/err") || true
  tail -n 1 "$work/out" > "$work/result"
  curl -s -o /dev/null -X POST --data-binary @"$work/result" "${serve}_mxconform/result?agent=$name"
  n=$((n + 1))
done
echo "agent-loop: $name ran $n case(s)" >&2
