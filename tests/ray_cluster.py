"""A real local Ray cluster on loopback for the tests and the benchmark: a head and worker
nodes started with deploy/ray_node.sh (one CPU and a 200 MB object store each), each in the
foreground so that stopping it is a SIGTERM to a process we started (never `ray stop`, which
stops every Ray process of the machine)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import free_port

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "deploy" / "ray_node.sh"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def ray_cluster(workers: int = 1, timeout: float = 120.0):
    """Yield (address, node processes): a head and ``workers`` worker nodes, 1 CPU each."""
    # A short folder: Ray's socket paths must stay under 107 characters.
    tmp = tempfile.mkdtemp(prefix="rayt", dir="/tmp")
    port = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHON": sys.executable,
           "RAY_NODE_CPUS": "1", "RAY_OBJECT_STORE_MB": "200"}
    procs: list[subprocess.Popen] = []
    logs = []

    def start(role: str, n: int) -> None:
        log = open(Path(tmp) / f"{role}{n}.log", "wb")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen(["nice", "-n", "10", "sh", str(NODE), role, str(port),
                                       tmp], env=env, stdout=log, stderr=subprocess.STDOUT))

    def wait_for(text: str, n: int) -> None:
        path = Path(logs[n].name)
        deadline = time.monotonic() + timeout
        while text not in path.read_text(errors="replace"):
            if procs[n].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray node did not start:\n{path.read_text()[-3000:]}")
            time.sleep(0.5)

    try:
        start("head", 0)
        wait_for("block forever", 0)
        for i in range(workers):
            start("worker", i + 1)
            wait_for("block forever", i + 1)
        yield f"127.0.0.1:{port}", procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for child in descendants(p.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
                p.kill()
                p.wait()
        for log in logs:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)
