#!/bin/sh
# One machine, every part: a Chroma server, a Ray head with worker nodes, two `rag serve`
# replicas over that server (docs/deploy.md). Each runs in the background with its pid and log
# in $DEPLOY_DIR; deploy/down.sh stops exactly those processes.
#
#   deploy/up.sh            then: rag ingest --ray 127.0.0.1:$RAY_PORT FILES...
#                           (with RAG_CHROMA_HOST/RAG_CHROMA_PORT set as below)
# Env (defaults): DEPLOY_DIR (./deploy-state), HOST (127.0.0.1: loopback only), CHROMA_PORT
# (8000), RAY_PORT (6379), RAY_WORKERS (1 worker node besides the head), REPLICA_PORTS
# ("7861 7862"), RAG_REPLICA_SYNC_SECONDS (5), PYTHON (.venv/bin/python of this checkout).
# Across machines: run the same commands per machine with HOST set to its address, and put
# the replicas behind a load balancer with sticky sessions (docs/deploy.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
state=${DEPLOY_DIR:-$root/deploy-state}
host=${HOST:-127.0.0.1}
chroma_port=${CHROMA_PORT:-8000}
ray_port=${RAY_PORT:-6379}
ray_workers=${RAY_WORKERS:-1}
replica_ports=${REPLICA_PORTS:-7861 7862}
export PYTHON=${PYTHON:-$root/.venv/bin/python}
bin=$(dirname "$PYTHON")
export RAY_USAGE_STATS_ENABLED=0 RAY_NODE_IP=$host
mkdir -p "$state/logs"

start() {  # name, command...: in the background, pid and log in $state
  name=$1; shift
  nohup "$@" > "$state/logs/$name.log" 2>&1 &
  echo $! > "$state/$name.pid"
}

wait_log() {  # name, text, seconds
  n=0
  until grep -q "$2" "$state/logs/$1.log" 2>/dev/null; do
    n=$((n + 1))
    if [ "$n" -gt "$(($3 * 2))" ] || ! kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; then
      echo "$1 did not start; see $state/logs/$1.log" >&2; exit 1
    fi
    sleep 0.5
  done
}

wait_port() {  # name, port, seconds
  n=0
  until "$PYTHON" -c "import socket,sys; socket.create_connection(('$host', $2), 1)" 2>/dev/null; do
    n=$((n + 1))
    if [ "$n" -gt "$(($3 * 2))" ]; then echo "$1 did not start" >&2; exit 1; fi
    sleep 0.5
  done
}

start chroma "$bin/chroma" run --path "$state/chroma" --host "$host" --port "$chroma_port"
wait_port chroma "$chroma_port" 60
echo "chroma: http://$host:$chroma_port"

# Ray's temp folder: short (socket paths must stay under 107 characters), ours only.
raytmp=$(mktemp -d /tmp/raydeployXXXX)
echo "$raytmp" > "$state/ray-temp"
start ray-head sh "$here/ray_node.sh" head "$ray_port" "$raytmp"
wait_log ray-head "block forever" 120
i=1
while [ "$i" -le "$ray_workers" ]; do
  start "ray-worker$i" sh "$here/ray_node.sh" worker "$ray_port" "$raytmp"
  wait_log "ray-worker$i" "block forever" 120
  i=$((i + 1))
done
echo "ray: $host:$ray_port (head + $ray_workers worker node(s))"

export RAG_CHROMA_HOST=$host RAG_CHROMA_PORT=$chroma_port
export RAG_REPLICA_SYNC_SECONDS=${RAG_REPLICA_SYNC_SECONDS:-5}
i=1
for port in $replica_ports; do
  # Each replica's keyword index and story groups live in its own folder (derived data).
  start "replica$i" "$bin/rag" serve --host "$host" --port "$port" \
    --index-dir "$state/replica$i"
  wait_log "replica$i" "Running on local URL" 300
  echo "replica$i: http://$host:$port/"
  i=$((i + 1))
done
