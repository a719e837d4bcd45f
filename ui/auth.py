"""Logins for `rag serve`, with no gradio import: salted password hashes (an auth file), the
check gradio calls, and a back-off on failed logins.

Auth file (`rag serve --auth-file PATH`, `RAG_AUTH_FILE`): one ``user:hash`` per line (``#``
comments and blank lines ignored), the hash as ``scrypt$n=16384,r=8,p=1$SALT$KEY`` (base64),
made by `rag passwd USER`. Unlike ``--auth USER:PASS`` it keeps the password out of the
process list and the shell history.

Back-off (``LoginGuard``): after ``tries`` failed logins from one client address, that
address is refused (HTTP 429) for ``lockout`` seconds, doubled at each further failure up to
``lockout_max``; a success clears its count. Failures for one user name from all addresses
together slow each later try for that name (at most MAX_USER_DELAY seconds) rather than lock
it, so that someone guessing cannot lock the owner out.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path

from rag import RagError

SCHEME = "scrypt"
# scrypt costs of the stdlib's usual example: about 50 ms and 16 MiB per check here.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MAX_USER_DELAY = 10.0  # seconds a try for a much-guessed user name waits, at most
MAX_TRACKED = 10_000  # addresses and names remembered, oldest forgotten first


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n=..,r=..,p=..$SALT$KEY``: a new random salt unless one is given."""
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 2**20,
                         **SCRYPT)
    params = ",".join(f"{k}={v}" for k, v in SCRYPT.items())
    return f"{SCHEME}${params}${_b64(salt)}${_b64(key)}"


def _parse_hash(encoded: str) -> tuple[dict, bytes, bytes]:
    scheme, params, salt, key = encoded.split("$")
    if scheme != SCHEME:
        raise ValueError(scheme)
    values = {k: int(v) for k, v in (p.split("=") for p in params.split(","))}
    if set(values) != {"n", "r", "p"} or values["n"] > 2**20 or values["r"] * values["p"] > 64:
        raise ValueError(params)  # also bounds the work a hand-edited line can ask for
    return values, base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)


def verify_password(password: str, encoded: str) -> bool:
    try:
        params, salt, key = _parse_hash(encoded)
    except (ValueError, TypeError):
        return False
    got = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=len(key),
                         maxmem=256 * 2**20, **params)
    return hmac.compare_digest(got, key)


def read_auth_file(path) -> dict[str, str]:
    """{user: hash} from an auth file; RagError (one line, no secret in it) when it cannot
    be used."""
    path = Path(path).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RagError(f"cannot read the auth file {path}: "
                       f"{getattr(exc, 'strerror', None) or exc}") from None
    users: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, encoded = line.partition(":")
        try:
            if not sep or not user:
                raise ValueError
            _parse_hash(encoded)
        except (ValueError, TypeError):
            raise RagError(f"{path}, line {number}: not USER:{SCHEME}$...; make the line "
                           "with `rag passwd USER`") from None
        users[user] = encoded
    if not users:
        raise RagError(f"the auth file {path} names no user; add one with `rag passwd USER`")
    return users


