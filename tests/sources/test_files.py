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
