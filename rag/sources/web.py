"""Safe fetching of one web page, and turning a fetched page into an Article.

Only http(s); every redirect hop is checked again; the host is resolved here and private,
loopback, link-local, multicast, reserved and unspecified addresses are refused unless
``allow_private=True``; the connection goes to the very address that was checked (no DNS
rebinding); bodies are streamed and capped; timeouts cover connect and each read, and an
overall deadline covers the whole call; 5xx and time-outs are retried with backoff, 4xx never.

Network access happens only when a caller asks for a URL: nothing here runs at import time.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import html as html_lib
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from ..dates import normalise_date
from ..types import Article, RagError

DEFAULT_USER_AGENT = "newsrag/0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml")
MIN_WORDS = 8  # page_article: fewer words than this is no article (a menu, a cookie notice)


class FetchError(RagError):
    """A URL could not be fetched (or was refused). ``str()`` is one line: '<url>: <reason>'."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


@dataclass
class Fetched:
    url_final: str
    status: int
    content: bytes
    content_type: str  # the MIME type alone, lower case ("" when the server sent none)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    charset: str | None = None  # as declared in the Content-Type header
    fetched_at: str = ""  # ISO 8601 UTC time of the response
    tries: int = 1

    def text(self) -> str:
        """The body decoded with the declared charset, else a <meta charset>, else detected."""
        return decode_body(self.content, self.charset, self.content_type)


