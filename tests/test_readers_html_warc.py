"""The HTML and WARC readers, on pages and WARC files the tests write themselves."""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from wirehouse.tasks.readers import choose_reader, html, read_documents, warc
from wirehouse.tasks.readers.base import Document, ReadOptions, RecordReject

OPTIONS = ReadOptions(latest=date(2026, 1, 1))

STORY = (
    "The city council of Northfield voted on Tuesday to rebuild the old river bridge, "
    "ending a dispute that had divided residents for more than a decade.",
    "Engineers told the council that the bridge, built in 1931, could no longer carry "
    "buses, and that repairs would cost almost as much as a new span over the river.",
    "Work is due to begin next spring and should take two years, during which a ferry "
    "will carry pedestrians and cyclists across the water between the two old quays.",
    "Residents who opposed the plan said they would keep collecting signatures for a "
    "referendum on the design, which they consider too large for the historic centre.",
)

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Council votes to rebuild river bridge | Northfield Gazette</title>
<meta property="og:site_name" content="Northfield Gazette">
<meta property="article:published_time" content="2021-03-16T09:30:00+00:00">
<meta name="author" content="Jane Marlow">
<link rel="canonical" href="https://gazette.example/news/2021/council-bridge">
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport pages</a></li>
<li><a href="/weather">Weather forecast</a></li></ul></nav>
<article>
<h1>Council votes to rebuild river bridge</h1>
<p class="byline">By Jane Marlow</p>
{"".join(f"<p>{p}</p>" for p in STORY)}
</article>
<footer><p>Subscribe to our newsletter for daily updates.</p>
<p>Copyright 2021 Northfield Gazette Media Group. All rights reserved.</p></footer>
</body>
</html>
"""

BOILERPLATE_PAGE = """<!DOCTYPE html>
<html><head><title>Menu</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/contact">Contact</a></li></ul></nav>
<footer><a href="/privacy">Privacy</a> <a href="/imprint">Imprint</a></footer>
</body></html>
"""

RUSSIAN = (
    "Городской совет принял решение о строительстве нового моста через реку.",
    "Работы начнутся весной и продлятся два года, сообщили в администрации города.",
    "Жители, выступавшие против проекта, продолжают собирать подписи за референдум.",
)

CP1251_PAGE = (
    "<html><head>"
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    "<title>Новый мост через реку</title></head><body><article>"
    "<h1>Новый мост через реку</h1>"
    + "".join(f"<p>{p}</p>" for p in RUSSIAN)
    + "</article></body></html>"
).encode("cp1251")

GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, die alte Brücke über den Fluss neu zu bauen "
    "und damit einen Streit beendet, der die Bewohner seit mehr als zehn Jahren spaltet.",
    "Die Arbeiten sollen im Frühjahr beginnen und zwei Jahre dauern; in dieser Zeit bringt "
    "eine Fähre Fußgänger und Radfahrer zwischen den beiden alten Kais über das Wasser.",
)

GERMAN_PAGE = (
    '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Neue Brücke</title>'
    "</head><body><main>" + "".join(f"<p>{p}</p>" for p in GERMAN) + "</main></body></html>"
)


def _read_html(raw: bytes, filename: str = "page.html") -> Document | RecordReject:
    items = list(html.READER.read(io.BytesIO(raw), filename, OPTIONS))
    assert len(items) == 1
    return items[0]


# --- HTML ------------------------------------------------------------------------------


def test_news_page_main_text_without_boilerplate() -> None:
    doc = _read_html(NEWS_PAGE.encode())
    assert isinstance(doc, Document)
    assert doc.record_key is None
    assert doc.format == "html"
    for paragraph in STORY:
        assert paragraph in doc.text
    for chrome in ("Sport pages", "Weather forecast", "Subscribe to our newsletter", "Copyright"):
        assert chrome not in doc.text
    # paragraphs apart by blank lines, the title on top: a title/story layout
    blocks = doc.text.split("\n\n")
    assert blocks[0] == "Council votes to rebuild river bridge"
    assert STORY[0] in blocks and STORY[1] in blocks


def test_news_page_stated_fields_and_evidence() -> None:
    stated = _read_html(NEWS_PAGE.encode()).stated
    assert stated.title == "Council votes to rebuild river bridge"
    assert stated.published == date(2021, 3, 16)
    assert stated.url == "https://gazette.example/news/2021/council-bridge"
    assert stated.outlet == "Northfield Gazette"
    assert stated.byline == "Jane Marlow"
    assert stated.language == "en-GB"
    assert stated.crawl_date is None
    assert stated.evidence == {
        "title": "html:trafilatura",
        "published": "html:meta",
        "byline": "html:trafilatura",
        "url": "html:canonical",
        "outlet": "html:og:site_name",
        "language": "html:lang",
    }


def test_boilerplate_only_page_is_a_no_text_reject() -> None:
    item = _read_html(BOILERPLATE_PAGE.encode(), "menu.html")
    assert isinstance(item, RecordReject)
    assert item.record_key is None
    assert item.reason == "no_text"
    assert item.message.startswith("menu.html: ")
    assert "no main text" in item.message


def test_page_in_cp1251_decoded_by_its_meta_charset() -> None:
    assert html.declared_charset(CP1251_PAGE) == "windows-1251"
    doc = _read_html(CP1251_PAGE)
    assert isinstance(doc, Document)
    assert doc.stated.title == "Новый мост через реку"
    for paragraph in RUSSIAN:
        assert paragraph in doc.text


def test_declared_charset_wins_over_a_guess() -> None:
    # ISO-8859-2 bytes declared after 9 KB of script: charset-normalizer only looks for a
    # declaration in the first 8 KB, and alone reads them as Mac Greek ("ΘσdΦ, Εroda")
    script = "<script>var x = 1;\n" + "x += 1;\n" * 1100 + "</script>"
    page = (
        f"<html><head>{script}<meta charset='ISO-8859-2'></head>"
        "<body><p>Źródło: Łódź, środa</p></body></html>"
    )
    assert html.declared_charset(page.encode("iso8859_2")) == "ISO-8859-2"
    assert html.decode_html(page.encode("iso8859_2")) == page


def test_utf8_bytes_under_a_latin1_label_read_as_utf8() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Grüße aus Köln</p></body>'
    assert html.decode_html(page.encode("utf-8")) == page


def test_http_charset_used_when_the_page_declares_none() -> None:
    page = "<html><body><p>Ґанок і їжак</p></body></html>"  # guessed alone: PTCP154
    assert html.decode_html(page.encode("koi8_u"), "KOI8-U") == page


def test_page_language_from_html_lang() -> None:
    doc = _read_html(GERMAN_PAGE.encode())
    assert isinstance(doc, Document)
    assert doc.stated.language == "de"
    assert doc.stated.evidence["language"] == "html:lang"
    assert GERMAN[0] in doc.text


def test_title_without_the_site_name_around_it() -> None:
    page = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta property="og:title" content="Neue Brücke über den Fluss | Stadtanzeiger">'
        '<meta property="og:site_name" content="Stadtanzeiger"></head><body><main>'
        + "".join(f"<p>{p}</p>" for p in GERMAN)
        + "</main></body></html>"
    )
    doc = _read_html(page.encode())
    assert doc.stated.title == "Neue Brücke über den Fluss"
    assert doc.stated.outlet == "Stadtanzeiger"
    assert doc.text.startswith("Neue Brücke über den Fluss\n\nDer Stadtrat")


def test_html_sniff_by_content_not_by_name() -> None:
    assert html.READER.sniff(b"\xef\xbb\xbf  \n<!DOCTYPE html><html>", "a.txt") == 10
    assert html.READER.sniff(b"<HTML><BODY>x</BODY></HTML>", "a") == 10
    assert html.READER.sniff(b"<!-- saved -->\n<head><title>x</title></head>", "a") == 10
    assert html.READER.sniff(b"<!doctype html><p>x", "page.html") == 11  # the name: a hint
    assert html.READER.sniff(b"Plain text about <html> tags.", "notes.txt") == 10
    assert html.READER.sniff(b"Plain text with no markup at all.", "story.html") == 0
    assert html.READER.sniff(b"%PDF-1.4 <<", "x.htm") == 0
    utf16 = "\ufeff<html><body>x</body></html>".encode("utf-16-le")
    assert html.READER.sniff(utf16, "x") == 10


def test_choose_reader_picks_html_by_content_despite_txt_name() -> None:
    raw = NEWS_PAGE.encode()
    assert choose_reader(raw, "page.txt").name == "html"
    items = list(read_documents(raw, "page.txt", OPTIONS))
    assert [type(i) for i in items] == [Document]
    assert items[0].format == "html"


# --- HTML: the publication date ----------------------------------------------------------


def _dated_page(head: str = "", above: str = "", url: str = "https://news.example/bridge") -> bytes:
    """A news page with `head` markup in its <head> and `above` between headline and story."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bridge</title>'
        f'<link rel="canonical" href="{url}">{head}</head><body>'
        '<nav><a href="/">Home</a> <a href="/sport">Sport</a></nav><article>'
        f"<h1>Council votes to rebuild river bridge</h1>{above}"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</article></body></html>"
    ).encode()


