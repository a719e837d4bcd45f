"""Start a real `rag serve` on a free loopback port for a test (or a benchmark) and stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300  # seconds; the CPU is shared, cold imports alone take 10-20 s


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rag_command() -> list[str]:
    script = Path(sys.executable).parent / "rag"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rag.cli"]


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a server started by a test, killing it when it does not stop in time."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running_serve(index_dir: Path, log_path: Path, *args: str, env: dict | None = None):
    """Yields {"url", "port", "proc", "log"}; the server is terminated on exit."""
    port = free_port()
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("RAG_AUTH", None) if "RAG_AUTH" not in (env or {}) else None
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*rag_command(), "serve", "--index-dir", str(index_dir), "--port", str(port), *args],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {proc.returncode}:\n"
                                   f"{log_path.read_text(errors='replace')}")
            if "Running on local URL" in log_path.read_text(errors="replace"):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"rag serve did not start in {START_TIMEOUT} s")
        yield {"url": f"http://127.0.0.1:{port}/", "port": port, "proc": proc, "log": log_path}
    finally:
        stop_process(proc)
