"""Shared fixtures: a network guard, a real index over corpus/, the ../shared datasets, and a
loopback HTTP server."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

import rag  # noqa: F401 - applies the offline variables first

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
DATASETS = SHARED / "datasets"
SEED_ID = "000_ac00fbd359aa7d40.txt"
IKAROS = "What did operation Ikaros achieve?"


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS: not allowed


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Fail any test that opens a connection outside loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self, address, _real=real_connect):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r} outside loopback")
        return _real(self, address)

    def guarded_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r} outside loopback")
        return real_connect_ex(self, address)

    socket.socket.connect = guarded
    socket.socket.connect_ex = guarded_ex
    yield
    socket.socket.connect = real_connect
    socket.socket.connect_ex = real_connect_ex


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory):
    """An Assistant over the shipped corpus/ in a temporary index (real model, real Chroma)."""
    from rag import Assistant

    bot = Assistant(index_dir=tmp_path_factory.mktemp("corpus_index"))
    report = bot.ingest([CORPUS])
    assert report.added and not report.failed
    return bot


def require_datasets(*names: str) -> Path:
    """Skip (with the reason) when ../shared/datasets is not beside the project."""
    for name in names:
        if not (DATASETS / name).exists():
            pytest.skip(f"needs ../shared/datasets/{name} (absent on this machine)")
    return DATASETS


@pytest.fixture(scope="session")
def server():
    """The loopback HTTP server of tests/loopback.py: feeds, pages, 304s, 500s, slow and huge
    responses, a redirect loop (127.0.0.1 only)."""
    from loopback import Loopback

    with Loopback() as lb:
        yield lb


@pytest.fixture()
def fresh_server():
    """A loopback server of its own, for tests that change its behaviour or count its hits."""
    from loopback import Loopback

    with Loopback() as lb:
        yield lb


@pytest.fixture
def fresh_assistant(tmp_path):
    from rag import Assistant

    return Assistant(index_dir=tmp_path / "index")


os.environ.setdefault("RAG_TEST", "1")