def set_user(path, user: str, encoded: str) -> None:
    """Add or replace ``user``'s line in an auth file (made readable by its owner only)."""
    path = Path(path).expanduser()
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines = [ln for ln in lines if ln.strip().partition(":")[0] != user or
             ln.strip().startswith("#")]
    lines.append(f"{user}:{encoded}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


class LoginGuard:
    """Failed logins per client address (lockout) and per user name (delay); thread-safe,
    bounded in memory, forgetting a key when its lockout is long over."""

    def __init__(self, tries: int = 5, lockout: float = 30.0, lockout_max: float = 900.0,
                 user_tries: int | None = None, clock=time.monotonic):
        self.tries = max(1, tries)
        self.lockout = max(0.0, lockout)
        self.lockout_max = max(self.lockout, lockout_max)
        self.user_tries = user_tries or 4 * self.tries
        self.clock = clock
        self._lock = threading.Lock()
        # key -> [failures, locked until, last failure]
        self._seen: OrderedDict[str, list] = OrderedDict()

    def _entry(self, key: str) -> list:
        entry = self._seen.get(key)
        now = self.clock()
        if entry is not None and now - entry[2] > max(self.lockout_max, 3600.0):
            entry = None  # quiet for long enough: start afresh
        if entry is None:
            entry = [0, 0.0, now]
            self._seen[key] = entry
            while len(self._seen) > MAX_TRACKED:
                self._seen.popitem(last=False)
        self._seen.move_to_end(key)
        return entry

    def retry_after(self, address: str) -> float:
        """Seconds ``address`` must still wait (0: it may try now)."""
        with self._lock:
            entry = self._seen.get(f"addr:{address}")
            return max(0.0, entry[1] - self.clock()) if entry else 0.0

    def user_delay(self, user: str) -> float:
        """Seconds a try for ``user`` waits before its password is checked."""
        with self._lock:
            entry = self._seen.get(f"user:{user}")
            over = (entry[0] - self.user_tries) if entry else -1
            return 0.0 if over < 0 else min(MAX_USER_DELAY, 0.5 * 2 ** min(over, 10))

    def failed(self, address: str | None = None, user: str | None = None) -> None:
        with self._lock:
            now = self.clock()
            if address is not None:
                entry = self._entry(f"addr:{address}")
                entry[0] += 1
                entry[2] = now
                over = entry[0] - self.tries
                if over >= 0:
                    entry[1] = now + min(self.lockout_max, self.lockout * 2 ** min(over, 30))
            if user is not None:
                entry = self._entry(f"user:{user}")
                entry[0] += 1
                entry[2] = now

    def succeeded(self, address: str | None = None, user: str | None = None) -> None:
        with self._lock:
            for key in (f"addr:{address}" if address else None,
                        f"user:{user}" if user else None):
                if key:
                    self._seen.pop(key, None)


class Checker:
    """The login check: ``login`` is given to gradio as ``auth=``; async, so that a delay or
    a scrypt check never holds the server's event loop."""

    def __init__(self, users: dict[str, str], guard: LoginGuard, plain: bool = False):
        self.users = users  # user -> hash, or -> password when plain (--auth USER:PASS)
        self.plain = plain
        self.guard = guard
        # A name that is not a user is checked against this, so that the time taken does
        # not tell which names exist.
        self._dummy = hash_password(secrets.token_hex(8))

    def _check(self, user: str, password: str) -> bool:
        if self.plain:
            expected = self.users.get(user, secrets.token_hex(16))
            ok = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
            return ok and user in self.users
        ok = verify_password(password, self.users.get(user, self._dummy))
        return ok and user in self.users

    async def login(self, user: str, password: str) -> bool:
        """What gradio calls (it awaits only a coroutine *function*: a callable object's
        coroutine would be taken as true, letting any password in)."""
        delay = self.guard.user_delay(user)
        if delay:
            await asyncio.sleep(delay)
        ok = await asyncio.to_thread(self._check, user, password)
        if ok:
            self.guard.succeeded(user=user)
        else:
            self.guard.failed(user=user)
        return ok


class LoginThrottle:
    """ASGI middleware around gradio's ``POST /login``: refuses a locked-out address with 429
    and a Retry-After header, and counts the route's answers (400: wrong credentials) per
    client address."""

    def __init__(self, app, guard: LoginGuard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or not scope.get("path", "").rstrip("/").endswith("/login")):
            await self.app(scope, receive, send)
            return
        # The connection's own address: a client-set header such as X-Forwarded-For would
        # let anyone pick a fresh address per try.
        address = (scope.get("client") or ("?", 0))[0]
        wait = self.guard.retry_after(address)
        if wait > 0:
            seconds = int(wait) + 1
            body = json.dumps({"detail": f"too many failed logins from this address; try "
                                         f"again in {seconds} s"}).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"retry-after", str(seconds).encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def counting_send(message):
            if message["type"] == "http.response.start":
                if message["status"] == 400:
                    self.guard.failed(address=address)
                elif message["status"] < 300:
                    self.guard.succeeded(address=address)
            await send(message)

        await self.app(scope, receive, counting_send)
