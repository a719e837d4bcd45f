"""sgml: the Reuters-21578 reader, on a small synthetic file and on real .sgm files, and as
the registered reader of .sgm files (folders of them, the skipped briefs counted)."""

from __future__ import annotations

import json
import re

from conftest import DATASETS, require_datasets

from rag.sources import read_paths, sgml

REUTERS_SGML = DATASETS / "reuters21578" / "sgml"

SAMPLE = (b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
          b'<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="7">\n'
          b"<DATE> 5-MAR-1987 09:12:36.12</DATE>\n"
          b"<TOPICS><D>acq</D><D>earn</D></TOPICS>\n<PLACES><D>usa</D></PLACES>\n"
          b"<PEOPLE></PEOPLE><ORGS></ORGS><EXCHANGES></EXCHANGES><COMPANIES></COMPANIES>\n"
          b"<UNKNOWN> \n&#5;&#5;&#5;F\n&#22;&#22;&#1;f0001&#31;reute</UNKNOWN>\n"
          b"<TEXT>&#2;\n<TITLE>A&amp;B &lt;ABC&gt; BUYS CAF\xc9 UNIT</TITLE>\n"
          b"<DATELINE>    NEW YORK, March 5 - </DATELINE><BODY>A&amp;B Corp &lt;ABC> said it\n"
          b"bought the caf\xe9 unit\x7f for 10 mln dlrs.\n Reuter\n&#3;</BODY></TEXT>\n"
          b"</REUTERS>\n"
          b'<REUTERS TOPICS="NO" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="2" NEWID="8">\n'
          b"<DATE>5-MAR-1987 09:13:00.00</DATE>\n<TOPICS></TOPICS>\n"
          b'<TEXT TYPE="BRIEF">&#2;\n******<TITLE>BRIEF HEADLINE ONLY\n</TITLE>Blah blah blah.\n'
          b"&#3;\n\n</TEXT>\n</REUTERS>\n"
          b'<REUTERS TOPICS="NO" NEWID="9">\n<DATE>5-MAR-1987 10:00:00.00</DATE>\n'
          b'<TEXT TYPE="UNPROC">&#2;\nFED WEEKLY TABLE\n  Reserves....1,025\n&#3;</TEXT>\n'
          b"</REUTERS>\n")


def test_synthetic(tmp_path):
    p = tmp_path / "reut2-999.sgm"
    p.write_bytes(SAMPLE)
    articles, skipped, failures = sgml.read_sgml(p)
    assert failures == [] and skipped == 2  # one BRIEF, one UNPROC: no <BODY>
    (a,) = articles
    assert a.id == "reuters21578-7"
    assert a.title == "A&B <ABC> BUYS CAF\u00c9 UNIT"
    assert a.date == "1987-03-05"
    assert a.source == "Reuters"
    assert a.extra["dateline"] == "NEW YORK, March 5 -"
    assert a.extra["topics"] == ["acq", "earn"] and a.extra["places"] == ["usa"]
    assert a.extra["datetime"] == "1987-03-05T09:12:36"
    assert a.text == "A&B Corp <ABC> said it\nbought the caf\u00e9 unit for 10 mln dlrs."
    assert a.origin == str(p.resolve())


def test_not_reuters(tmp_path):
    p = tmp_path / "x.sgm"
    p.write_bytes(b"<html>nothing</html>")
    articles, skipped, failures = sgml.read_sgml(p)
    assert not articles and len(failures) == 1 and "no <REUTERS>" in failures[0].reason
    articles, skipped, failures = sgml.read_sgml(tmp_path / "missing.sgm")
    assert failures and not articles


def test_dates():
    assert sgml.parse_reuters_date("26-FEB-1987 15:01:01.79") == ("1987-02-26",
                                                                  "1987-02-26T15:01:01")
    assert sgml.parse_reuters_date(" 1-APR-1987 00:00:00.00") == ("1987-04-01",
                                                                  "1987-04-01T00:00:00")
    assert sgml.parse_reuters_date("garbage") == ("", "")
    assert sgml.parse_reuters_date("31-XYZ-1987") == ("", "")


def test_sgm_files_read_by_the_format_registry(tmp_path):
    folder = tmp_path / "reuters"
    folder.mkdir()
    (folder / "reut2-998.sgm").write_bytes(SAMPLE)
    (folder / "reut2-999.sgm").write_bytes(SAMPLE.replace(b'NEWID="7"', b'NEWID="70"'))
    (folder / "bad.sgm").write_bytes(b"<html>nothing</html>")
    articles, log = read_paths([folder])
    assert [a.id for a in articles] == ["reuters21578-7", "reuters21578-70"]
    assert articles[0].origin == str((folder / "reut2-998.sgm").resolve())
    # the bodiless stories of both files, counted on one line; no encoding warning (Latin-1)
    assert log.warnings == ["4 " + sgml.SKIPPED]
    (failure,) = log.failed
    assert failure.path.endswith("bad.sgm") and "no <REUTERS> stories" in failure.reason


def test_real_file_reut2_000():
    require_datasets("reuters21578/sgml")
    articles, skipped, failures = sgml.read_sgml(REUTERS_SGML / "reut2-000.sgm")
    assert failures == []
    assert len(articles) == 925 and skipped == 75  # 1,000 stories in the file
    first = articles[0]
    assert first.id == "reuters21578-1" and first.title == "BAHIA COCOA REVIEW"
    assert first.date == "1987-02-26" and first.extra["dateline"] == "SALVADOR, Feb 26 -"
    assert first.extra["topics"] == ["cocoa"]
    assert first.extra["places"] == ["el-salvador", "usa", "uruguay"]
    assert first.text.startswith("Showers continued throughout the week in\nthe Bahia")
    for a in articles:
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", a.text + a.title), a.id
        assert not re.search(r"\bReuter\s*$", a.text), a.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", a.date), a.id
        assert "&lt;" not in a.text and "&amp;" not in a.title


def test_real_file_agrees_with_the_shared_jsonl():
    require_datasets("reuters21578/sgml", "reuters21578/articles.jsonl")
    path = DATASETS / "reuters21578" / "articles.jsonl"
    ref = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        ref[r["id"]] = r
    articles, _, _ = sgml.read_sgml(REUTERS_SGML / "reut2-000.sgm")
    common = [a for a in articles if a.id in ref]
    assert len(common) == 196
    for a in common:
        r = ref[a.id]
        assert a.title == r["title"] or " ".join(a.title.split()) == " ".join(r["title"].split())
        assert a.date == r["date"][:10]
        assert a.extra["topics"] == r.get("topics", [])
        assert a.extra["places"] == r.get("places", [])
        assert a.extra["dateline"] == " ".join(r.get("dateline", "").split())
        # The jsonl keeps "REUTER", "reuter", "REUTER..." signatures and trailing spaces;
        # we drop both.
        theirs = re.sub(r"\s*\bREUTER[\s.]*$", "", r["text"], flags=re.I)
        assert " ".join(a.text.split()) == " ".join(theirs.split()), a.id
