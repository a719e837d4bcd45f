"""A real `chroma run` server on loopback for the tests (the command comes with chromadb)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from serving import free_port, stop_process

__all__ = ["chroma_server", "free_port", "start_chroma", "stop_chroma"]


def start_chroma(data: Path, port: int, timeout: float = 60) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = shutil.which("chroma")
    assert exe, "the chroma command comes with chromadb; it should be installed"
    proc = subprocess.Popen([str(exe), "run", "--path", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"chroma server did not start within {timeout} s")


def stop_chroma(proc: subprocess.Popen) -> None:
    stop_process(proc)


@contextlib.contextmanager
def chroma_server(data: Path, timeout: float = 60.0):
    """Yield the port of a Chroma server keeping its data in ``data``; stopped on exit."""
    port = free_port()
    proc = start_chroma(data, port, timeout)
    try:
        yield port
    finally:
        stop_chroma(proc)
