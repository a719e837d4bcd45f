"""What a user names to `rag ingest`: a page URL, a feed URL, a feed file; into a real index
(real model, real Chroma), from the loopback server only."""

from __future__ import annotations

import pytest

from rag.sources import ReadLog, open_source, web
from rag.sources.urls import UrlSource

OPTIONS = web.FetchOptions(allow_private=True, tries=2, backoff=0.01, host_delay=0, timeout=2)


def read(specs, options=OPTIONS):
    log = ReadLog()
    return list(open_source(specs, options).articles(log)), log


def test_a_page_url_is_one_article(server):
    url = server.url("/redirect?to=/articles/page-a.html")
    arts, log = read([url])
    assert not log.failed
    (a,) = arts
    assert a.id == a.url == server.url("/articles/page-a.html")  # the canonical URL
    assert a.title == "Headline for page-a" and a.source == "Loopback News"
    assert a.date == "2022-06-13" and len(a.text.split()) > 100
    assert a.origin == server.url("/articles/page-a.html")


def test_a_feed_url_is_read_as_a_feed(server):
    arts, log = read([server.url("/feeds/rss.xml")])
    assert len(arts) == 4 and not log.failed
    assert sum(a.extra["fulltext"] for a in arts) == 3
    # the entry whose page is gone is read from the feed's own text, and the user is told
    assert len(log.warnings) == 1 and "1 entry read from the feed's own text" in log.warnings[0]
    assert "HTTP 404" in log.warnings[0]
    assert {a.origin for a in arts} == {server.url("/feeds/rss.xml")}


def test_feed_file_and_folder_and_url_in_one_run(server, tmp_path):
    from loopback import rss

    feed = tmp_path / "mine.rss"
    feed.write_text(rss("My feed", server.base, [
        {"title": "Local entry", "guid": "l1", "link": server.url("/articles/local-1.html")}]))
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("date 2022-06-01\nA short local note about the harbour.")
    arts, log = read([str(folder), str(feed), server.url("/articles/page-b.html")])
    assert not log.failed
    assert [a.title for a in arts] == ["A short local note about the harbour",
                                       "Headline for local-1", "Headline for page-b"]
    assert arts[1].id == f"{feed.resolve()}#l1" and arts[1].origin == str(feed.resolve())


@pytest.mark.parametrize("path, reason", [
    ("/loop/a", "redirect loop"),
    ("/big", "larger than"),
    ("/slow?delay=5", "timed out"),
    ("/500", "HTTP 500 after 2 tries"),
    ("/pdf", "unexpected content type application/pdf"),
    ("/feeds/bad.xml", "malformed feed"),
    ("/articles/empty.html", "no article text found"),
])
def test_bad_urls_fail_in_one_line_and_lose_nothing(server, path, reason):
    good = server.url("/articles/kept.html")
    arts, log = read([server.url(path), good], web.FetchOptions(
        allow_private=True, tries=2, backoff=0.01, host_delay=0, timeout=1,
        max_bytes=1_000_000))
    assert [a.id for a in arts] == [good]
    (failure,) = log.failed
    assert failure.path == server.url(path) and reason in failure.reason
    assert "\n" not in failure.reason


def test_private_addresses_refused_without_the_flag(server):
    arts, log = read([server.url("/articles/x.html"), "ftp://example.org/feed.xml",
                      "http://169.254.169.254/latest/meta-data/"], web.FetchOptions())
    assert arts == []
    reasons = [f.reason for f in log.failed]
    assert "loopback address 127.0.0.1" in reasons[0] and "--allow-private" in reasons[0]
    assert "only http and https" in reasons[1]
    assert "link-local address 169.254.169.254" in reasons[2]


def test_feed_sniffed_even_when_served_as_html(fresh_server):
    from rag.sources.urls import looks_like_feed

    got = web.Fetched(url_final="u", status=200, content=b'<?xml version="1.0"?>\n<!-- c -->'
                      b'<rss version="2.0"><channel></channel></rss>', content_type="text/html")
    assert looks_like_feed(got)
    page = web.Fetched(url_final="u", status=200, content=b"<!DOCTYPE html><html>",
                       content_type="text/html")
    assert not looks_like_feed(page)
    assert isinstance(open_source([fresh_server.url("/x")], OPTIONS), UrlSource)


# --- into a real index ------------------------------------------------------------------------


def test_ingest_url_then_again_is_unchanged_and_prune_keeps_web_articles(server, tmp_path):
    from rag import Assistant

    bot = Assistant(index_dir=tmp_path / "index", fetch_host_delay=0, fetch_tries=1)
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "one.txt").write_text("date 2022-06-01\nThe ferry to Ostmere sails hourly now.")
    urls = [server.url("/articles/idx-1.html"), server.url("/feeds/atom.xml")]
    refused = bot.ingest(urls)
    assert not refused.added and len(refused.failed) == 2
    assert all("loopback address" in f.reason for f in refused.failed)

    first = bot.ingest([*urls, folder], allow_private=True)
    assert len(first.added) == 1 + 3 + 1, first.failed
    # Fetched again, unchanged pages are unchanged (the fetch time is not content).
    again = bot.ingest(urls, allow_private=True)
    assert not again.added and not again.updated and len(again.skipped) == 4
    # --prune over the folder: web articles are never "gone" because a file is.
    (folder / "one.txt").unlink()
    pruned = bot.ingest([folder], prune=True)
    assert pruned.removed == ["one.txt"]
    assert bot.stats()["articles"] == 4