# --- address checks -------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64)."""
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    # IPv4-compatible ::a.b.c.d (deprecated) is in ::/96, which is_reserved already refuses.
    return out


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not be fetched without allow_private, or None if it is public."""
    checks = (("is_unspecified", "unspecified"), ("is_loopback", "loopback"),
              ("is_link_local", "link-local"), ("is_multicast", "multicast"),
              ("is_private", "private"), ("is_reserved", "reserved"))
    inner = _embedded_ipv4(ip) if ip.version == 6 else []
    for candidate in [*inner, ip]:  # the IPv4 inside an IPv6 address names the real target
        where = f" (inside {ip})" if candidate is not ip else ""
        for attr, label in checks:
            if getattr(candidate, attr):
                return f"{label} address {candidate}{where}"
        if not candidate.is_global:
            return f"non-public address {candidate}{where}"  # e.g. 100.64.0.0/10 (CGNAT)
    return None


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """All addresses of ``host`` (getaddrinfo has no timeout of its own: run it in a thread)."""
    try:
        ip = ipaddress.ip_address(host)
        return [str(ip)]
    except ValueError:
        pass
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        fut = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        infos = fut.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise _Refused(f"DNS lookup of {host} timed out after {timeout:g} s") from None
    except socket.gaierror as exc:
        raise _Refused(f"cannot resolve host {host} ({exc.strerror or exc})") from None
    finally:
        pool.shutdown(wait=False)
    addrs: list[str] = []
    for info in infos:
        addr = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in addrs:
            addrs.append(addr)
    if not addrs:
        raise _Refused(f"cannot resolve host {host}")
    return addrs


def check_host(host: str, port: int, allow_private: bool, timeout: float = 10.0) -> str:
    """Resolve ``host`` and return the one address to connect to, or raise _Refused.

    Without allow_private, every address the name resolves to must be public: a name that
    mixes public and private addresses is refused outright (a classic SSRF trick).
    """
    addrs = _resolve(host, port, timeout)
    if not allow_private:
        for addr in addrs:
            problem = address_problem(ipaddress.ip_address(addr))
            if problem:
                try:
                    literal = ipaddress.ip_address(host) == ipaddress.ip_address(addr)
                except ValueError:
                    literal = False
                shown = "" if literal else f"{host} resolves to a "
                raise _Refused(f"refused: {shown}{problem} (allow it with --allow-private or "
                              "RAG_ALLOW_PRIVATE=1)")
    return addrs[0]


class _Refused(Exception):
    pass


# --- the pinned transport -------------------------------------------------------------------
#
# How DNS rebinding is avoided: we resolve the host ourselves, check the address, then hand
# httpx a transport whose network backend *ignores* the host name when it opens the TCP
# connection and connects to the address we checked (a per-hop pin table, host -> IP).  The
# URL keeps the host name, so httpx still sends the right Host header, TLS still uses the name
# for SNI and for certificate verification, and there is no second DNS lookup for an attacker
# to answer differently.  A host with no pin cannot be connected to at all.  Proxies from the
# environment are ignored (trust_env=False): a proxy would resolve the name itself.


class _Deadline:
    """The overall deadline of one fetch() call."""

    def __init__(self, budget: float):
        self.budget = budget
        self.end = time.monotonic() + budget

    def left(self, url: str) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FetchError(url, f"timed out (overall deadline of {self.budget:g} s exceeded)")
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.end


def _pinned_transport(pins: dict[str, str], deadline: _Deadline):
    import httpcore
    import httpx

    def cap(timeout: float | None) -> float:
        # Every socket operation gets at most what is left of the overall deadline, so a server
        # that trickles its headers or body one byte at a time cannot hold us past it.
        left = deadline.end - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("overall deadline exceeded")
        return left if timeout is None else min(timeout, left)

    class DeadlineStream(httpcore.NetworkStream):
        def __init__(self, inner) -> None:
            self._inner = inner

        def read(self, max_bytes, timeout=None):
            return self._inner.read(max_bytes, cap(timeout))

        def write(self, buffer, timeout=None):
            return self._inner.write(buffer, cap(timeout))

        def close(self):
            return self._inner.close()

        def start_tls(self, ssl_context, server_hostname=None, timeout=None):
            return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                        cap(timeout)))

        def get_extra_info(self, info):
            return self._inner.get_extra_info(info)

    class PinnedBackend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.SyncBackend()

        def connect_tcp(self, host, port, timeout=None, local_address=None,
                        socket_options=None):
            ip = pins.get(host.lower().strip("[]"))
            if ip is None:  # never connect anywhere that was not checked
                raise httpcore.ConnectError(f"host {host} was not checked before connecting")
            return DeadlineStream(self._inner.connect_tcp(
                ip, port, timeout=cap(timeout), local_address=local_address,
                socket_options=socket_options))

        def connect_unix_socket(self, *args, **kwargs):  # pragma: no cover
            raise httpcore.ConnectError("unix sockets are not allowed")

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    ssl_context = _ssl_context()

    class PinnedTransport(httpx.HTTPTransport):
        def __init__(self) -> None:
            super().__init__(verify=ssl_context, trust_env=False)
            # httpx has no public hook for the network backend: replace its pool with one that
            # uses ours (httpx 0.28's HTTPTransport keeps it in ``_pool``; checked here so that
            # a changed httpx fails loudly instead of silently connecting unpinned).
            assert hasattr(self, "_pool"), "httpx changed: HTTPTransport has no _pool"
            self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, max_connections=4,
                                                 network_backend=PinnedBackend())

    return PinnedTransport()


_SSL: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL
    if _SSL is None:
        import certifi

        _SSL = ssl.create_default_context(cafile=certifi.where())
    return _SSL


# --- per-host politeness --------------------------------------------------------------------


class HostThrottle:
    """At least ``min_delay`` seconds between the starts of two requests to one host.

    Thread-safe: each caller reserves its slot under a lock and sleeps outside it, so threads
    fetching different hosts never wait for each other.
    """

    def __init__(self, min_delay: float = 1.0):
        self.min_delay = float(min_delay)
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Block until a request to ``host`` may start; returns the seconds waited."""
        if self.min_delay <= 0:
            return 0.0
        key = host.lower()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(key, 0.0))
            self._next[key] = start + self.min_delay
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return delay


