#!/bin/sh
# One Ray node (on loopback unless RAY_NODE_IP says otherwise), in the foreground (stop it with SIGTERM; `ray stop` would stop
# every Ray process of the machine). Usage:
#   deploy/ray_node.sh head PORT [TEMP_DIR]        the head (GCS on 127.0.0.1:PORT)
#   deploy/ray_node.sh worker HEAD_PORT [TEMP_DIR] a worker joining it
# Env: RAY_NODE_CPUS (1), RAY_OBJECT_STORE_MB (200), RAY_NODE_IP (127.0.0.1; this node),
#      RAY_HEAD_IP (a worker: the head's address, default RAY_NODE_IP),
#      PYTHON (the venv's python with ray installed, default python3 on PATH).
# Every port is taken fresh so that several clusters (or other users') can share a machine.
set -eu
role=$1; port=$2; tmp=${3:-}
ip=${RAY_NODE_IP:-127.0.0.1}
py=${PYTHON:-python3}
here=$(dirname "$0")
# `ray start` that keeps a loopback address as given (other addresses are left alone).
ray="$py $here/ray_loopback.py"
export RAY_USAGE_STATS_ENABLED=0
# Distinct free ports, none the GCS port nor in the workers' range (all held open while
# chosen, so that the system cannot hand out one twice).
set -- $("$py" - "$port" <<'PY'
import socket, sys
taken = {int(sys.argv[1])}
held, ports = [], []
def one():
    while True:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
        p = s.getsockname()[1]
        if p not in taken and not (w <= p <= w + 50):
            taken.add(p); return p
w = -100
w = one()
while any(w < q <= w + 50 for q in taken) or w + 50 > 65535:
    w = one()
print(w, *(one() for _ in range(8)))
PY
)
w=$1; nm=$2; om=$3; dal=$4; dag=$5; rea=$6; mex=$7; dash=$8; cli=$9
set -- --node-ip-address="$ip" --num-cpus="${RAY_NODE_CPUS:-1}" \
  --object-store-memory=$(( ${RAY_OBJECT_STORE_MB:-200} * 1000000 )) \
  --node-manager-port="$nm" --object-manager-port="$om" \
  --min-worker-port="$w" --max-worker-port="$(( w + 50 ))" \
  --dashboard-agent-listen-port="$dal" --dashboard-agent-grpc-port="$dag" \
  --runtime-env-agent-port="$rea" --metrics-export-port="$mex" \
  --disable-usage-stats --block
if [ -n "$tmp" ]; then set -- "$@" --temp-dir="$tmp"; fi
case $role in
  head) exec $ray start --head --port="$port" --include-dashboard=false \
          --dashboard-port="$dash" --ray-client-server-port="$cli" "$@" ;;
  worker) exec $ray start --address="${RAY_HEAD_IP:-$ip}:$port" "$@" ;;
  *) echo "usage: $0 head|worker PORT [TEMP_DIR]" >&2; exit 2 ;;
esac