def _published(page: bytes) -> tuple[date | None, str | None]:
    doc = _read_html(page)
    assert isinstance(doc, Document)
    return doc.stated.published, doc.stated.evidence.get("published")


def _ld(entity: str) -> str:
    return f'<script type="application/ld+json">{entity}</script>'


PUBLISHED_META = '<meta property="article:published_time" content="2021-03-16T09:30:00+01:00">'


def test_published_time_meta_is_the_date() -> None:
    assert _published(_dated_page(PUBLISHED_META)) == (date(2021, 3, 16), "html:meta")


def test_date_only_in_the_story_text_or_an_update_stamp_is_none() -> None:
    in_text = "<p>The council first met on 12 January 2021 to discuss the bridge.</p>"
    assert _published(_dated_page(above=in_text)) == (None, None)
    updated = '<div class="date">Last updated: 18.03.2021</div>'
    assert _published(_dated_page(above=updated)) == (None, None)
    aktualisiert = '<p class="meta">Aktualisiert am 18. März 2021</p>'
    assert _published(_dated_page(above=aktualisiert)) == (None, None)


def test_modified_metadata_never_stands_for_the_publication() -> None:
    modified = (
        '<meta property="article:modified_time" content="2021-03-18T10:00:00Z">'
        '<meta property="og:updated_time" content="2021-03-18T10:00:00Z">'
        + _ld('{"@type": "NewsArticle", "dateModified": "2021-03-18"}')
    )
    assert _published(_dated_page(modified)) == (None, None)
    assert _published(_dated_page(PUBLISHED_META + modified)) == (date(2021, 3, 16), "html:meta")


