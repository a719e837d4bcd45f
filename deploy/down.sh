#!/bin/sh
# Stop what deploy/up.sh started (by the pids it recorded; nothing else), replicas first.
set -u
here=$(cd "$(dirname "$0")" && pwd)
state=${DEPLOY_DIR:-$(dirname "$here")/deploy-state}
for name in $(ls "$state" | sed -n 's/^\(replica[0-9]*\)\.pid$/\1/p') \
            $(ls "$state" | sed -n 's/^\(ray-worker[0-9]*\)\.pid$/\1/p') ray-head chroma; do
  f="$state/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -TERM "$pid" 2>/dev/null; then
    n=0
    while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 60 ]; do sleep 0.5; n=$((n + 1)); done
    kill -KILL "$pid" 2>/dev/null
    echo "stopped $name ($pid)"
  fi
  rm -f "$f"
done
if [ -f "$state/ray-temp" ]; then rm -rf "$(cat "$state/ray-temp")" "$state/ray-temp"; fi
