"""feeds: RSS 0.91/1.0/2.0 and Atom parsing, malformed feeds, articles with fallback, ids."""

from __future__ import annotations

import pytest

from rag.sources import feeds, web

RSS091 = b"""<?xml version="1.0"?>
<rss version="0.91"><channel><title>Old RSS</title><link>https://old.example/</link>
<description>d</description><language>en</language>
<item><title>Ninety-one</title><link>https://old.example/91</link>
<description>An &lt;i&gt;old&lt;/i&gt; item.</description></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF feed</title><link>https://rdf.example/</link>
<description>d</description><items><rdf:Seq><rdf:li resource="https://rdf.example/1"/></rdf:Seq>
</items></channel>
<item rdf:about="https://rdf.example/1"><title>RDF item</title><link>https://rdf.example/1</link>
<description>Text of the RDF item.</description><dc:date>2022-06-10T12:00:00Z</dc:date>
<dc:creator>R. Writer</dc:creator></item>
</rdf:RDF>"""


FETCHER = web.Fetcher(web.FetchOptions(allow_private=True, tries=1, backoff=0.01,
                                       host_delay=0))


def test_rss2(server):
    feed = feeds.read_feed_source(server.url("/feeds/rss.xml"), FETCHER)
    assert feed.title == "Loopback RSS" and feed.version == "rss20"
    assert [e.id for e in feed.entries] == ["rss-0", "rss-1", "rss-2", "rss-gone"]
    e = feed.entries[0]
    assert e.title == "Story 0 & more"
    assert e.link == server.url("/articles/story-0.html")
    assert e.published == "2022-06-13"
    assert e.updated == ""  # RSS pubDate is not copied into updated
    assert e.summary == "Summary of story 0."
    assert e.author.startswith("desk@example.com")
    assert e.updated_key.startswith("h:")  # no <updated>: a hash of title + text


def test_atom(server):
    feed = feeds.read_feed_source(server.url("/feeds/atom.xml"), FETCHER)
    assert feed.title == "Loopback Atom" and feed.version == "atom10"
    e = feed.entries[0]
    assert e.id == "urn:loopback:atom:0"
    assert e.content == "Atom content 0"  # HTML stripped
    assert e.author == "Atom Writer"
    assert e.published == "2022-06-14" and e.updated == "2022-06-14"
    assert e.updated_key == "u:2022-06-14T08:00:00Z"


def test_rss091_and_rss10():
    old = feeds.parse_feed(RSS091, "https://old.example/feed")
    assert old.version == "rss091u" or old.version.startswith("rss09")
    assert old.entries[0].id == "https://old.example/91"  # no guid: the link
    assert old.entries[0].summary == "An old item."
    rdf = feeds.parse_feed(RSS10, "https://rdf.example/feed")
    assert rdf.version == "rss10"
    e = rdf.entries[0]
    assert e.title == "RDF item" and e.author == "R. Writer" and e.updated == "2022-06-10"


def test_updated_key_changes_with_content():
    a = feeds.parse_feed(RSS091, "u").entries[0].updated_key
    b = feeds.parse_feed(RSS091.replace(b"An &lt;i&gt;old", b"A new"), "u").entries[0].updated_key
    assert a != b


def test_malformed_feed(server):
    with pytest.raises(feeds.FeedError) as err:
        feeds.read_feed_source(server.url("/feeds/bad.xml"), FETCHER)
    assert "malformed feed" in str(err.value)
    assert str(err.value).startswith(server.url("/feeds/bad.xml"))


def test_not_a_feed():
    with pytest.raises(feeds.FeedError) as err:
        feeds.parse_feed(b"<html><body><p>hello</p></body></html>", "x.xml")
    assert "not an RSS or Atom feed" in str(err.value)


def test_parse_feed_refuses_str():
    # feedparser would fetch a str that looks like a URL by itself, outside our rules
    with pytest.raises(TypeError):
        feeds.parse_feed("http://127.0.0.1/feed.xml", "x")


def test_feed_articles_full_text_and_fallback(server):
    url = server.url("/feeds/rss.xml")
    feed = feeds.read_feed_source(url, FETCHER)
    out = feeds.entry_articles(feed, feed.entries, FETCHER.page, url, workers=2)
    assert len(out) == 4
    full, reason = out[0]
    assert reason is None
    assert full.id == f"{url}#rss-0"  # a guid that is no URI is kept under its feed's URL
    assert full.title == "Headline for story-0"  # from the page
    assert full.date == "2022-06-13"  # from the entry
    assert full.source == "Loopback News"
    assert full.extra["fulltext"] is True and full.extra["feed_title"] == "Loopback RSS"
    assert full.extra["feed_url"] == url and full.extra["entry_id"] == "rss-0"
    assert full.extra["author"].startswith("desk@")
    assert "fetched_at" in full.extra and len(full.text.split()) > 100
    gone, reason = out[3]
    assert "HTTP 404" in reason
    assert gone.extra["fulltext"] is False and "HTTP 404" in gone.extra["fallback_reason"]
    assert gone.text == "The feed's own text of the gone story."
    assert gone.title == "Gone story" and gone.source == "Loopback RSS"


def test_robots_disallowed_page_falls_back(server):
    url = server.url("/feeds/atom.xml")
    feed = feeds.read_feed_source(url, FETCHER)
    by_id = {a.id: (a, r) for a, r in feeds.entry_articles(feed, feed.entries, FETCHER.page,
                                                           url)}
    art, reason = by_id["urn:loopback:atom:private"]
    assert "robots.txt" in reason
    assert art.text == "Atom content of the private story." and not art.extra["fulltext"]


def test_read_feed_source_file(tmp_path):
    p = tmp_path / "old.rss"
    p.write_bytes(RSS091)
    assert feeds.read_feed_source(p, FETCHER).entries[0].title == "Ninety-one"
    q = tmp_path / "feed.txt"
    q.write_bytes(RSS091)
    with pytest.raises(feeds.FeedError):
        feeds.read_feed_source(q, FETCHER)
    with pytest.raises(feeds.FeedError):
        feeds.read_feed_source("ftp://example.com/feed.xml", FETCHER)


def test_article_ids_never_collide_across_feeds():
    # A URI id (a link, urn:, tag:) is the article's own: one article in two feeds is one.
    assert feeds.article_id("https://a.example/rss", "https://a.example/story/1") == \
        "https://a.example/story/1"
    assert feeds.article_id("https://a.example/rss", "tag:a.example,2022:1") == \
        "tag:a.example,2022:1"
    # Entries numbered "1", "2"... in two feeds stay apart.
    one = feeds.article_id("https://a.example/rss", "1")
    other = feeds.article_id("https://b.example/atom", "1")
    assert one != other and one == "https://a.example/rss#1"
    assert feeds.article_id("/feeds/x.xml", "C:thing") == "/feeds/x.xml#C:thing"


def test_html_to_text():
    assert feeds.html_to_text("<p>One <b>two</b></p><p>Three&amp;four</p><script>x</script>") \
        == "One two\n\nThree&four"