def test_conflicting_metadata_states_no_date() -> None:
    jsonld = _ld('{"@type": "NewsArticle", "datePublished": "2021-03-14T08:00:00Z"}')
    assert _published(_dated_page(PUBLISHED_META + jsonld)) == (None, None)
    bare = '<meta name="date" content="2021-03-15">'  # a bare date tag must agree too
    assert _published(_dated_page(PUBLISHED_META + bare)) == (None, None)
    agreeing = _ld('{"@type": "NewsArticle", "datePublished": "2021-03-16T08:00:00Z"}')
    assert _published(_dated_page(PUBLISHED_META + agreeing)) == (date(2021, 3, 16), "html:meta")


def test_jsonld_date_of_the_page_not_of_its_reviews_images_or_listed_articles() -> None:
    recipe = _ld(
        '{"@type": "Recipe", "datePublished": "2019-05-02", "review": [{"@type": "Review", '
        '"datePublished": "2021-01-09"}], "image": {"@type": "ImageObject", '
        '"datePublished": "2018-01-01"}}'
    )
    assert _published(_dated_page(recipe)) == (date(2019, 5, 2), "html:jsonld")
    graph = _ld(
        '{"@graph": [{"@type": "ImageObject", "datePublished": "2018-01-01"}, '
        '{"@type": "BlogPosting", "datePublished": "2019-05-02T10:00:00+02:00"}]}'
    )
    assert _published(_dated_page(graph)) == (date(2019, 5, 2), "html:jsonld")
    listing = _ld(
        '[{"@type": "NewsArticle", "datePublished": "2021-03-16", "url": "https://news.example/bridge"},'
        ' {"@type": "NewsArticle", "datePublished": "2021-03-02", "url": "https://news.example/a"}]'
    )
    assert _published(_dated_page(listing)) == (date(2021, 3, 16), "html:jsonld")
    assert _published(_dated_page(listing, url="https://news.example/other")) == (None, None)


