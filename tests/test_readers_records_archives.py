"""Record dumps (JSON Lines, JSON, CSV) and archives (zip, gzip, tar): fixtures are written
here with the real libraries (json, csv, zipfile, tarfile, gzip)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import struct
import tarfile
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import pytest
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers import (
    Document,
    ReadOptions,
    RecordReject,
    archives,
    choose_reader,
    read_documents,
    records,
)

OPTIONS = ReadOptions(latest=date(2030, 1, 1))


def read(raw: bytes, filename: str, options: ReadOptions = OPTIONS, **changes) -> list:
    if changes:
        from dataclasses import replace

        options = replace(options, **changes)
    return list(read_documents(raw, filename, options))


def docs(items: list) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def rejects(items: list) -> list[RecordReject]:
    return [i for i in items if isinstance(i, RecordReject)]


def jsonl(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


NEWS_PLEASE = [
    {
        "authors": ["Anna Smith", "Bo Li"],
        "date_download": None,
        "date_publish": "2017-07-17 17:03:00",
        "description": "A lead.",
        "language": "en",
        "maintext": "First paragraph.\n\nSecond paragraph.",
        "source_domain": "www.rt.com",
        "title": "Moscow to Kiev",
        "url": "https://www.rt.com/news/1/",
    },
    {
        "authors": [],
        "date_publish": None,
        "language": "de",
        "maintext": "Zweiter Artikel.",
        "source_domain": "www.dw.com",
        "title": "Zwei",
        "url": "https://www.dw.com/2",
    },
]


# ---------------------------------------------------------------------------- sniffing


def test_sniff_picks_each_format():
    assert choose_reader(jsonl(NEWS_PLEASE), "dump.json").name == "jsonl"
    assert choose_reader(json.dumps(NEWS_PLEASE[0], indent=2).encode(), "a.json").name == "json"
    assert choose_reader(json.dumps(NEWS_PLEASE).encode(), "a.dat").name == "json"
    assert choose_reader(b'{"stories": []}', "x").name == "json"
    assert choose_reader(b"title,text\nA,body\n", "x.csv").name == "csv"
    assert choose_reader(b"headline;body;date\nA;b;2020-01-01\n", "export").name == "csv"
    assert choose_reader(b"PK\x03\x04" + b"\0" * 30, "a.zip").name == "zip"
    assert choose_reader(gzip.compress(b"hello"), "a.gz").name == "gzip"
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        _add(t, "a.txt", b"x")
    assert choose_reader(tar.getvalue(), "a.tar").name == "tar"


@pytest.mark.parametrize(
    "head",
    [
        b"<!DOCTYPE html><html><body>{}</body></html>",
        b'<html>{"a": 1}</html>',
        b"WARC/1.0\r\nWARC-Type: response\r\n",
        b"\x1f\x8b\x08\x00" + b"\0" * 20,
        b"%PDF-1.4 {",
        b"PK\x03\x04title,text",
        b"[Reuters] MOSCOW, Jan 2 - Text of an article.",
        b"{Editor's note: this is a plain article}",
        b"Text, images and video: how newsrooms adapt.\nBy A. Writer\n",
        b"Body, mind and soul\nAn essay, with commas, and more commas.\n",
    ],
)
def test_records_never_claim_markup_binary_or_prose(head):
    for reader in (records.JSONL, records.JSON, records.CSV):
        assert reader.sniff(head, "file") == 0, reader.name
    assert choose_reader(head, "file").name not in ("jsonl", "json", "csv")


def test_sniff_scores():
    assert records.JSONL.sniff(jsonl(NEWS_PLEASE), "x") == 12
    assert records.JSON.sniff(jsonl(NEWS_PLEASE), "x") == 0
    assert records.JSON.sniff(json.dumps(NEWS_PLEASE).encode(), "x") == 10
    assert records.CSV.sniff(b"a,b\n", "x.tsv") == 5
    assert records.CSV.sniff(b"<html>", "x.csv") == 0
    assert archives.ZIP.sniff(b"PK\x03\x04", "x") == 30
    assert archives.GZIP.sniff(b"\x1f\x8b", "x") == 30


# ---------------------------------------------------------------------------- JSON Lines


def test_news_please_jsonl_maps_fields_and_keeps_paragraphs():
    items = read(jsonl(NEWS_PLEASE), "dump.jsonl")
    assert not rejects(items)
    first, second = docs(items)
    assert first.format == "jsonl"
    assert first.record_key == "https://www.rt.com/news/1/"  # no id: the URL
    assert first.text == "First paragraph.\n\nSecond paragraph."
    s = first.stated
    assert (s.title, s.published, s.url, s.outlet, s.byline, s.language) == (
        "Moscow to Kiev",
        date(2017, 7, 17),
        "https://www.rt.com/news/1/",
        "www.rt.com",
        "Anna Smith, Bo Li",
        "en",
    )
    assert s.evidence["published"] == "field:date_publish"
    assert s.evidence["outlet"] == "field:source_domain"
    assert s.evidence["title"] == "field:title"
    assert second.stated.published is None and "published" not in second.stated.evidence
    assert second.stated.byline is None  # an empty author list says nothing


def test_keys_are_stable_when_records_are_added_or_removed():
    rows = [
        {"id": "a1", "text": "one"},
        {"url": "https://x/2", "text": "two"},
        {"title": "Three", "text": "three"},
        {"title": "Four", "text": "four"},
    ]
    keys = [d.record_key for d in docs(read(jsonl(rows), "d.jsonl"))]
    assert keys[:2] == ["a1", "https://x/2"]
    assert all(k.startswith("sha256:") and len(k) == 7 + 16 for k in keys[2:])
    fewer = [d.record_key for d in docs(read(jsonl([rows[0], *rows[2:]]), "d.jsonl"))]
    assert fewer == [keys[0], *keys[2:]]
    more = [d.record_key for d in docs(read(jsonl([{"text": "new"}, *rows]), "d.jsonl"))]
    assert more[1:] == keys
    # the hash is of the content: a changed text gets a new key, an unchanged one keeps it
    changed = [dict(rows[2], text="three, corrected"), rows[3]]
    assert [d.record_key for d in docs(read(jsonl(changed), "d.jsonl"))][1] == keys[3]


def test_invalid_line_and_huge_line_are_rejects_and_the_rest_lands(tmp_path):
    limit = 1_000_000
    path = tmp_path / "d.jsonl"
    with path.open("wb") as f:
        f.write(json.dumps({"id": "ok1", "text": "fine"}).encode() + b"\n")
        f.write(b'{"id": "broken", "text": "no end\n')
        f.write(b'{"id": "huge", "text": "' + b"x" * 10_000_000 + b'"}\n')
        f.write(b"\n")
        f.write(json.dumps({"id": "ok2", "text": "also fine"}).encode() + b"\n")
    options = ReadOptions(latest=date(2030, 1, 1), max_document_bytes=limit)
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            items = list(records.JSONL.read(stream, "d.jsonl", options))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit  # the 10 MB line is never held whole
    assert [d.record_key for d in docs(items)] == ["ok1", "ok2"]
    bad, huge = rejects(items)
    assert (bad.record_key, bad.reason) == ("broken", "bad_record")
    assert "line 2 is not valid JSON" in bad.message and "d.jsonl" in bad.message
    assert (huge.record_key, huge.reason) == ("huge", "too_large")
    assert "line 3" in huge.message


def test_a_10mb_line_within_the_limit_is_read():
    text = "word " * 2_000_000
    items = read(jsonl([{"id": "big", "text": text}, {"id": "s", "text": "small"}]), "d.jsonl")
    assert [d.record_key for d in docs(items)] == ["big", "s"]
    assert len(docs(items)[0].text) == 10_000_000


def test_duplicate_keys_and_records_without_text():
    rows = [
        {"id": "1", "text": "first"},
        {"id": "1", "text": "again"},
        {"id": 2, "title": "no body"},
        {"id": "3", "text": "   "},
        [1, 2],
    ]
    items = read(jsonl(rows), "d.jsonl")
    assert [(d.record_key, d.text) for d in docs(items)] == [("1", "first")]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [
        ("1", "duplicate_key"),
        ("2", "no_text"),
        ("3", "no_text"),
        (None, "bad_record"),
    ]


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.json", "empty.csv"])
def test_empty_files_raise_empty(name):
    reader = {"jsonl": records.JSONL, "json": records.JSON, "csv": records.CSV}[
        name.rsplit(".", 1)[1]
    ]
    for raw in (b"", b"\n \n"):
        with pytest.raises(RejectError) as caught:
            list(reader.read(io.BytesIO(raw), name, OPTIONS))
        assert caught.value.reason == "empty"


# ---------------------------------------------------------------------------- JSON


def test_json_array_with_the_usual_names():
    rows = [
        {
            "GUID": "g1",
            "Headline": "H1",
            "Body": "b1",
            "pubDate": "Tue, 04 Aug 2026 10:00:00 +0200",
            "Link": "https://e/1",
            "Author": "X",
            "Category": "Politics",
            "Lang": "fr",
            "Publication": "Le Monde",
        },
        {"uuid": "u2", "headline": "H2", "content": "b2", "datetime": "2026-08-05T23:30:00Z"},
        {"id": "u3", "article": "b3", "published": "yesterday"},
    ]
    items = read(json.dumps(rows, indent=1).encode(), "dump.json")
    a, b, c = docs(items)
    assert (a.format, a.record_key, a.text) == ("json", "g1", "b1")
    assert (a.stated.title, a.stated.published, a.stated.url) == (
        "H1",
        date(2026, 8, 4),
        "https://e/1",
    )
    assert (a.stated.byline, a.stated.section, a.stated.language, a.stated.outlet) == (
        "X",
        "Politics",
        "fr",
        "Le Monde",
    )
    assert a.stated.evidence["published"] == "field:pubDate"
    assert (b.record_key, b.stated.published) == ("u2", date(2026, 8, 5))
    assert (c.record_key, c.stated.published) == ("u3", None)


def test_media_cloud_dump_object():
    stories = [
        {
            "id": "063f77",
            "indexed_date": "2026-08-05 04:31:23.815362+00:00",
            "language": "hr",
            "media_name": "dw.com",
            "media_url": "dw.com",
            "publish_date": "2026-08-04",
            "title": "Kakav klima-uređaj?",
            "url": "https://www.dw.com/hr/a-1",
            "text": "Tekst članka.",
        },
        {"id": "5124", "title": "Bez teksta", "publish_date": "2026-08-04", "url": "u"},
    ]
    items = read(json.dumps({"stories": stories, "pagination_token": None}).encode(), "s.json")
    (doc,) = docs(items)
    assert doc.record_key == "063f77"
    s = doc.stated
    assert (s.outlet, s.published, s.language, s.title) == (
        "dw.com",
        date(2026, 8, 4),
        "hr",
        "Kakav klima-uređaj?",
    )
    assert s.evidence["published"] == "field:publish_date"
    assert s.evidence["outlet"] == "field:media_name"
    (reject,) = rejects(items)
    assert (reject.record_key, reject.reason) == ("5124", "no_text")
    assert "stories[1]" in reject.message
    sample = read(json.dumps({"sample": stories[:1]}).encode(), "m.json")
    assert [d.record_key for d in docs(sample)] == ["063f77"]


def test_concatenated_pretty_printed_objects():
    rows = [{"id": "p1", "text": "one"}, {"id": "p2", "text": "two"}]
    raw = b"\n".join(json.dumps(r, indent=2).encode() for r in rows) + b"\n{broken"
    assert choose_reader(raw, "d.json").name == "json"
    items = read(raw, "d.json")
    assert [d.record_key for d in docs(items)] == ["p1", "p2"]
    (reject,) = rejects(items)
    assert reject.reason == "bad_record" and "value 3" in reject.message


def test_one_news_please_article_is_one_document():
    old_schema = {"title": "T", "text": "Body\nline two", "date_publish": "2017-09-15T00:00:00"}
    (doc,) = read(json.dumps(old_schema, indent=2).encode(), "one.json")
    assert doc.record_key is None  # the file is the document
    assert (doc.text, doc.stated.published) == ("Body\nline two", date(2017, 9, 15))
    with pytest.raises(RejectError) as caught:
        read(json.dumps({"title": "T", "text": None}, indent=2).encode(), "none.json")
    assert caught.value.reason == "no_text"


def test_field_map_overrides_defaults():
    rows = [
        {
            "text": "a teaser, not the text",
            "story_body": "The real text.",
            "when": "2021-03-04",
            "date": "1999-01-01",
            "source": {"name": "Reuters", "id": "r"},
            "ref": "R-1",
        }
    ]
    options = ReadOptions(
        latest=date(2030, 1, 1),
        field_map=(
            ("text", "story_body"),
            ("published", "WHEN"),
            ("outlet", "source.name"),
            ("id", "ref"),
        ),
    )
    (doc,) = read(jsonl(rows), "d.jsonl", options)
    assert (doc.record_key, doc.text) == ("R-1", "The real text.")
    assert doc.stated.published == date(2021, 3, 4)
    assert doc.stated.outlet == "Reuters"
    assert doc.stated.evidence == {
        "published": "field:when",
        "outlet": "field:source.name",
    }
    (default,) = read(jsonl(rows), "d.jsonl")
    assert default.text == "a teaser, not the text"
    assert default.stated.published == date(1999, 1, 1)
    assert default.stated.outlet == "Reuters"  # {"name": …} is read by default too


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-07-17 17:03:00", date(2017, 7, 17)),
        ("2017-09-15T00:00:00", date(2017, 9, 15)),
        ("2026-08-05T23:30:00Z", date(2026, 8, 5)),
        ("2026-08-05T01:30:00+09:00", date(2026, 8, 5)),
        ("2026-08-05 04:31:23.815362+00:00", date(2026, 8, 5)),
        ("2026-08-04", date(2026, 8, 4)),
        ("Tue, 04 Aug 2026 10:00:00 GMT", date(2026, 8, 4)),
        ("4 Aug 2026 10:00:00 -0500", date(2026, 8, 4)),
        ("2017-07-17 17:03:00 UTC", date(2017, 7, 17)),
        ("yesterday", None),
        ("2017-13-45", None),
        ("", None),
    ],
)
def test_dates(value, expected):
    assert records.parse_date(value) == expected


# ---------------------------------------------------------------------------- CSV


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_csv_with_embedded_newlines_and_no_hint():
    raw = _csv(
        [
            ["id", "headline", "body", "date", "url"],
            ["1", "One", "Para one.\n\nPara two, with a comma.", "2020-01-02", "https://a/1"],
            ["2", "Two", 'A "quoted" word.\r\nNext line.', "Mon, 03 Feb 2020 09:00:00 GMT", ""],
        ]
    )
    assert choose_reader(raw, "export").name == "csv"
    items = read(raw, "export")
    one, two = docs(items)
    assert (one.format, one.record_key, one.text) == (
        "csv",
        "1",
        "Para one.\n\nPara two, with a comma.",
    )
    assert (one.stated.title, one.stated.published, one.stated.url) == (
        "One",
        date(2020, 1, 2),
        "https://a/1",
    )
    assert two.text == 'A "quoted" word.\r\nNext line.'
    assert (two.record_key, two.stated.published, two.stated.url) == ("2", date(2020, 2, 3), None)


def test_csv_semicolons_bom_and_tsv():
    raw = b"\xef\xbb\xbf" + _csv([["Title", "Text"], ["A", "body; with semicolon"]], ";")
    (doc,) = read(raw, "x.csv")
    assert (doc.stated.title, doc.text) == ("A", "body; with semicolon")
    (tsv,) = read(_csv([["title", "content"], ["T", "b, c"]], "\t"), "x.tsv")
    assert tsv.text == "b, c"


def test_csv_wrong_delimiter_names_the_columns():
    raw = b"title:text:date\nA:body:2020-01-01\n"
    with pytest.raises(RejectError) as caught:
        read(raw, "export.csv")
    assert caught.value.reason == "bad_format"
    assert "'title:text:date'" in caught.value.message
    assert "export.csv" in caught.value.message
    # mapped to a column it does have, it reads
    raw = _csv([["headline", "story"], ["A", "the story"]])
    with pytest.raises(RejectError):
        read(raw, "x.csv")
    (doc,) = read(raw, "x.csv", field_map=(("text", "story"),))
    assert doc.text == "the story"


def test_csv_row_over_the_limit_and_not_seekable():
    raw = _csv([["id", "text"], ["1", "x" * 5000], ["2", "short"]])
    items = read(raw, "x.csv", max_document_bytes=1000)
    assert [d.record_key for d in docs(items)] == ["2"]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [("1", "too_large")]

    class Pipe(io.RawIOBase):  # a stream that cannot seek
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    big = _csv([["id", "text"], *[[str(i), f"text {i} " * 50] for i in range(400)]])
    assert len(big) > records.CSV_SAMPLE
    got = list(records.CSV.read(io.BufferedReader(Pipe(big)), "p.csv", OPTIONS))
    assert [d.record_key for d in got] == [str(i) for i in range(400)]


# ---------------------------------------------------------------------------- archives


def _zip(members: dict[str, bytes], **kw) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, **kw) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _add(t: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind == tarfile.SYMTYPE:
        info.linkname = "a.txt"
    t.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as t:
        for name, data in members.items():
            _add(t, name, data)
    return out.getvalue()


MEMBERS = {
    "a.txt": b"A plain article.\n",
    "dir/b.jsonl": jsonl([{"id": "id1", "text": "one"}, {"id": "id2", "text": "two"}]),
}


def _keys(items: list) -> list[tuple[str | None, str | None]]:
    return [(d.record_key, d.member) for d in docs(items)]


def test_zip_of_text_and_jsonl_members():
    items = read(_zip({**MEMBERS, "dir/": b""}), "dump.zip")
    assert not rejects(items)
    assert _keys(items) == [
        ("a.txt", "a.txt"),
        ("dir/b.jsonl#id1", "dir/b.jsonl"),
        ("dir/b.jsonl#id2", "dir/b.jsonl"),
    ]
    text, one, _ = docs(items)
    assert (text.format, text.raw) == ("text", b"A plain article.\n")
    assert (one.format, one.text) == ("jsonl", "one")


@pytest.mark.parametrize(
    ("name", "mode"), [("dump.tar.gz", "w:gz"), ("dump.tgz", "w:gz"), ("dump.tar", "w")]
)
def test_tar_and_tar_gz(name, mode):
    raw = _tar(MEMBERS, mode)
    assert choose_reader(raw, name).name == ("tar" if mode == "w" else "gzip")
    items = read(raw, name)
    assert not rejects(items)
    assert _keys(items) == [
        ("a.txt", "a.txt"),
        ("dir/b.jsonl#id1", "dir/b.jsonl"),
        ("dir/b.jsonl#id2", "dir/b.jsonl"),
    ]


def test_gzip_is_one_member_named_after_the_file():
    items = read(gzip.compress(MEMBERS["dir/b.jsonl"]), "path/x.jsonl.gz")
    assert _keys(items) == [("x.jsonl#id1", "x.jsonl"), ("x.jsonl#id2", "x.jsonl")]
    (doc,) = read(gzip.compress(b"Text."), "note.txt.gz")
    assert (doc.record_key, doc.member, doc.raw) == ("note.txt", "note.txt", b"Text.")


def test_zip_bomb_is_stopped_with_bounded_memory():
    zeros = 30_000_000
    raw = _zip({"first.txt": b"ok", "bomb.txt": b"\0" * zeros, "after.txt": b"late"})
    assert len(raw) < 100_000
    tracemalloc.start()
    try:
        items = read(raw, "b.zip", max_expanded_bytes=2_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12_000_000  # far below the 30 MB it would expand to
    assert _keys(items) == [("first.txt", "first.txt")]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [
        ("bomb.txt", "too_large"),
        ("after.txt", "too_large"),
    ]
    assert all("zip bomb?" in r.message for r in rejects(items))


@pytest.mark.parametrize("kind", ["gz", "tar.gz"])
def test_gzip_and_tgz_bombs_are_stopped_while_decompressing(kind):
    zeros = b"\0" * 30_000_000
    raw = gzip.compress(zeros) if kind == "gz" else _tar({"z.bin": zeros, "b.txt": b"x"}, "w:gz")
    tracemalloc.start()
    try:
        items = read(raw, f"b.{kind}", max_expanded_bytes=2_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12_000_000  # far below the 30 MB it would expand to
    assert not docs(items)
    (bomb,) = rejects(items)
    assert bomb.reason == "too_large" and "zip bomb?" in bomb.message


def test_tar_members_within_the_limit_each_but_not_together():
    # a gzip whose tar members are each within the limit but together are not
    raw = _tar({f"m{i}.txt": b"y" * 600_000 for i in range(5)}, "w:gz")
    items = read(raw, "m.tgz", max_expanded_bytes=2_000_000)
    assert len(docs(items)) == 3
    assert [r.reason for r in rejects(items)] == ["too_large"]
    assert "zip bomb?" in rejects(items)[0].message


def test_max_members_and_member_size():
    raw = _zip({f"{i}.txt": b"text %d" % i for i in range(5)})
    items = read(raw, "m.zip", max_members=2)
    assert [d.record_key for d in docs(items)] == ["0.txt", "1.txt"]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [
        ("2.txt", "too_large"),
        ("3.txt", "too_large"),
        ("4.txt", "too_large"),
    ]
    items = read(_zip({"big.txt": b"b" * 5000, "s.txt": b"s"}), "m.zip", max_document_bytes=1000)
    assert [d.record_key for d in docs(items)] == ["s.txt"]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [("big.txt", "too_large")]


def test_nesting_beyond_max_depth():
    inner = _zip({"deep.txt": b"deep"})
    middle = _zip({"inner.zip": inner, "mid.txt": b"mid"})
    outer = _zip({"middle.zip": middle, "top.txt": b"top"})
    items = read(outer, "outer.zip", max_depth=3)
    assert sorted(_keys(items)) == [
        ("middle.zip#inner.zip#deep.txt", "middle.zip/inner.zip/deep.txt"),
        ("middle.zip#mid.txt", "middle.zip/mid.txt"),
        ("top.txt", "top.txt"),
    ]
    items = read(outer, "outer.zip", max_depth=2)
    assert [d.record_key for d in docs(items)] == ["middle.zip#mid.txt", "top.txt"]
    (deep,) = rejects(items)
    assert (deep.record_key, deep.reason) == ("middle.zip#inner.zip#deep.txt", "too_deep")


def test_unsafe_member_names_are_only_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    members = {"../evil.txt": b"evil", "/abs.txt": b"abs", "ok/../../x.txt": b"x"}
    for raw, name in ((_zip(members), "u.zip"), (_tar(members, "w:gz"), "u.tgz")):
        items = read(raw, name)
        assert sorted(_keys(items)) == [
            ("abs.txt", "abs.txt"),
            ("evil.txt", "evil.txt"),
            ("ok/x.txt", "ok/x.txt"),
        ], name
        assert list(tmp_path.iterdir()) == []  # nothing written anywhere
        assert not (tmp_path.parent / "evil.txt").exists()
    items = read(_zip({"../a.txt": b"1", "a.txt": b"2"}), "d.zip")
    (dup,) = rejects(items)
    assert (dup.record_key, dup.reason) == ("a.txt", "duplicate_key")
    assert "'../a.txt'" in dup.message


def test_symlinks_and_directories_are_skipped():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", b"real")
        link = zipfile.ZipInfo("link.txt")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        z.writestr(link, b"a.txt")
        z.writestr("folder/", b"")
    assert _keys(read(out.getvalue(), "l.zip")) == [("a.txt", "a.txt")]
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        _add(t, "a.txt", b"real")
        _add(t, "link.txt", b"", tarfile.SYMTYPE)
        _add(t, "folder", b"", tarfile.DIRTYPE)
    assert _keys(read(tar.getvalue(), "l.tar")) == [("a.txt", "a.txt")]


def _encrypt_flag(raw: bytes, name: bytes) -> bytes:
    """Set bit 0 (encrypted) of a member's flags in its local and central headers."""
    data = bytearray(raw)
    local = data.find(b"PK\x03\x04" + b"\0" * 0, 0)
    while local != -1:
        (name_len,) = struct.unpack_from("<H", data, local + 26)
        if bytes(data[local + 30 : local + 30 + name_len]) == name:
            data[local + 6] |= 0x1
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        (name_len,) = struct.unpack_from("<H", data, central + 28)
        if bytes(data[central + 46 : central + 46 + name_len]) == name:
            data[central + 8] |= 0x1
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_encrypted_zip_member():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("secret.txt", b"ciphertext-ish")
        z.writestr("open.txt", b"plain")
    raw = _encrypt_flag(out.getvalue(), b"secret.txt")
    assert zipfile.ZipFile(io.BytesIO(raw)).getinfo("secret.txt").flag_bits & 0x1
    items = read(raw, "e.zip")
    assert _keys(items) == [("open.txt", "open.txt")]
    (secret,) = rejects(items)
    assert (secret.record_key, secret.reason) == ("secret.txt", "encrypted")


