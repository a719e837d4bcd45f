"""A loopback-only HTTP server for the tests and the benchmark (127.0.0.1, port 0).

Routes (all bounded in time; nothing here talks to any other address):
  /feeds/rss.xml, /feeds/atom.xml      RSS 2.0 and Atom feeds of the /articles/ pages
  /feeds/bad.xml                        a malformed feed
  /feeds/updating.xml                   an RSS feed whose entry u2 changes when .version bumps
  /feeds/500.xml                        always HTTP 500
  /feeds/slowfeed.xml?delay=S           a feed answered after S seconds
  /gen/feed/<i>.xml?n=N&copies=C        generated feed i with N entries -> /gen/article/<i>/<j>;
                                        with C, its first C entries are other sites' copies of
                                        feed 0's first C stories (/gen/copy/<i>/<j>)
  /feeds/news.xml, /news/<slug>.html    a feed of the pages in ``news`` (slug -> title, date,
                                        site, text), titled ``news_title``
  /articles/<slug>.html                 an article page (title, date, canonical link)
  /articles/nodate.html                 an article page without any date
  /articles/empty.html                  a page with no article text
  /private/<slug>.html                  disallowed by /robots.txt
  /missing.html                         404
  /500                                  always 500
  /slow?delay=S                         answers after S seconds (at most 10)
  /trickle                              sends its body one byte every 0.2 s (for 8 s at most)
  /loop/a <-> /loop/b                   a redirect loop
  /redirect?to=URL                      one redirect
  /big                                  a 50 MB page streamed in 64 KB chunks, no Content-Length
  /big-declared                         the same with a Content-Length header
  /chain/<n>                            n redirects, then a page
  /latin1, /meta-charset                cp1252 pages: charset in the header / in a <meta>
  /pdf                                  an application/pdf body
Every feed route sends an ETag and honours If-None-Match with a 304.
``hits`` counts requests per path.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WORDS = ("market council harbour minister rainfall export tariff grain steel ministry "
         "parliament shipping union budget province railway festival orchestra museum "
         "factory satellite vaccine clinic river bridge election court airline bank "
         "quarter profit estimate forecast report senate treaty summit coast storm").split()


def paragraph(seed: str, n_words: int = 60) -> str:
    h = hashlib.sha256(seed.encode()).digest()
    words = []
    while len(words) < n_words:
        for b in h:
            words.append(WORDS[b % len(WORDS)])
        h = hashlib.sha256(h).digest()
    words = words[:n_words]
    return (" ".join(words)).capitalize() + "."


def article_html(slug: str, title: str, date: str | None = "2022-06-13", base: str = "",
                 paragraphs: int = 5, version: int = 0) -> str:
    date_meta = (f'<meta property="article:published_time" content="{date}T09:00:00Z">'
                 if date else "")
    body = "\n".join(f"<p>{paragraph(f'{slug}-{i}-{version}')}</p>" for i in range(paragraphs))
    canonical = f'<link rel="canonical" href="{base}/articles/{slug}.html">' if base else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} | Loopback News</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Loopback News">
{date_meta}{canonical}
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>&copy; 2021 Loopback News. All rights reserved.</footer>
</body></html>"""


def rss(title: str, base: str, items: list[dict]) -> str:
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
             f"<title>{title}</title><link>{base}/</link><description>d</description>"]
    for it in items:
        upd = f"<atom:updated xmlns:atom=\"http://www.w3.org/2005/Atom\">{it['updated']}" \
              f"</atom:updated>" if it.get("updated") else ""
        desc = it.get("description", "")
        parts.append(
            f"<item><title>{it['title']}</title><link>{it['link']}</link>"
            f"<guid isPermaLink=\"false\">{it['guid']}</guid>"
            f"<pubDate>{it.get('pubDate', 'Mon, 13 Jun 2022 10:00:00 GMT')}</pubDate>{upd}"
            f"<author>desk@example.com (News Desk)</author>"
            f"<description><![CDATA[{desc}]]></description></item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def atom(title: str, base: str, items: list[dict]) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
             f"<title>{title}</title><link href=\"{base}/\"/><id>urn:loopback:atom</id>"
             "<updated>2022-06-14T08:00:00Z</updated>"]
    for it in items:
        parts.append(
            f"<entry><title>{it['title']}</title><link href=\"{it['link']}\"/>"
            f"<id>{it['guid']}</id><published>2022-06-14T08:00:00Z</published>"
            f"<updated>{it.get('updated', '2022-06-14T08:00:00Z')}</updated>"
            f"<author><name>Atom Writer</name></author>"
            f"<content type=\"html\">{it.get('content', '')}</content></entry>")
    parts.append("</feed>")
    return "".join(parts)