def test_microdata_date_only_when_the_page_has_one() -> None:
    one = '<span itemprop="datePublished" content="2021-03-16">16 March 2021</span>'
    assert _published(_dated_page(above=one)) == (date(2021, 3, 16), "html:microdata")
    teasers = (
        '<meta itemprop="datePublished" content="2021-03-16">'
        '<meta itemprop="datePublished" content="2021-03-09">'
    )
    assert _published(_dated_page(above=teasers)) == (None, None)


def test_a_stated_date_the_page_contradicts_is_dropped() -> None:
    shown = '<p class="date"><time datetime="2021-03-12">12. März 2021</time></p>'
    assert _published(_dated_page(PUBLISHED_META, above=shown)) == (None, None)
    same = '<p class="date"><time datetime="2021-03-16">16. März 2021</time></p>'
    assert _published(_dated_page(PUBLISHED_META, above=same)) == (date(2021, 3, 16), "html:meta")
    # a linked teaser's date or a comment's is another page's, not a contradiction
    teaser = '<a href="/older"><span class="date">02.03.2021</span> Older story</a>'
    comment = '<div class="comments"><span class="date">20.03.2021</span> Great!</div>'
    page = _dated_page(PUBLISHED_META, above=teaser + comment)
    assert _published(page) == (date(2021, 3, 16), "html:meta")


def test_a_revised_page_showing_another_modified_date_states_none() -> None:
    modified = '<meta property="article:modified_time" content="2021-04-02T10:00:00Z">'
    shown = (
        '<p class="meta"><time datetime="2021-03-16">16 March 2021</time>, '
        '<time datetime="2021-04-02">2 April 2021</time></p>'
    )
    assert _published(_dated_page(PUBLISHED_META + modified, above=shown)) == (None, None)
    assert _published(_dated_page(PUBLISHED_META + modified)) == (date(2021, 3, 16), "html:meta")


def test_a_bare_date_tag_the_page_labels_updated_is_none() -> None:
    bare = '<meta name="DC.date" content="2021-03-18">'
    updated = '<div class="info">Zuletzt geändert am: 18.03.2021</div>'
    assert _published(_dated_page(bare, above=updated)) == (None, None)
    assert _published(_dated_page(bare)) == (date(2021, 3, 18), "html:meta")


def test_url_date_full_day_only_and_agreeing() -> None:
    in_url = "https://news.example/2021/03/16/bridge"
    assert _published(_dated_page(url=in_url)) == (date(2021, 3, 16), "html:url")
    assert _published(_dated_page(url="https://news.example/2021/03/bridge")) == (None, None)
    assert _published(_dated_page(PUBLISHED_META, url=in_url)) == (date(2021, 3, 16), "html:meta")
    other = "https://news.example/2021/03/15/bridge"
    assert _published(_dated_page(PUBLISHED_META, url=other)) == (None, None)