# --- fetch ----------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def fetch(url: str, *, allow_private: bool = False, timeout: float = 10.0,
          max_bytes: int = 5_000_000, max_redirects: int = 5,
          accept: tuple[str, ...] | None = HTML_TYPES, etag: str | None = None,
          last_modified: str | None = None, user_agent: str = DEFAULT_USER_AGENT,
          tries: int = 3, backoff: float = 0.5, deadline: float | None = None,
          throttle: HostThrottle | None = None, robots: Robots | None = None) -> Fetched:
    """GET ``url`` safely; see the module docstring. Raises FetchError.

    timeout: seconds for the DNS lookup, the connect and each read or write.
    deadline: seconds for the whole call, redirects and retries included
              (default max(30, 3 * timeout)); enforced on every socket operation.
    tries/backoff: up to ``tries`` attempts on 5xx, time-outs and broken connections,
              sleeping backoff, 2*backoff, ... between them; never on 4xx.
    accept: allowed MIME types (None or () = any); a missing Content-Type is let through.
    etag/last_modified: sent as If-None-Match / If-Modified-Since; a 304 gives
              Fetched(not_modified=True, content=b"").
    throttle: a HostThrottle consulted before every request (retries and hops included).
    robots: a Robots instance consulted before every hop (None = do not check).
    """
    import httpx

    dl = _Deadline(deadline if deadline is not None else max(30.0, 3 * timeout))
    visited: list[str] = []
    current = url
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    if accept:
        headers["Accept"] = ", ".join(accept) + ", */*;q=0.1"
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    while True:
        visited.append(current)
        scheme = urlsplit(current).scheme.lower()
        if scheme not in ("http", "https"):
            what = f"{scheme}:" if scheme else "a URL without a scheme"
            raise FetchError(current, f"refused: only http and https URLs can be fetched, "
                                      f"not {what}")
        try:
            hx_url = httpx.URL(current)
            host = hx_url.raw_host.decode("ascii").lower()
        except Exception as exc:  # noqa: BLE001 - httpx.InvalidURL, bad IDNA...
            raise FetchError(current, f"invalid URL ({_short(exc)})") from None
        if not host:
            raise FetchError(current, "invalid URL (no host)")
        port = hx_url.port or (443 if scheme == "https" else 80)
        try:
            ip = check_host(host, port, allow_private, timeout=min(timeout, dl.left(current)))
        except _Refused as exc:
            raise FetchError(current, str(exc)) from None
        if robots is not None:  # after the address check: no robots.txt fetch for a refused host
            robots.check(current)

        info = _get_with_retries(current, host, ip, headers, timeout, dl, max_bytes, accept,
                                 tries, backoff, throttle)
        status = info["status"]
        if status in (301, 302, 303, 307, 308):
            location = info["location"]
            if not location:
                raise FetchError(current, f"HTTP {status} redirect without a Location header")
            nxt = urljoin(current, location.strip()).split("#", 1)[0]
            if nxt in visited:
                chain = " -> ".join([*visited[visited.index(nxt):], nxt])
                raise FetchError(url, f"redirect loop ({chain})")
            if len(visited) > max_redirects:
                raise FetchError(url, f"too many redirects (more than {max_redirects})")
            current = nxt
            continue
        if 300 <= status < 400 and status != 304:
            raise FetchError(current, f"HTTP {status}{_reason_phrase(status)}")
        return Fetched(url_final=current, status=status, content=info["content"],
                       content_type=info["content_type"], etag=info["etag"],
                       last_modified=info["last_modified"], not_modified=status == 304,
                       charset=info["charset"], fetched_at=_now_iso(), tries=info["tries"])


