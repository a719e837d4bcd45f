"""web.fetch safety, limits, retries, conditional GET, throttle, robots, page_article.

Every request goes to the loopback server (127.0.0.1) only; addresses such as 169.254.169.254
appear in tests that must be refused *before* any connection is made.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from rag.sources import web

FetchError = web.FetchError


def fast(**kw):
    """Options that keep failing tests quick."""
    return {"allow_private": True, "tries": kw.pop("tries", 2), "backoff": 0.01, **kw}


# --- address safety ---------------------------------------------------------------------------


def test_loopback_refused_without_allow_private(server):
    url = server.url("/articles/x.html")
    with pytest.raises(FetchError) as err:
        web.fetch(url)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(url + ": ")
    assert "loopback address 127.0.0.1" in msg and "--allow-private" in msg
    assert err.value.url == url


@pytest.mark.parametrize("url,reason", [
    ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
    ("http://10.1.2.3/", "private address 10.1.2.3"),
    ("http://192.168.0.1:8080/", "private address 192.168.0.1"),
    ("http://[::1]/", "loopback address ::1"),
    ("http://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1 (inside ::ffff:7f00:1)"),
    ("http://[::ffff:169.254.169.254]/", "link-local address 169.254.169.254"),
    ("http://[fe80::1]/", "link-local address fe80::1"),
    ("http://[fd00::1]/", "private address fd00::1"),
    ("http://0.0.0.0/", "unspecified address 0.0.0.0"),
    ("http://224.0.0.1/", "multicast address 224.0.0.1"),
    ("http://240.0.0.1/", "address 240.0.0.1"),
    ("http://100.64.0.1/", "address 100.64.0.1"),
    ("http://2130706433/", "loopback address 127.0.0.1"),  # 127.0.0.1 as one integer
    ("http://localhost/", "localhost resolves to a loopback address"),
])
def test_private_addresses_refused_before_connecting(url, reason):
    with pytest.raises(FetchError) as err:
        web.fetch(url, timeout=2)
    assert reason in str(err.value)
    assert "refused" in str(err.value)


def test_address_problem_public_and_embedded():
    assert web.address_problem(ipaddress.ip_address("93.184.216.34")) is None
    assert web.address_problem(ipaddress.ip_address("2606:4700::1111")) is None
    # 6to4 and NAT64 addresses that carry a private IPv4 address
    assert "private address 10.0.0.1" in web.address_problem(ipaddress.ip_address("2002:a00:1::"))
    assert "127.0.0.1" in web.address_problem(ipaddress.ip_address("64:ff9b::7f00:1"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/",
                                 "javascript:alert(1)", "data:text/html,hi", "//example.com/"])
def test_non_http_scheme_refused(url):
    with pytest.raises(FetchError) as err:
        web.fetch(url)
    assert "only http and https" in str(err.value)


def test_redirect_hop_to_private_address_is_checked(server, monkeypatch):
    """The first hop is let through (the loopback server plays a public site), the redirect to
    a link-local address is refused before connecting."""
    real = web.address_problem
    monkeypatch.setattr(web, "address_problem",
                        lambda ip: None if str(ip) == "127.0.0.1" else real(ip))
    url = server.url("/redirect?to=http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchError) as err:
        web.fetch(url, timeout=2)
    assert "link-local address 169.254.169.254" in str(err.value)
    assert str(err.value).startswith("http://169.254.169.254/")


def test_connects_to_the_checked_address_with_the_right_host_header(fresh_server, monkeypatch):
    """Pinning: the name is resolved once (by us) and the connection goes to that address,
    while the Host header still carries the name."""
    port = fresh_server.server.server_address[1]
    lookups = []

    def fake_resolve(host, port_, timeout):
        lookups.append(host)
        return ["127.0.0.1"]

    real_gai = socket.getaddrinfo

    def guarded_gai(host, *args, **kwargs):
        assert host != "news.example", "the name was looked up a second time"
        return real_gai(host, *args, **kwargs)

    monkeypatch.setattr(web, "_resolve", fake_resolve)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_gai)
    got = web.fetch(f"http://news.example:{port}/articles/pinned.html", allow_private=True)
    assert got.status == 200
    assert lookups == ["news.example"]
    assert fresh_server.hosts[-1] == f"news.example:{port}"


# --- limits -----------------------------------------------------------------------------------


def test_size_cap_streamed(server):
    t = time.monotonic()
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/big"), max_bytes=1_000_000, **fast())
    assert "larger than 1 MB" in str(err.value)
    assert time.monotonic() - t < 5


def test_size_cap_declared_length(server):
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/big-declared"), **fast())
    assert "larger than 5 MB" in str(err.value) and "Content-Length" in str(err.value)


def test_redirect_loop(server):
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/loop/a"), **fast())
    assert "redirect loop" in str(err.value)
    assert "/loop/a -> " in str(err.value)


def test_redirects_followed_and_limited(server):
    got = web.fetch(server.url("/chain/5"), **fast())
    assert got.url_final.endswith("/chain/0")
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/chain/6"), **fast())
    assert "too many redirects (more than 5)" in str(err.value)


def test_read_timeout_retried_then_error(fresh_server):
    t = time.monotonic()
    with pytest.raises(FetchError) as err:
        web.fetch(fresh_server.url("/slow?delay=2"), timeout=0.3, **fast(tries=2))
    elapsed = time.monotonic() - t
    assert "timed out" in str(err.value) and "after 2 tries" in str(err.value)
    assert elapsed < 1.8
    assert fresh_server.hits["/slow"] == 2


def test_overall_deadline_stops_a_trickling_server(server):
    t = time.monotonic()
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/trickle"), timeout=1.0, deadline=1.5, **fast())
    assert "overall deadline" in str(err.value)
    assert time.monotonic() - t < 3


def test_content_type_checked(server):
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/pdf"), **fast())
    assert "unexpected content type application/pdf" in str(err.value)
    assert web.fetch(server.url("/pdf"), accept=("application/pdf",), **fast()).content


def test_5xx_retried_4xx_not(fresh_server):
    with pytest.raises(FetchError) as err:
        web.fetch(fresh_server.url("/500"), **fast(tries=3))
    assert str(err.value).endswith("HTTP 500 after 3 tries")
    assert fresh_server.hits["/500"] == 3
    with pytest.raises(FetchError) as err:
        web.fetch(fresh_server.url("/missing.html"), **fast(tries=3))
    assert "HTTP 404" in str(err.value)
    assert fresh_server.hits["/missing.html"] == 1


def test_conditional_get(server):
    first = web.fetch(server.url("/feeds/rss.xml"), accept=None, **fast())
    assert first.etag and first.last_modified and first.content
    again = web.fetch(server.url("/feeds/rss.xml"), accept=None, etag=first.etag, **fast())
    assert again.not_modified and again.status == 304 and again.content == b""
    changed = web.fetch(server.url("/feeds/rss.xml"), accept=None, etag='"other"', **fast())
    assert not changed.not_modified and changed.content == first.content


def test_charset_declared_and_meta(server):
    got = web.fetch(server.url("/latin1"), **fast())
    assert got.charset == "iso-8859-1"
    assert "Caf\u00e9 cr\u00e8me" in got.text()
    got = web.fetch(server.url("/meta-charset"), **fast())
    assert got.charset is None
    assert "Na\u00efve r\u00e9sum\u00e9" in got.text()


# --- throttle ---------------------------------------------------------------------------------


def test_host_throttle_spaces_requests_per_host():
    th = web.HostThrottle(0.15)
    t = time.monotonic()
    th.wait("a.example")
    th.wait("b.example")  # another host: no wait
    assert time.monotonic() - t < 0.1
    th.wait("a.example")
    th.wait("A.EXAMPLE")
    assert time.monotonic() - t >= 0.29


def test_host_throttle_thread_safe():
    th = web.HostThrottle(0.05)
    starts = []
    lock = threading.Lock()

    def worker():
        for _ in range(3):
            th.wait("h")
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 12
    # 12 slots 0.05 s apart (the times are taken after each wait, so allow a little jitter)
    assert starts[-1] - starts[0] >= 11 * 0.05 - 0.03


# --- robots.txt -------------------------------------------------------------------------------


def test_robots_disallowed_path_refused(server):
    robots = web.Robots(allow_private=True)
    with pytest.raises(FetchError) as err:
        web.fetch(server.url("/private/secret.html"), robots=robots, **fast())
    assert "disallowed by" in str(err.value) and "robots.txt" in str(err.value)
    assert "'newsrag'" in str(err.value)
    assert web.fetch(server.url("/articles/ok.html"), robots=robots, **fast()).status == 200


def test_robots_cached(fresh_server):
    robots = web.Robots(allow_private=True)
    for _ in range(3):
        robots.allowed(fresh_server.url("/articles/a.html"))
    assert fresh_server.hits["/robots.txt"] == 1


def test_robots_missing_allows_all(fresh_server):
    fresh_server.robots = False
    robots = web.Robots(allow_private=True)
    assert robots.allowed(fresh_server.url("/private/secret.html"))
    assert robots.notes == []


def test_robots_unreachable_allows_all_but_noted():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    notes = []
    robots = web.Robots(allow_private=True, timeout=1, tries=1, log=notes.append)
    assert robots.allowed(f"http://127.0.0.1:{port}/x.html")
    assert robots.notes and "robots.txt unreachable" in robots.notes[0] and notes


# --- page_article -----------------------------------------------------------------------------


def test_page_article(server):
    got = web.fetch(server.url("/redirect?to=/articles/story-7.html"), **fast())
    art = web.page_article(got)
    assert art.id == art.url == server.url("/articles/story-7.html")  # canonical
    assert art.title == "Headline for story-7"
    assert art.date == "2022-06-13"
    assert art.source == "Loopback News"
    assert len(art.text.split()) > 100 and "Home" not in art.text.split()[:3]
    assert art.extra["fetched_url"] == got.url_final
    assert art.extra["fetched_at"].startswith("20")


def test_page_without_date_gets_no_invented_date(server):
    # The page has no date at all but a "(c) 2021" footer, which trafilatura's extensive
    # search would turn into 2021-01-01; and extract_metadata must not default to today.
    art = web.page_article(web.fetch(server.url("/articles/nodate.html"), **fast()))
    assert art.date == ""


def test_page_without_text(server):
    with pytest.raises(FetchError) as err:
        web.page_article(web.fetch(server.url("/articles/empty.html"), **fast()))
    assert "no article text found" in str(err.value)


def test_canonical_url_variants():
    base = "https://site.example/a?utm=1"
    assert web.canonical_url('<link href="/b" rel="canonical">', base) == \
        "https://site.example/b"
    assert web.canonical_url('<meta property="og:url" content="https://site.example/c">',
                             base) == "https://site.example/c"
    assert web.canonical_url('<link rel="canonical" href="javascript:x">', base) == base
    assert web.canonical_url("<p>nothing</p>", base) == base
