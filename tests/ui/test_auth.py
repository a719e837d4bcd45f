"""Logins of `rag serve` without a server: password hashes, the auth file and `rag passwd`,
which login the settings give, and the back-off on failed logins (its clock made up)."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import threading

import pytest
from conftest import ROOT


def test_hash_is_salted_and_checked():
    from ui.auth import hash_password, verify_password

    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt$n=16384,r=8,p=1$")
    assert verify_password("correct horse", one) and verify_password("correct horse", two)
    assert not verify_password("correct hors", one)
    assert not verify_password("correct horse", "plain-text")
    assert not verify_password("x", "scrypt$n=99999999,r=8,p=1$AA==$AA==")  # too costly


def run_rag(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_rag_passwd_makes_lines_the_auth_file_accepts(tmp_path):
    from ui.auth import read_auth_file, verify_password

    out = run_rag("passwd", "alice", stdin="long enough secret\n")
    assert out.returncode == 0, out.stderr
    user, _, encoded = out.stdout.strip().partition(":")
    assert user == "alice" and verify_password("long enough secret", encoded)
    assert "long enough secret" not in out.stdout

    path = tmp_path / "users.txt"
    for who, secret in (("alice", "first secret!"), ("bob", "bob's secret"),
                        ("alice", "second secret")):
        done = run_rag("passwd", who, "--auth-file", str(path), stdin=secret + "\n")
        assert done.returncode == 0, done.stderr
    users = read_auth_file(path)
    assert sorted(users) == ["alice", "bob"]  # alice's line replaced, not added
    assert verify_password("second secret", users["alice"])
    assert not verify_password("first secret!", users["alice"])
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only

    short = run_rag("passwd", "carol", stdin="short\n")
    assert short.returncode == 2 and short.stderr.strip() == \
        "error: the password is too short (at least 8 characters)"
    bad = run_rag("passwd", "a:b", stdin="long enough secret\n")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_bad_auth_file_is_one_line(tmp_path):
    from rag import RagError
    from ui.auth import read_auth_file

    path = tmp_path / "users.txt"
    path.write_text("# logins\n\nalice:hunter2\n")
    with pytest.raises(RagError, match=r"line 3: not USER:scrypt\$") as err:
        read_auth_file(path)
    assert "hunter2" not in str(err.value) and "\n" not in str(err.value)
    path.write_text("# nobody\n")
    with pytest.raises(RagError, match="names no user"):
        read_auth_file(path)
    with pytest.raises(RagError, match="cannot read the auth file"):
        read_auth_file(tmp_path / "missing.txt")


def test_login_settings_command_line_before_environment(tmp_path):
    from rag import RagError, Settings
    from ui.app import login_checker
    from ui.auth import hash_password

    path = tmp_path / "users.txt"
    path.write_text(f"alice:{hash_password('from the file')}\n")
    env = Settings.from_env({"RAG_AUTH": "bob:from the env"})
    assert login_checker(Settings.from_env({})) is None
    plain = login_checker(env)
    # gradio awaits only a coroutine function; anything else's result is taken as true
    assert inspect.iscoroutinefunction(plain.login)
    assert asyncio.run(plain.login("bob", "from the env"))
    assert not asyncio.run(plain.login("bob", "x"))
    filed = login_checker(env, auth_file=str(path))  # the command line wins
    assert asyncio.run(filed.login("alice", "from the file"))
    assert not asyncio.run(filed.login("bob", "from the env"))
    both = Settings.from_env({"RAG_AUTH": "bob:pw", "RAG_AUTH_FILE": str(path)})
    with pytest.raises(RagError, match="not both"):
        login_checker(both)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_guard_locks_an_address_out_for_longer_each_time():
    from ui.auth import LoginGuard

    clock = Clock()
    guard = LoginGuard(tries=3, lockout=10, lockout_max=25, clock=clock)
    for _ in range(2):
        guard.failed(address="10.0.0.1")
    assert guard.retry_after("10.0.0.1") == 0
    guard.failed(address="10.0.0.1")
    assert guard.retry_after("10.0.0.1") == 10
    assert guard.retry_after("10.0.0.2") == 0  # another address is not held back
    clock.now += 10
    assert guard.retry_after("10.0.0.1") == 0  # expired: it may try again
    guard.failed(address="10.0.0.1")
    assert guard.retry_after("10.0.0.1") == 20  # doubled
    clock.now += 20
    guard.failed(address="10.0.0.1")
    assert guard.retry_after("10.0.0.1") == 25  # bounded
    clock.now += 25
    guard.succeeded(address="10.0.0.1")
    guard.failed(address="10.0.0.1")
    assert guard.retry_after("10.0.0.1") == 0  # a success starts the count afresh


def test_guard_slows_a_much_guessed_user_without_locking_it():
    from ui.auth import MAX_USER_DELAY, LoginGuard

    guard = LoginGuard(tries=2, user_tries=4, clock=Clock())
    for _ in range(4):
        guard.failed(user="alice")
    assert guard.user_delay("alice") == 0.5 and guard.user_delay("bob") == 0
    for _ in range(20):
        guard.failed(user="alice")
    assert guard.user_delay("alice") == MAX_USER_DELAY
    guard.succeeded(user="alice")
    assert guard.user_delay("alice") == 0


def test_guard_counts_every_failure_from_many_threads():
    from ui.auth import LoginGuard

    guard = LoginGuard(tries=400, lockout=5, clock=Clock())
    barrier = threading.Barrier(8)

    def hammer():
        barrier.wait()
        for _ in range(50):
            guard.failed(address="10.0.0.9", user="alice")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert guard._seen["addr:10.0.0.9"][0] == 400 and guard._seen["user:alice"][0] == 400
    assert guard.retry_after("10.0.0.9") == 5


def test_guard_memory_is_bounded(monkeypatch):
    import ui.auth
    from ui.auth import LoginGuard

    monkeypatch.setattr(ui.auth, "MAX_TRACKED", 100)
    guard = LoginGuard(tries=1, lockout=5, clock=Clock())
    for i in range(1000):
        guard.failed(address=f"10.1.{i // 256}.{i % 256}")
    assert len(guard._seen) == 100
    assert guard.retry_after("10.1.3.231") == 5  # the latest are kept