def _get_with_retries(url, host, ip, headers, timeout, dl: _Deadline, max_bytes, accept,
                      tries, backoff, throttle) -> dict:
    import httpx

    last_reason = ""
    attempt = 0
    for attempt in range(1, max(1, tries) + 1):
        if attempt > 1:
            delay = backoff * (2 ** (attempt - 2))
            if time.monotonic() + delay >= dl.end:
                attempt -= 1
                break
            time.sleep(delay)
        if throttle is not None:
            throttle.wait(host)
        per = min(timeout, dl.left(url))
        try:
            info = _one_request(url, host, ip, headers, per, dl, max_bytes, accept)
        except httpx.TimeoutException as exc:
            if dl.passed():
                raise FetchError(url, f"timed out (overall deadline of {dl.budget:g} s "
                                      "exceeded)") from None
            kind = {"ConnectTimeout": "connect", "ReadTimeout": "read",
                    "WriteTimeout": "write", "PoolTimeout": "pool"}.get(type(exc).__name__, "")
            last_reason = f"timed out ({kind + ' ' if kind else ''}timeout {per:g} s)"
            continue
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            last_reason = f"connection broken ({_short(exc)})"
            continue
        except httpx.ConnectError as exc:
            raise FetchError(url, f"cannot connect ({_short(exc)})") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {_short(exc)}") from None
        info["tries"] = attempt
        status = info["status"]
        if status >= 500:
            last_reason = f"HTTP {status}"
            continue
        if status >= 400:
            raise FetchError(url, f"HTTP {status}{_reason_phrase(status)}")
        return info
    n = max(attempt, 1)
    raise FetchError(url, f"{last_reason or 'overall deadline exceeded'} after {n} "
                          f"{'try' if n == 1 else 'tries'}")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return " " + HTTPStatus(status).phrase
    except ValueError:
        return ""


def _one_request(url, host, ip, headers, per_timeout, dl: _Deadline, max_bytes, accept) -> dict:
    import httpx

    pins = {host.strip("[]"): ip}
    with httpx.Client(transport=_pinned_transport(pins, dl), timeout=httpx.Timeout(per_timeout),
                      follow_redirects=False, trust_env=False) as client:
        with client.stream("GET", url, headers=headers) as resp:
            status = resp.status_code
            mime, charset = _parse_content_type(resp.headers.get("content-type", ""))
            info = {"status": status, "location": resp.headers.get("location"),
                    "content_type": mime, "charset": charset,
                    "etag": resp.headers.get("etag"),
                    "last_modified": resp.headers.get("last-modified"), "content": b""}
            if not 200 <= status < 300:
                return info  # redirects, 304, errors: the body is not wanted
            if accept and mime and mime not in {a.lower() for a in accept}:
                raise FetchError(url, f"unexpected content type {mime} (accepted: "
                                      f"{', '.join(accept)})")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(url, f"larger than {_mb(max_bytes)} "
                                      f"(Content-Length {int(declared):,} bytes)")
            buf = bytearray()
            # iter_bytes() yields the decoded (gunzipped) body: the cap applies to what we
            # keep in memory, so a small gzip bomb is stopped as well.
            for chunk in resp.iter_bytes():
                buf += chunk
                if len(buf) > max_bytes:
                    raise FetchError(url, f"larger than {_mb(max_bytes)}")
            info["content"] = bytes(buf)
            return info


def _parse_content_type(value: str) -> tuple[str, str | None]:
    if not value:
        return "", None
    parts = [p.strip() for p in value.split(";")]
    mime = parts[0].lower()
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip("'\"") or None
    return mime, charset


