"""Reading articles: formats, metadata, and bad files that must not stop the others."""

from __future__ import annotations

import json

from conftest import CORPUS, SEED_ID

from rag.sources import read_paths


def test_seed_article_has_date_dateline_and_title():
    articles, log = read_paths([CORPUS])
    assert not log.failed
    [article] = [a for a in articles if a.id == SEED_ID]
    assert article.date == "2012-06-21"
    assert article.extra["dateline"] == "COPENHAGEN"
    assert article.text.startswith("The European Union and the United States")
    assert article.title.startswith("The European Union and the United States plan")


def test_an_untitled_article_is_titled_by_its_whole_first_sentence(tmp_path):
    # the segmenter's first sentence: a title was cut at "Dr." ("First lady Dr") and "Gov."
    (tmp_path / "a.txt").write_text(
        "New York CNN \u2014\n\nFirst lady Dr. Jill Biden has tested positive for a rebound "
        "case of Covid-19. She has no symptoms.\n")
    (tmp_path / "b.jsonl").write_text(json.dumps(
        {"id": "b", "text": "Texas Gov. Greg Abbott signed the bill on Monday in the U.S. "
                            "capital of Texas. It takes effect in May."}) + "\n")
    (tmp_path / "c.txt").write_text("Prices rose 3% in the U.S.\n\nOfficials said so.\n")
    articles, log = read_paths([tmp_path])
    assert not log.failed
    titles = {a.id: a.title for a in articles}
    assert titles["a.txt"] == ("First lady Dr. Jill Biden has tested positive for a rebound "
                               "case of Covid-19")
    assert titles["b"] == "Texas Gov. Greg Abbott signed the bill on Monday in the U.S. capital " \
                          "of Texas"
    assert titles["c.txt"] == "Prices rose 3% in the U.S."  # an abbreviation keeps its stop


def test_markdown_front_matter_and_heading(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: Port strike ends\ndate: 2024-03-05\nsource: Example Wire\n"
        "url: https://example.org/a\nauthor: Jo\n---\n\nDock workers went back to work.\n")
    (tmp_path / "b.md").write_text("# Floods in the valley\n\nRivers rose overnight.\n")
    articles, _log = read_paths([tmp_path])
    by_id = {a.id: a for a in articles}
    a, b = by_id["a.md"], by_id["b.md"]
    assert (a.title, a.date, a.source, a.url) == ("Port strike ends", "2024-03-05",
                                                  "Example Wire", "https://example.org/a")
    assert a.extra["author"] == "Jo"
    assert b.title == "Floods in the valley" and b.text == "Rivers rose overnight."


def test_html_extracts_article_and_drops_scripts_and_navigation(tmp_path):
    html = """<html><head><title>Bridge reopens after repairs</title>
    <script>var tracking = "SHOULD-NOT-APPEAR";</script></head><body>
    <nav><a href="/">Home</a> <a href="/world">World NAVLINK</a></nav>
    <article><h1>Bridge reopens after repairs</h1>
    <p>The city's main bridge reopened on Monday after eight months of repairs costing
    42 million dollars, officials said.</p>
    <p>Traffic was expected to return to normal levels by the end of the week, the transport
    department said in a statement on its website.</p></article>
    <footer>Copyright FOOTERTEXT</footer></body></html>"""
    (tmp_path / "bridge.html").write_text(html)
    [article], _log = read_paths([tmp_path / "bridge.html"])
    assert article.title == "Bridge reopens after repairs"
    assert "42 million dollars" in article.text
    assert "SHOULD-NOT-APPEAR" not in article.text
    assert "NAVLINK" not in article.text
    assert article.date == ""  # nothing says when: no date is made up


def test_html_date_never_made_up_from_a_copyright_footer(tmp_path):
    body = ("<p>The harbour board approved a second ferry for the Ostmere route on Tuesday, "
            "its chairwoman said after the vote in the town hall.</p>")
    page = f"<html><head><title>Ferry</title></head><body><article>{body}</article>"
    (tmp_path / "footer.html").write_text(page + "<footer>&copy; 2021 Herald</footer></body>"
                                          "</html>")
    (tmp_path / "dated.html").write_text(page.replace(
        "<head>", '<head><meta property="article:published_time" content="2022-06-14T08:00">')
        + "</body></html>")
    articles, _log = read_paths([tmp_path])
    dates = {a.id: a.date for a in articles}
    assert dates == {"dated.html": "2022-06-14", "footer.html": ""}