def test_page_stating_nothing_keeps_the_one_date_it_shows() -> None:
    one = '<p class="byline">By Jane Marlow, <time>16.03.2021</time></p>'
    assert _published(_dated_page(above=one)) == (date(2021, 3, 16), "html:shown")
    two = one + '<p class="date">17.03.2021</p>'
    assert _published(_dated_page(above=two)) == (None, None)


def test_dates_after_latest_or_placeholders_are_ignored() -> None:
    future = '<meta property="article:published_time" content="2027-01-05">'
    assert _published(_dated_page(future)) == (None, None)  # OPTIONS.latest is 2026-01-01
    epoch = '<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
    assert _published(_dated_page(epoch + PUBLISHED_META)) == (date(2021, 3, 16), "html:meta")


def test_htmldate_policy_keeps_its_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "DATE_POLICY", "htmldate")
    assert _published(_dated_page(PUBLISHED_META)) == (date(2021, 3, 16), "html:htmldate")


def test_machine_and_shown_date_forms() -> None:
    assert html.machine_date("2021-03-16T23:30:00-05:00") == date(2021, 3, 16)
    assert html.machine_date("20210316") == date(2021, 3, 16)
    assert html.machine_date("16.03.2021 18:50") == date(2021, 3, 16)
    assert html.machine_date("Tue, 16 Mar 2021 09:49:32 GMT") == date(2021, 3, 16)
    assert html.machine_date("Tue Mar 16 09:49:32 UTC 2021") == date(2021, 3, 16)
    assert html.machine_date("03/16/2021") == date(2021, 3, 16)
    assert html.machine_date("01/10/2017") is None  # January or October
    assert html.machine_date("IDG Tech Media") is None
    assert html.shown_dates("Veröffentlicht am 19. Oktober 2019, 19:08 Uhr") == {date(2019, 10, 19)}
    assert html.shown_dates("Posted March 5th, 2020") == {date(2020, 3, 5)}
    assert html.shown_dates("04/05/2021") == {date(2021, 4, 5), date(2021, 5, 4)}
    assert html.shown_dates("WordPress 4.8.12 · 47 queries") == set()


# --- WARC ------------------------------------------------------------------------------