# --- decoding -------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_body(data: bytes, charset: str | None = None, content_type: str = "") -> str:
    """Decode: BOM, then the declared charset, then <meta charset>/<?xml encoding>, then UTF-8,
    then detection (charset_normalizer), then cp1252 with replacement."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc if enc != "utf-8" else "utf-8-sig", errors="replace")
    candidates = [_codec(charset)]
    head = data[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if m:
        candidates.append(_codec(m.group(1).decode("ascii", "ignore")))
    candidates.append("utf-8")
    for enc in candidates:
        if not enc:
            continue
        try:
            # An ISO-8859-1 label means windows-1252 on the web (WHATWG encoding standard).
            return data.decode("cp1252" if enc in ("latin-1", "iso8859-1") else enc)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    except ImportError:  # pragma: no cover
        pass
    return data.decode("cp1252", errors="replace")


# --- robots.txt -----------------------------------------------------------------------------


class Robots:
    """robots.txt per scheme://host:port, fetched with the same safety rules and cached.

    A 4xx robots.txt (404 and friends) allows everything; an unreachable one (5xx, time-out,
    connection refused, refused address...) also allows everything but is noted in ``notes``
    (and logged with ``log`` when given).  Rules are Python's urllib.robotparser's (first
    matching rule wins, no wildcards beyond its support).
    """

    def __init__(self, user_agent: str = DEFAULT_USER_AGENT, *, allow_private: bool = False,
                 timeout: float = 10.0, ttl: float = 24 * 3600, tries: int = 2,
                 backoff: float = 0.5, throttle: HostThrottle | None = None, log=None):
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.timeout = timeout
        self.ttl = ttl
        self.tries = tries
        self.backoff = backoff
        self.throttle = throttle
        self.log = log
        self.notes: list[str] = []
        self._cache: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(url: str) -> str:
        p = urlsplit(url)
        return f"{p.scheme.lower()}://{p.netloc.lower().rsplit('@', 1)[-1]}"

    def _parser(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        key = self._key(url)
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
        robots_url = key + "/robots.txt"
        parser: urllib.robotparser.RobotFileParser | None
        try:
            got = fetch(robots_url, allow_private=self.allow_private, timeout=self.timeout,
                        max_bytes=500_000, accept=None, user_agent=self.user_agent,
                        tries=self.tries, backoff=self.backoff, throttle=self.throttle)
            parser = urllib.robotparser.RobotFileParser(robots_url)
            parser.parse(got.text().splitlines())
        except FetchError as exc:
            parser = None
            if re.search(r"HTTP 4\d\d", exc.reason):
                pass  # no robots.txt: everything is allowed
            else:
                note = f"robots.txt unreachable, allowing all: {exc}"
                self.notes.append(note)
                if self.log:
                    self.log(note)
        with self._lock:
            self._cache[key] = (time.monotonic(), parser)
        return parser

    def allowed(self, url: str) -> bool:
        parser = self._parser(url)
        return True if parser is None else parser.can_fetch(self.user_agent, url)

    def check(self, url: str) -> None:
        """Raise FetchError if robots.txt disallows ``url`` for our user agent."""
        if not self.allowed(url):
            agent = self.user_agent.split("/", 1)[0]
            raise FetchError(url, f"disallowed by {self._key(url)}/robots.txt for user agent "
                                  f"{agent!r}")


# --- page -> Article -------------------------------------------------------------------------


_CANONICAL = re.compile(r"<link\b[^>]*>", re.I)
_OG_URL = re.compile(r"<meta\b[^>]*>", re.I)


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf"""\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", tag, re.I)
    if not m:
        return None
    return html_lib.unescape(next(g for g in m.groups() if g is not None)).strip()


def canonical_url(html: str, base: str) -> str:
    """<link rel=canonical>, else <meta property=og:url>, else ``base`` (http(s) only)."""
    head = html[:200_000]
    found = None
    for tag in _CANONICAL.findall(head):
        rel = (_attr(tag, "rel") or "").lower().split()
        if "canonical" in rel and _attr(tag, "href"):
            found = _attr(tag, "href")
            break
    if not found:
        for tag in _OG_URL.findall(head):
            if (_attr(tag, "property") or _attr(tag, "name") or "").lower() == "og:url":
                found = _attr(tag, "content")
                if found:
                    break
    if found:
        absolute = urljoin(base, found).split("#", 1)[0]
        if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
            return absolute
    return base