def test_jsonl_schema_and_malformed_lines(tmp_path):
    lines = [
        json.dumps({"id": "x1", "text": "First story text.", "title": "One",
                    "date": "1987-02-26T15:10:44", "source": "Reuters", "topics": ["grain"]}),
        "{not json",
        json.dumps({"id": "x2", "title": "no text"}),
        json.dumps({"id": "x3", "text": "Third story text."}),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    articles, log = read_paths([tmp_path / "a.jsonl"])
    assert [a.id for a in articles] == ["x1", "x3"]
    assert articles[0].date == "1987-02-26"
    assert articles[0].extra == {"topics": ["grain"]}
    reasons = {f.path.rsplit(":", 1)[1]: f.reason for f in log.failed}
    assert reasons["2"].startswith("malformed JSON")
    assert "missing or empty 'text'" in reasons["3"]


def test_binary_non_utf8_missing_and_unsupported(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (tmp_path / "latin.txt").write_bytes(
        "Caf\u00e9 owners in Z\u00fcrich said prices r\u00f6se again.".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("A perfectly normal article about the harbour.")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    articles, log = read_paths([tmp_path, tmp_path / "missing.txt", tmp_path / "notes.docx"])
    failed = {f.path.rsplit("/", 1)[-1]: f.reason for f in log.failed}
    assert "binary file" in failed["bin.txt"]
    assert failed["missing.txt"] == "no such file or folder"
    assert "unsupported file type '.docx'" in failed["notes.docx"]
    by_id = {a.id: a for a in articles}
    assert "Z\u00fcrich" in by_id["latin.txt"].text  # decoded, not lost
    assert any("latin.txt" in w and "not valid UTF-8" in w for w in log.warnings)
    assert "ok.txt" in by_id


# --- encodings -------------------------------------------------------------------------------

GENEVA = "Les ministres se sont réunis à Genève, où le président a dit « non » à l'accord."


def test_utf16_and_utf32_with_a_bom_are_read(tmp_path):
    for name, encoding in (("le16.txt", "utf-16-le"), ("be16.txt", "utf-16-be"),
                           ("le32.txt", "utf-32-le")):
        bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
               "utf-32-le": b"\xff\xfe\x00\x00"}[encoding]
        (tmp_path / name).write_bytes(bom + GENEVA.encode(encoding))
    lines = [json.dumps({"id": f"u{i}", "text": GENEVA}, ensure_ascii=False) for i in (1, 2)]
    (tmp_path / "feed.jsonl").write_bytes("\n".join(lines).encode("utf-16"))  # BOM included
    articles, log = read_paths([tmp_path])
    assert not log.failed and not log.warnings
    assert sorted(a.id for a in articles) == ["be16.txt", "le16.txt", "le32.txt", "u1", "u2"]
    assert all(a.text == GENEVA for a in articles)


def test_latin1_is_read_as_western_not_central_european(tmp_path):
    (tmp_path / "geneve.txt").write_bytes(GENEVA.encode("latin-1"))
    (tmp_path / "cp1252.txt").write_bytes("“Prices rose 5 €”, she said – again…".encode("cp1252"))
    (tmp_path / "lines.jsonl").write_bytes(
        b'{"id": "j1", "text": "' + "à Genève".encode("latin-1") + b'"}\n')
    # Text that is not Western European still goes to the detector's best guess.
    (tmp_path / "russian.txt").write_bytes(
        "Министр финансов заявил во вторник, что цены на нефть выросли.".encode("cp1251"))
    articles, log = read_paths([tmp_path])
    by_id = {a.id: a.text for a in articles}
    assert by_id["geneve.txt"] == GENEVA  # not "ŕ Genčve"
    assert by_id["cp1252.txt"] == "“Prices rose 5 €”, she said – again…"
    assert by_id["j1"] == "à Genève"
    assert by_id["russian.txt"].startswith("Министр финансов")
    assert any("geneve.txt" in w and "read as cp1252" in w for w in log.warnings)


# --- dates -----------------------------------------------------------------------------------


def test_unreal_article_dates_are_dropped_with_a_warning_and_the_article_kept(tmp_path):
    (tmp_path / "bad.txt").write_text("date: 2012-13-45\nThe council met on Monday.")
    (tmp_path / "vague.md").write_text("---\ntitle: Vague\ndate: yesterday\n---\nRain fell.\n")
    (tmp_path / "good.txt").write_text("date: 2012-06-21\nThe council met again.")
    (tmp_path / "a.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "text": "Tea prices rose.", "date": d})
                  for i, d in (("j1", "2012-13-45"), ("j2", "2020-01-02"), ("j3", "yesterday")))
        + "\n")
    articles, log = read_paths([tmp_path])
    dates = {a.id: a.date for a in articles}
    assert dates == {"bad.txt": "", "vague.md": "", "good.txt": "2012-06-21", "j1": "",
                     "j2": "2020-01-02", "j3": ""}
    assert not log.failed
    warned = "\n".join(log.warnings)
    assert "bad.txt: date dropped, the article is kept without one: '2012-13-45' is not a " \
           "real date" in warned
    assert "vague.md: date dropped" in warned and "'yesterday'" in warned
    assert "a.jsonl: 2 date(s) dropped, their articles kept without one (first: line 1: " \
           "'2012-13-45'" in warned
    assert "good.txt" not in warned


def test_html_page_without_a_date_gets_none(tmp_path):
    body = ("<p>The harbour board approved a second ferry for the Ostmere route on Tuesday, "
            "its chairwoman said after the vote in the town hall.</p>")
    undated = {  # what the extensive date search turned into made-up dates
        "image.html": '<img src="/uploads/2020/06/ferry.jpg">',
        "link.html": '<a href="/2019/03/04/older-story">An older story</a>',
        "number.html": "<p>Ref 20210512, call 2021 05 12.</p>",
        "footer.html": "<footer>&copy; 2019-2023 Herald</footer>",
    }
    for name, extra in undated.items():
        (tmp_path / name).write_text(f"<html><head><title>Ferry</title></head><body>"
                                     f"<article>{body}</article>{extra}</body></html>")
    (tmp_path / "timed.html").write_text(
        f'<html><body><time datetime="2021-03-03T10:00">3 March</time>{body}</body></html>')
    articles, _log = read_paths([tmp_path])
    dates = {a.id: a.date for a in articles}
    assert dates == {**dict.fromkeys(undated, ""), "timed.html": "2021-03-03"}


# --- deep HTML -------------------------------------------------------------------------------


def test_deeply_nested_html_still_gives_its_text(tmp_path):
    body = ("<p>The harbour board approved a second ferry for the Ostmere route on Tuesday, "
            "its chairwoman said after the vote in the town hall.</p>")
    for depth in (255, 256, 1000, 20_000):
        for tag in ("div", "span"):
            (tmp_path / f"{tag}{depth}.html").write_text(
                f"<html><body>{f'<{tag}>' * depth}{body}{f'</{tag}>' * depth}</body></html>")
    articles, log = read_paths([tmp_path])
    assert not log.failed, log.failed
    assert len(articles) == 8
    assert all("second ferry for the Ostmere route" in a.text for a in articles)


# --- back-tracking ---------------------------------------------------------------------------


def test_patterns_that_back_tracked_are_read_in_linear_time(tmp_path):
    """Each of these took seconds to minutes (a Markdown heading with 5,000 spaces: 168 s;
    a Reuters body with 2,000 spaces before its sign-off: 14 s), and grows with the square or
    the cube of the run; a few MB of each must now be read at once."""
    import time

    n = 2_000_000
    (tmp_path / "heading.md").write_text("# Port strike" + " " * n + "ends\n\nDockers went back.")
    (tmp_path / "front.md").write_text("---" + "\n" * n + "Dock workers went back to work.")
    (tmp_path / "dateline.txt").write_text("A" * n + " said on Monday.")
    (tmp_path / "open.sgm").write_text("<REUTERS" * (n // 8))
    (tmp_path / "blanks.sgm").write_text(
        '<REUTERS NEWID="7"><TEXT><TITLE>Grain</TITLE><BODY>Wheat prices rose.'
        + " " * n + "x  Reuter\n</BODY></TEXT></REUTERS>" + "<REUTERS>" * (n // 9))
    started = time.perf_counter()
    articles, log = read_paths([tmp_path])
    assert time.perf_counter() - started < 20
    by_id = {a.id: a for a in articles}
    assert by_id["heading.md"].text.startswith("# Port strike")  # too long for a title
    assert by_id["front.md"].text == "---" + "\n" * n + "Dock workers went back to work."
    assert by_id["dateline.txt"].text.endswith("said on Monday.")
    assert by_id["reuters21578-7"].text.startswith("Wheat prices rose.")
    assert [(f.path.rsplit("/", 1)[-1], f.reason) for f in log.failed] == [
        ("open.sgm", "no <REUTERS> stories found (not a Reuters-21578 file)")]


def test_binary_behind_a_utf16_bom_is_still_binary(tmp_path):
    (tmp_path / "fake.txt").write_bytes(  # control characters once decoded
        b"\xff\xfe" + b"".join(bytes([c, 0]) for c in range(1, 9)) * 64)
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe" + "Odd".encode("utf-16-le") + b"\x00\xd8")
    articles, log = read_paths([tmp_path])
    assert not articles
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in log.failed}
    assert reasons["fake.txt"] == "binary file, not a text article"
    assert reasons["bad.txt"].startswith("starts with a UTF-16 byte order mark but is not UTF-16")