def test_truncated_gzip():
    text = os.urandom(200_000).hex().encode()
    raw = gzip.compress(text)
    (cut,) = read(raw[: len(raw) // 2], "t.txt.gz")
    assert isinstance(cut, RecordReject)
    assert (cut.record_key, cut.reason) == ("t.txt", "truncated")
    with pytest.raises(RejectError) as caught:
        read(raw[:12], "t.txt.gz")
    assert caught.value.reason == "bad_format"
    tgz = _tar({"a.txt": text, "b.txt": b"b"}, "w:gz")
    items = read(tgz[: len(tgz) // 2], "t.tgz")
    assert not docs(items)
    assert [(r.record_key, r.reason) for r in rejects(items)] == [("a.txt", "truncated")]


def test_corrupt_zip_and_bad_members():
    with pytest.raises(RejectError) as caught:
        read(b"PK\x03\x04" + b"garbage" * 20, "c.zip")
    assert caught.value.reason == "bad_format"
    items = read(_zip({"inner.zip": b"PK\x03\x04broken", "ok.txt": b"ok", "e.txt": b""}), "c.zip")
    assert _keys(items) == [("ok.txt", "ok.txt")]
    assert [(r.record_key, r.reason) for r in rejects(items)] == [
        ("inner.zip", "bad_format"),
        ("e.txt", "empty"),
    ]


def test_docx_is_not_claimed_as_an_archive():
    members = {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    }
    raw = _zip(members)
    assert archives.ZIP.sniff(raw[:65536], "export.DOCX") == 0
    assert choose_reader(raw[:65536], "export.DOCX").name != "zip"
    with pytest.raises(RejectError) as caught:
        list(archives.ZIP.read(io.BytesIO(raw), "export.DOCX", OPTIONS))
    assert caught.value.reason == "bad_format"
    assert caught.value.message == (
        "export.DOCX is a Word document, not a news export or an archive of articles"
    )
    plain = _zip({"word/notes.txt": b"a file in a folder called word"})
    assert archives.ZIP.sniff(plain, "notes.zip") == 30


def test_member_key_normalisation():
    assert archives.member_key("../../etc/passwd") == ("etc/passwd", True)
    assert archives.member_key("/abs.txt") == ("abs.txt", True)
    assert archives.member_key("C:\\dir\\a.txt") == ("dir/a.txt", True)
    assert archives.member_key("./a/./b.txt") == ("a/b.txt", False)


def test_eval_folder_is_not_needed(tmp_path: Path):
    """bench/eval_dumps.py runs on any folder with the expected layout (here: empty)."""
    from bench.eval_dumps import evaluate_dumps

    result = evaluate_dumps(tmp_path)
    assert result["sets"] == {} or all(v["files"] == 0 for v in result["sets"].values())