class Loopback:
    def __init__(self) -> None:
        self.hits: Counter = Counter()
        self.version = 0  # bumps /feeds/updating.xml's entry u2
        self.page_delay = 0.0  # seconds before each /articles/ or /gen/article/ page
        self.robots = True  # False: /robots.txt is a 404
        self.hosts: list[str] = []  # the Host header of every request
        self.news: dict[str, dict] = {}  # slug -> {"title", "date", "site", "text"}
        self.news_title = "Loopback News Wire"
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                try:
                    outer._route(self)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(v for k, v in self.hits.items() if k.startswith(prefix))

    # -- responses -----------------------------------------------------------------------------

    @staticmethod
    def _send(h, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict | None = None) -> None:
        h.send_response(status)
        if status != 304:
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if body and status != 304:
            h.wfile.write(body)

    def _feed(self, h, body: str, ctype: str = "application/rss+xml; charset=utf-8") -> None:
        data = body.encode("utf-8")
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == etag:
            self._send(h, 304, headers={"ETag": etag})
            return
        self._send(h, 200, data, ctype, {"ETag": etag,
                                         "Last-Modified": formatdate(1655200000, usegmt=True)})

    def _items(self, path_prefix: str, n: int) -> list[dict]:
        return [{"title": f"Story {i} &amp; more", "guid": f"rss-{i}",
                 "link": f"{self.base}/articles/story-{i}.html",
                 "description": f"<p>Summary of story {i}.</p>"} for i in range(n)]

    def _route(self, h) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.hits[path] += 1
            self.hosts.append(h.headers.get("Host", ""))
        b = self.base
        if path == "/robots.txt" and not self.robots:
            self._send(h, 404, b"no robots here", "text/plain")
        elif path == "/robots.txt":
            self._send(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path == "/feeds/rss.xml":
            items = self._items("/articles/", 3)
            items.append({"title": "Gone story", "guid": "rss-gone",
                          "link": f"{b}/missing.html",
                          "description": "<p>The <b>feed's own</b> text of the gone story.</p>"})
            self._feed(h, rss("Loopback RSS", b, items))
        elif path == "/feeds/atom.xml":
            items = [{"title": f"Atom story {i}", "guid": f"urn:loopback:atom:{i}",
                      "link": f"{b}/articles/atom-{i}.html",
                      "content": f"&lt;p&gt;Atom content {i}&lt;/p&gt;"} for i in range(2)]
            items.append({"title": "Private story", "guid": "urn:loopback:atom:private",
                          "link": f"{b}/private/secret.html",
                          "content": "&lt;p&gt;Atom content of the private story.&lt;/p&gt;"})
            self._feed(h, atom("Loopback Atom", b, items), "application/atom+xml")
        elif path == "/feeds/bad.xml":
            self._send(h, 200, b'<?xml version="1.0"?><rss version="2.0"><channel><title>x'
                                b"</title><item><title>broken", "application/rss+xml")
        elif path == "/feeds/updating.xml":
            v = self.version
            items = [{"title": "Steady story", "guid": "u1", "link": f"{b}/articles/u1.html",
                      "updated": "2022-06-13T10:00:00Z"},
                     {"title": f"Developing story (rev {v})", "guid": "u2",
                      "link": f"{b}/articles/u2.html?v={v}",
                      "updated": f"2022-06-13T1{v}:30:00Z"}]
            self._feed(h, rss("Loopback Updating", b, items))
        elif path == "/feeds/500.xml" or path == "/500":
            self._send(h, 500, b"boom", "text/plain")
        elif path == "/feeds/slowfeed.xml":
            time.sleep(min(float(q.get("delay", "1")), 10))
            self._feed(h, rss("Slow", b, self._items("/articles/", 2)))
        elif path.startswith("/gen/feed/"):
            i = int(path.rsplit("/", 1)[1].split(".")[0])
            n = int(q.get("n", "50"))
            copies = int(q.get("copies", "0")) if i else 0
            items = [{"title": f"Feed {i} story {j}", "guid": f"gen-{i}-{j}",
                      "link": f"{b}/gen/{'copy' if j < copies else 'article'}/{i}/{j}.html",
                      "description": f"Summary {i}-{j}"} for j in range(n)]
            self._feed(h, rss(f"Generated feed {i}", b, items))
        elif path.startswith("/gen/copy/"):
            if self.page_delay:
                time.sleep(self.page_delay)
            i, j = path[len("/gen/copy/"):].removesuffix(".html").split("/")
            page = article_html(f"gen-0-{j}", f"Site {i} runs story {j}", base="")
            # feed 0's story j as site i republishes it: the same paragraphs, one more line
            page = page.replace("</article>", f"<p>Republished by site {i} of the loopback "
                                              "network with permission.</p></article>")
            self._send(h, 200, page.encode())
        elif path == "/feeds/news.xml":
            items = [{"title": html.escape(n["title"]), "guid": f"{b}/news/{slug}.html",
                      "link": f"{b}/news/{slug}.html", "description": "A summary."}
                     for slug, n in self.news.items()]
            self._feed(h, rss(html.escape(self.news_title), b, items))
        elif path.startswith("/news/") and path.removeprefix("/news/").removesuffix(".html") \
                in self.news:
            n = self.news[path.removeprefix("/news/").removesuffix(".html")]
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in n["text"].split("\n\n"))
            self._send(h, 200, (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
                f'{html.escape(n["title"])}</title><meta property="og:site_name" content="'
                f'{html.escape(n["site"])}"><meta property="article:published_time" content="'
                f'{n["date"]}T08:00:00Z"></head><body><nav><a href="/">Home</a></nav><article>'
                f'<h1>{html.escape(n["title"])}</h1>{paras}</article></body></html>').encode())
        elif path.startswith("/gen/article/"):
            if self.page_delay:
                time.sleep(self.page_delay)
            slug = path[len("/gen/article/"):].replace("/", "-").removesuffix(".html")
            self._send(h, 200, article_html(f"gen-{slug}", f"Generated {slug}",
                                            base="").encode())
        elif path == "/articles/nodate.html":
            self._send(h, 200, article_html("nodate", "A story without a date", date=None,
                                            base=b).encode())
        elif path == "/articles/empty.html":
            self._send(h, 200, b"<html><head><title>Empty</title></head><body><nav>Home</nav>"
                                b"</body></html>")
        elif path.startswith("/articles/") or path.startswith("/private/"):
            if self.page_delay:
                time.sleep(self.page_delay)
            slug = path.rsplit("/", 1)[1].removesuffix(".html")
            version = int(q.get("v", "0"))
            title = f"Headline for {slug}" + (f" (rev {version})" if version else "")
            self._send(h, 200, article_html(slug, title, base=b, version=version).encode())
        elif path == "/slow":
            time.sleep(min(float(q.get("delay", "3")), 10))
            self._send(h, 200, article_html("slow", "Slow page").encode())
        elif path == "/trickle":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            end = time.monotonic() + 8
            while time.monotonic() < end:
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        elif path == "/loop/a":
            self._send(h, 302, headers={"Location": "/loop/b"})
        elif path == "/loop/b":
            self._send(h, 302, headers={"Location": f"{b}/loop/a"})
        elif path == "/redirect":
            self._send(h, 301, headers={"Location": q.get("to", "/")})
        elif path in ("/big", "/big-declared"):
            total = 50 * 1024 * 1024
            chunk = b"<p>" + b"a" * (64 * 1024 - 7) + b"</p>\n"
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            if path == "/big-declared":
                h.send_header("Content-Length", str(total))
            h.end_headers()
            sent = 0
            while sent < total:  # lazily: one 64 KB chunk at a time, never 50 MB in memory
                h.wfile.write(chunk)
                sent += len(chunk)
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n > 0:
                self._send(h, 302, headers={"Location": f"/chain/{n - 1}"})
            else:
                self._send(h, 200, article_html("chain", "End of the chain", base=b).encode())
        elif path == "/latin1":
            body = article_html("latin1", "Caf\u00e9 cr\u00e8me prices", base=b)
            body = body.replace('<meta charset="utf-8">', "")
            self._send(h, 200, body.encode("cp1252"), "text/html; charset=iso-8859-1")
        elif path == "/meta-charset":
            body = article_html("metacs", "Na\u00efve r\u00e9sum\u00e9 headline", base=b)
            body = body.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
            self._send(h, 200, body.encode("cp1252"), "text/html")
        elif path == "/pdf":
            self._send(h, 200, b"%PDF-1.4 ...", "application/pdf")
        else:
            self._send(h, 404, b"not found", "text/plain")