def page_date(html: str, url: str | None = None) -> str:
    """The page's publication date, or '' -- never an invented one.

    trafilatura's extract_metadata does NOT default to today (``date`` is None when nothing is
    found; today's date goes into ``filedate`` only). Only its strict search is used (metadata,
    URL, structured markup, time elements, date classes): the extensive one (its default)
    makes dates up for pages that have none -- '2021-01-01' from a footer's '(c) 2021', a
    '2020-06-01' from an image path '/uploads/2020/06/', another story's date from a link, a
    phone or reference number read as a date. What it loses: a date given only in running
    text ("Published on March 3, 2021").
    """
    import trafilatura

    meta = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    return normalise_date(meta.date if meta else None)


def page_article(fetched: Fetched) -> Article:
    """An Article from a fetched HTML page (id = canonical URL). Raises FetchError when the
    page has no article text."""
    import trafilatura

    html = fetched.text()
    final = fetched.url_final
    text = trafilatura.extract(html, url=final, include_comments=False, include_tables=False,
                               favor_recall=True) or ""
    if len(text.split()) < MIN_WORDS:  # nothing, or a stray menu word ("Home")
        raise FetchError(final, "no article text found")
    meta = trafilatura.extract_metadata(html, default_url=final, extensive=False)
    title = ((meta.title if meta else "") or "").strip()
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
        if len(text.split()) < MIN_WORDS:
            raise FetchError(final, "no article text found")
    canon = canonical_url(html, final)
    source = ((meta.sitename if meta else "") or "").strip()
    if not source:
        netloc = urlsplit(canon).hostname or ""
        source = netloc[4:] if netloc.startswith("www.") else netloc
    return Article(id=canon, text=text.strip(), title=title, date=page_date(html, final),
                   source=source, url=canon, origin=final,
                   extra={"fetched_url": final, "fetched_at": fetched.fetched_at or _now_iso()})


# --- options shared by every fetch of one run -------------------------------------------------


@dataclass(frozen=True)
class FetchOptions:
    """How pages and feeds are fetched (settings.fetch; see rag/config.py)."""

    allow_private: bool = False
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    tries: int = 3
    backoff: float = 0.5
    user_agent: str = DEFAULT_USER_AGENT
    host_delay: float = 1.0  # seconds between two requests to one host
    robots: bool = True  # respect robots.txt for the pages a feed points to
    workers: int = 4  # pages fetched at once (the host delay still spaces one host's)
    fetch_pages: bool = True  # False: a feed entry's own text, no page fetch

    @classmethod
    def from_settings(cls, settings, **overrides) -> FetchOptions:
        f = settings.fetch
        values = {"allow_private": f.allow_private, "timeout": f.timeout,
                  "max_bytes": int(f.max_mb * 1_000_000), "tries": f.tries,
                  "user_agent": f.user_agent, "host_delay": f.host_delay,
                  "robots": f.robots, "workers": f.workers, "fetch_pages": f.pages}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class Fetcher:
    """Fetches with one set of options, one per-host throttle and one robots.txt cache for
    every request it makes (a feed's pages, a watcher's polls)."""

    def __init__(self, options: FetchOptions | None = None, log=None):
        self.options = options or FetchOptions()
        o = self.options
        self.throttle = HostThrottle(o.host_delay)
        self.robots = Robots(o.user_agent, allow_private=o.allow_private, timeout=o.timeout,
                             tries=min(o.tries, 2), backoff=o.backoff, throttle=self.throttle,
                             log=log) if o.robots else None

    def get(self, url: str, *, accept: tuple[str, ...] | None = HTML_TYPES,
            etag: str | None = None, last_modified: str | None = None,
            check_robots: bool = False) -> Fetched:
        o = self.options
        return fetch(url, allow_private=o.allow_private, timeout=o.timeout,
                     max_bytes=o.max_bytes, accept=accept, etag=etag,
                     last_modified=last_modified, user_agent=o.user_agent, tries=o.tries,
                     backoff=o.backoff, throttle=self.throttle,
                     robots=self.robots if check_robots else None)

    def page(self, url: str) -> Article:
        """The article at ``url``, found by following a feed: robots.txt is respected (a URL
        a user names directly is fetched as a browser would, see UrlSource)."""
        return page_article(self.get(url, check_robots=True))