URI = "https://gazette.example/news/2021/council-bridge"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _warc(records: list[tuple], *, compress: bool) -> bytes:
    """A WARC written by warcio; records are (type, uri, date, http headers, payload)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=compress)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for rtype, uri, when, headers, payload in records:
        http = StatusAndHeaders(headers[0], headers[1:], protocol="HTTP/1.1") if headers else None
        record = writer.create_warc_record(
            uri,
            rtype,
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_record(record)
    return out.getvalue()


def _html_headers(*extra: tuple[str, str]) -> tuple:
    return ("200 OK", ("Content-Type", "text/html; charset=utf-8"), *extra)


SECOND_PAGE = GERMAN_PAGE.encode()
RECORDS = [
    (
        "request",
        URI,
        "2021-03-17T10:00:00Z",
        (),
        b"GET / HTTP/1.1\r\nHost: gazette.example\r\n\r\n",
    ),
    ("response", URI, "2021-03-17T10:00:01Z", _html_headers(), NEWS_PAGE.encode()),
    (
        "response",
        "https://gazette.example/logo.png",
        "2021-03-17T10:00:02Z",
        ("200 OK", ("Content-Type", "image/png")),
        PNG,
    ),
    ("response", URI, "2021-03-18T08:00:00Z", _html_headers(), SECOND_PAGE),
    ("revisit", URI, "2021-03-19T08:00:00Z", _html_headers(), b""),
]


def _read_warc(raw: bytes, filename: str = "crawl.warc.gz") -> list:
    return list(warc.READER.read(io.BytesIO(raw), filename, OPTIONS))


@pytest.mark.parametrize("compress", [True, False])
def test_warc_html_responses_become_documents(compress: bool) -> None:
    items = _read_warc(_warc(RECORDS, compress=compress))
    assert all(isinstance(i, Document) for i in items)
    assert [d.record_key for d in items] == [URI, f"{URI} @ 2021-03-18T08:00:00Z"]
    first, second = items
    assert first.format == second.format == "warc"
    assert first.stated.crawl_date == datetime(2021, 3, 17, 10, 0, 1, tzinfo=UTC)
    assert second.stated.crawl_date == datetime(2021, 3, 18, 8, 0, tzinfo=UTC)
    assert first.stated.url == second.stated.url == URI
    assert first.stated.evidence["url"] == "warc:target-uri"
    assert first.stated.evidence["crawl_date"] == "warc:date"
    # the WARC-Date is the crawl date; the publication date comes from the page
    assert first.stated.published == date(2021, 3, 16)
    assert second.stated.published is None
    assert STORY[0] in first.text and GERMAN[0] in second.text
    assert second.stated.language == "de"


@pytest.mark.parametrize("compress", [True, False])
def test_warc_summary_counts_every_record(compress: bool) -> None:
    summary = warc.warc_summary(io.BytesIO(_warc(RECORDS, compress=compress)))
    assert summary["types"] == {"warcinfo": 1, "request": 1, "response": 3, "revisit": 1}
    assert summary["records"] == 6
    assert summary["html_responses"] == 2
    assert summary["responses_skipped"] == {"not-html": 1}
    assert summary["truncated"] == []


def test_warc_same_uri_and_date_a_third_time_is_a_duplicate_key() -> None:
    again = ("response", URI, "2021-03-18T08:00:00Z", _html_headers(), SECOND_PAGE)
    items = _read_warc(_warc([*RECORDS, again], compress=True))
    assert [type(i) for i in items] == [Document, Document, RecordReject]
    assert items[2].reason == "duplicate_key"
    assert items[2].record_key == f"{URI} @ 2021-03-18T08:00:00Z"


def test_warc_chunked_gzip_payload_and_missing_content_type() -> None:
    body = gzip.compress(NEWS_PAGE.encode())
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500])
        for i in range(0, len(body), 500)
    )
    chunked += b"0\r\n\r\n"
    records = [
        (
            "response",
            "https://a.example/chunked",
            "2021-03-17T10:00:00Z",
            (
                "200 OK",
                ("Content-Type", "text/html"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Encoding", "gzip"),
            ),
            chunked,
        ),
        # ClueWeb-style: no content type at all, and a gzip claim over plain bytes
        (
            "response",
            "https://b.example/plain",
            "2021-03-17T10:00:00Z",
            ("200 OK", ("Content-Encoding", "gzip")),
            GERMAN_PAGE.encode(),
        ),
    ]
    docs = _read_warc(_warc(records, compress=True))
    assert [d.record_key for d in docs] == ["https://a.example/chunked", "https://b.example/plain"]
    assert STORY[0] in docs[0].text
    assert GERMAN[0] in docs[1].text


def test_warc_error_status_and_malformed_date() -> None:
    gone = ("404 Not Found", ("Content-Type", "text/html"))
    records = [
        ("response", "https://a.example/gone", "2021-03-17T10:00:00Z", gone, SECOND_PAGE),
        ("response", URI, "2008-10-294T05:21:46-0700", _html_headers(), NEWS_PAGE.encode()),
        (
            "response",
            "https://c.example/",
            "2008-10-29T05:21:46-0700",
            _html_headers(),
            SECOND_PAGE,
        ),
    ]
    items = _read_warc(_warc(records, compress=False))
    assert [d.record_key for d in items] == [URI, "https://c.example/"]
    assert items[0].stated.crawl_date is None  # kept, without a crawl date
    assert "crawl_date" not in items[0].stated.evidence
    assert items[1].stated.crawl_date == datetime(
        2008, 10, 29, 5, 21, 46, tzinfo=timezone(timedelta(hours=-7))
    )


def test_warc_boilerplate_response_is_a_no_text_reject_with_its_key() -> None:
    menu = BOILERPLATE_PAGE.encode()
    records = [
        ("response", "https://a.example/menu", "2021-03-17T10:00:00Z", _html_headers(), menu)
    ]
    items = _read_warc(_warc(records, compress=True))
    assert len(items) == 1
    assert isinstance(items[0], RecordReject)
    assert (items[0].record_key, items[0].reason) == ("https://a.example/menu", "no_text")


def _three_pages() -> list[tuple]:
    return [
        ("response", f"https://a.example/{n}", "2021-03-17T10:00:00Z", _html_headers(), page)
        for n, page in enumerate((NEWS_PAGE.encode(), SECOND_PAGE, NEWS_PAGE.encode() * 3))
    ]


def test_truncated_warc_gz_keeps_earlier_records_and_rejects_the_cut_one() -> None:
    raw = _warc(_three_pages(), compress=True)
    # the last gzip member is the third response: cut it in the middle of its payload
    last_member = raw.rindex(b"\x1f\x8b\x08")
    cut = raw[: last_member + (len(raw) - last_member) * 2 // 3]
    items = _read_warc(cut, "cut.warc.gz")
    assert [type(i) for i in items] == [Document, Document, RecordReject]
    assert [i.record_key for i in items] == [f"https://a.example/{n}" for n in range(3)]
    reject = items[2]
    assert reject.reason == "truncated"
    assert reject.message.startswith("cut.warc.gz: WARC record https://a.example/2 is cut short (")
    present, total = reject.message.split("(")[1].split(" bytes")[0].split(" of ")
    assert 0 < int(present.replace(",", "")) < int(total.replace(",", ""))


def test_warc_gz_cut_inside_a_record_header_is_truncated_too() -> None:
    raw = _warc(_three_pages(), compress=True)
    last_member = raw.rindex(b"\x1f\x8b\x08")
    # inflate just enough of the last member to end inside its WARC header
    for size in range(12, len(raw) - last_member):
        partial = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
            raw[last_member : last_member + size]
        )
        if b"WARC-Target-URI: https://a.example/2\r\n" in partial:
            break
    items = _read_warc(raw[: last_member + size], "cut.warc.gz")
    assert [type(i) for i in items] == [Document, Document, RecordReject]
    assert items[2].reason == "truncated"
    assert items[2].record_key == "https://a.example/2"


def test_plain_warc_cut_short_is_truncated() -> None:
    raw = _warc(_three_pages(), compress=False)
    items = _read_warc(raw[: len(raw) - 500], "cut.warc")
    assert [type(i) for i in items] == [Document, Document, RecordReject]
    assert items[2].reason == "truncated"
    assert "https://a.example/2 is cut short" in items[2].message


def test_warc_reads_a_stream_that_cannot_seek() -> None:
    class Pipe:
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    items = list(warc.READER.read(Pipe(_warc(RECORDS, compress=True)), "pipe.warc.gz", OPTIONS))
    assert [i.record_key for i in items] == [URI, f"{URI} @ 2021-03-18T08:00:00Z"]


def test_warc_sniff() -> None:
    plain = _warc(RECORDS, compress=False)
    packed = _warc(RECORDS, compress=True)
    assert warc.READER.sniff(plain[:65536], "x") == 40
    assert warc.READER.sniff(packed[:65536], "x") == 40
    assert warc.READER.sniff(b"WARC/0.18\r\nWARC-Type: warcinfo\r\n", "x") == 40
    assert warc.READER.sniff(gzip.compress(b"just some text"), "x.warc.gz") == 0
    assert warc.READER.sniff(b"WARCHIVE notes", "x.warc") == 0
    assert html.READER.sniff(packed[:65536], "x.html") == 0


def test_choose_reader_picks_warc_gz_by_content_despite_bin_name() -> None:
    packed = _warc(RECORDS, compress=True)
    assert choose_reader(packed[:65536], "x.bin").name == "warc"
    assert choose_reader(_warc(RECORDS, compress=False)[:65536], "x.txt").name == "warc"
    keys = [i.record_key for i in read_documents(packed, "x.bin", OPTIONS)]
    assert keys == [URI, f"{URI} @ 2021-03-18T08:00:00Z"]
