"""Database exports (tasks/readers/nexis.py, factiva.py, exports.py) on fixtures written here.

Every fixture is made by the test from what the exports' layouts look like: a Nexis Uni
DOCX (python-docx), LexisNexis Academic TXT (English and German counters), Nexis UK HTML,
Factiva HTML (display and field-table layouts) and Factiva XML. No evaluation data is used.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers import SNIFF_BYTES, choose_reader, read_documents
from wirehouse.tasks.readers.base import Document, ReadOptions, RecordReject
from wirehouse.tasks.readers.exports import content_key

OPTIONS = ReadOptions(latest=date(2030, 1, 1))

ARTICLES = [
    {
        "title": "Harbour authority approves the northern quay extension",
        "outlet": "The Coastal Gazette",
        "date": "March 3, 2021 Wednesday",
        "iso": date(2021, 3, 3),
        "byline": "Mira Okafor",
        "section": "LOCAL; Pg. 4",
        "words": 212,
        "body": [
            "The harbour authority voted on Tuesday to extend the northern quay by 140 metres.",
            "Work is due to start in the autumn and to last two years, the chair said.",
        ],
        "urn": "urn:contentItem:6A1B-2C3D-0000-0001-00000-00",
    },
    {
        "title": "Rail strike called off after overnight talks",
        "outlet": "Midland Evening Post",
        "date": "March 4, 2021 Thursday",
        "iso": date(2021, 3, 4),
        "byline": "Tomas Lindqvist",
        "section": "NEWS; Pg. 1",
        "words": 388,
        "body": [
            "A planned three-day rail strike was called off early on Thursday.",
            "Union leaders said the new offer met their main demands on shift patterns.",
            "Services will run to the normal timetable from Friday.",
        ],
        "urn": "urn:contentItem:6A1B-2C3D-0000-0002-00000-00",
    },
    {
        "title": "Library reopens with a hall for local archives",
        "outlet": "The Coastal Gazette",
        "date": "March 5, 2021 Friday",
        "iso": date(2021, 3, 5),
        "byline": "Mira Okafor",
        "section": "CULTURE; Pg. 12",
        "words": 150,
        "body": ["The town library reopened after eighteen months of building work."],
        "urn": "urn:contentItem:6A1B-2C3D-0000-0003-00000-00",
    },
]


def _read(raw: bytes, name: str) -> list[Document | RecordReject]:
    return list(read_documents(raw, name, OPTIONS))


def _documents(items: list) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def _rejects(items: list, reason: str | None = None) -> list[RecordReject]:
    return [i for i in items if isinstance(i, RecordReject) and reason in (None, i.reason)]


def _reader_of(raw: bytes, name: str) -> str:
    return choose_reader(raw[:SNIFF_BYTES], name).name


# -- Nexis Uni DOCX ----------------------------------------------------------------------


def _hyperlink(paragraph: docx.text.paragraph.Paragraph, url: str, text: str) -> None:
    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _nexis_docx(articles: list[dict], *, cover: bool = True, lose_end: int | None = None) -> bytes:
    """A Nexis Uni delivery: cover page with a linked table of contents, then articles
    ending with "End of Document" (the one at `lose_end` loses its marker)."""
    document = docx.Document()
    if cover:
        document.add_paragraph("Date and Time: Monday, 8 March 2021 10:12:00 CET")
        document.add_paragraph("Job Number: 12345678")
        document.add_paragraph(f"Documents ({len(articles)})")
        for number, article in enumerate(articles, 1):
            entry = document.add_paragraph(f"{number}. ")
            url = f"https://advance.lexis.com/api/document?id={article['urn']}&idtype=PID"
            _hyperlink(entry, url, article["title"])
            document.add_paragraph("Client/Matter: -None-")
            document.add_paragraph("Search Terms: harbour OR rail OR library")
            document.add_paragraph("Search Type: Natural Language")
            document.add_paragraph("Narrowed by: ")
            table = document.add_table(rows=2, cols=2)
            table.cell(0, 0).text, table.cell(0, 1).text = "Content Type", "Narrowed by"
            table.cell(1, 0).text, table.cell(1, 1).text = "News", "Sources: Regional papers"
    for k, article in enumerate(articles):
        document.add_paragraph(article["title"])
        document.add_paragraph(article["outlet"])
        document.add_paragraph(article["date"])
        document.add_paragraph("")
        document.add_paragraph(f"Copyright 2021 {article['outlet']} All Rights Reserved")
        document.add_paragraph(f"Section:\u00a0{article['section']}")
        document.add_paragraph(f"Length:\u00a0{article['words']} words")
        document.add_paragraph(f"Byline:\u00a0{article['byline']}")
        document.add_paragraph("Body")
        for paragraph in article["body"]:
            document.add_paragraph(paragraph)
        document.add_paragraph("Classification")
        document.add_paragraph("Language:\u00a0ENGLISH")
        document.add_paragraph("Load-Date:\u00a0March 8, 2021")
        if k != lose_end:
            document.add_paragraph("End of Document")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("Minutes of the committee meeting")
    document.add_paragraph("Present: the chair, the treasurer and four members.")
    document.add_paragraph("The budget for next year was approved without changes.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_nexis_docx_articles_fields_and_ids():
    items = _read(_nexis_docx(ARTICLES), "delivery.docx")
    docs = _documents(items)
    assert not _rejects(items)
    assert [d.format for d in docs] == ["nexis-docx"] * 3
    for doc, want in zip(docs, ARTICLES, strict=True):
        assert doc.record_key == want["urn"]  # the id the table of contents links
        s = doc.stated
        assert (s.title, s.outlet, s.published) == (want["title"], want["outlet"], want["iso"])
        assert (s.byline, s.section, s.language) == (want["byline"], want["section"], "ENGLISH")
        assert doc.text == "\n\n".join(want["body"])  # no cover, fields or classification
        assert s.evidence["title"] == "export:headline"
        assert s.evidence["published"] == "export:date"
        assert s.evidence["outlet"] == "export:publication"


def test_nexis_docx_without_cover_uses_content_keys():
    docs = _documents(_read(_nexis_docx(ARTICLES, cover=False), "plain.docx"))
    assert [d.stated.title for d in docs] == [a["title"] for a in ARTICLES]
    first = ARTICLES[0]
    assert docs[0].record_key == content_key(
        first["outlet"], first["iso"], first["title"], "\n\n".join(first["body"])
    )
    assert all(d.record_key.startswith("sha256:") and len(d.record_key) == 23 for d in docs)


def test_nexis_docx_lost_end_of_document_is_split_not_merged():
    items = _read(_nexis_docx(ARTICLES, lose_end=0), "merged.docx")
    docs = _documents(items)
    assert [d.stated.title for d in docs] == [a["title"] for a in ARTICLES]
    assert ARTICLES[1]["body"][0] not in docs[0].text
    assert not _rejects(items)


def test_nexis_docx_missing_article_is_accounted_for():
    raw = _nexis_docx(ARTICLES)
    # The same delivery with the second article's pages gone: the cover still says 3.
    document = docx.Document(io.BytesIO(raw))
    body = document.element.body
    paragraphs = list(document.paragraphs)
    texts = [p.text for p in paragraphs]
    start = texts.index(ARTICLES[1]["title"], texts.index(ARTICLES[0]["body"][0]))
    end = texts.index("End of Document", start)
    for paragraph in paragraphs[start : end + 1]:
        body.remove(paragraph._p)
    buffer = io.BytesIO()
    document.save(buffer)
    items = _read(buffer.getvalue(), "short.docx")
    assert len(_documents(items)) == 2
    (reject,) = _rejects(items, "unsplittable")
    assert reject.record_key is None
    assert "announces 3 articles" in reject.message and "read 2" in reject.message
    assert ARTICLES[1]["title"][:30] in reject.message  # the table of contents names it


def test_word_document_that_is_not_an_export():
    raw = _word_document()
    from wirehouse.tasks.readers import nexis

    assert nexis.DOCX_READER.sniff(raw[:SNIFF_BYTES], "notes.docx") == 0
    assert _reader_of(raw, "export.docx") != "nexis-docx"
    with pytest.raises(RejectError) as caught:
        list(read_documents(raw, "notes.docx", OPTIONS, format="nexis-docx"))
    assert caught.value.reason == "bad_format"
    assert caught.value.message == "notes.docx is a Word document, not a Nexis export"


def test_nexis_docx_sniffed_inside_a_renamed_file():
    raw = _nexis_docx(ARTICLES)
    assert _reader_of(raw, "download.zip") == "nexis-docx"
    assert _reader_of(raw, "download.bin") == "nexis-docx"


# -- LexisNexis Academic TXT -------------------------------------------------------------


def _centre(text: str) -> str:
    return " " * ((80 - len(text)) // 2) + text


def _txt_article(n: int, total: int, article: dict, *, german: bool = False) -> str:
    counter = f"{n} von {total} DOKUMENTEN" if german else f"{n} of {total} DOCUMENTS"
    labels = (
        ("AUTOR", "RUBRIK", "LÄNGE", "Wörter", "UPDATE", "SPRACHE", "GERMAN; DEUTSCH")
        if german
        else ("BYLINE", "SECTION", "LENGTH", "words", "LOAD-DATE", "LANGUAGE", "ENGLISH")
    )
    by, section, length, unit, load, language, language_value = labels
    lines = [
        "",
        _centre(counter),
        "",
        "",
        _centre(article["outlet"]),
        "",
        _centre(article["date"]),
        "",
        article["title"],
        "",
        f"{by}: {article['byline']}",
        "",
        f"{section}: {article['section']}",
        "",
        f"{length}: {article['words']} {unit}",
        "",
    ]
    for paragraph in article["body"]:
        lines += [paragraph, ""]
    lines += [
        f"{load}: March 8, 2021",
        "",
        f"{language}: {language_value}",
        "",
        "PUBLICATION-TYPE: Newspaper",
        "",
        "",
        _centre(f"Copyright 2021 {article['outlet']}"),
        _centre("All Rights Reserved"),
        "",
    ]
    return "\r\n".join(lines)


def _txt_export(articles: list[dict], *, total: int | None = None, numbers=None, header=True):
    total = len(articles) if total is None else total
    numbers = numbers or list(range(1, len(articles) + 1))
    head = ""
    if header:
        head = (
            f"\r\n\r\nDownload Request: Selected Items: 1-{total}\r\n"
            "Time Of Request: Monday, March 8, 2021  10:12:00\r\n\r\nTerms: harbour\r\n\r\n"
        )
    body = "".join(_txt_article(n, total, a) for n, a in zip(numbers, articles, strict=True))
    return ("\ufeff" + head + body).encode("utf-8")


def test_lexisnexis_txt_english():
    items = _read(_txt_export(ARTICLES), "export.TXT")
    docs = _documents(items)
    assert not _rejects(items)
    assert [d.format for d in docs] == ["lexisnexis-txt"] * 3
    for doc, want in zip(docs, ARTICLES, strict=True):
        s = doc.stated
        assert (s.title, s.outlet, s.published) == (want["title"], want["outlet"], want["iso"])
        assert (s.byline, s.section, s.language) == (want["byline"], want["section"], "ENGLISH")
        assert doc.text == "\n\n".join(want["body"])
        assert "Copyright" not in doc.text and "LOAD-DATE" not in doc.text
        assert doc.record_key.startswith("sha256:")


def test_lexisnexis_txt_german_counters_and_fields():
    german = dict(ARTICLES[0], date="Mittwoch 3. März 2021")
    raw = ("\r\n".join(["", ""]) + _txt_article(1, 2, german, german=True)).encode("utf-8")
    raw += _txt_article(2, 2, ARTICLES[1], german=True).encode("utf-8")
    items = _read(raw, "export.txt")
    docs = _documents(items)
    assert len(docs) == 2 and not _rejects(items)
    assert docs[0].stated.published == date(2021, 3, 3)
    assert docs[0].stated.language == "GERMAN; DEUTSCH"
    assert docs[0].stated.byline == ARTICLES[0]["byline"]  # AUTOR:
    assert docs[1].stated.section == ARTICLES[1]["section"]  # RUBRIK:


def test_counter_says_ten_holds_nine():
    articles = [dict(ARTICLES[k % 3], title=f"Council notes, part {k + 1}") for k in range(9)]
    items = _read(_txt_export(articles, total=10, header=False), "nine.txt")
    assert len(_documents(items)) == 9
    (reject,) = _rejects(items)
    assert reject.reason == "unsplittable" and reject.record_key is None
    assert "announces 10 articles" in reject.message and "read 9" in reject.message
    assert "1 could not be placed" in reject.message


def test_missing_article_in_the_middle_is_named():
    articles = [dict(ARTICLES[k % 3], title=f"Council notes, part {k + 1}") for k in range(4)]
    raw = _txt_export(articles, total=5, numbers=[1, 2, 4, 5])
    items = _read(raw, "gap.txt")
    assert len(_documents(items)) == 4
    (reject,) = _rejects(items, "unsplittable")
    assert "announces 5 articles" in reject.message and "no. 3" in reject.message


def test_record_keys_stable_when_an_article_is_removed():
    full = _documents(_read(_txt_export(ARTICLES), "full.txt"))
    shorter = _documents(_read(_txt_export([ARTICLES[0], ARTICLES[2]]), "short.txt"))
    assert len({d.record_key for d in full}) == 3
    assert [d.record_key for d in shorter] == [full[0].record_key, full[2].record_key]


def test_identical_articles_get_distinct_keys():
    docs = _documents(_read(_txt_export([ARTICLES[0], ARTICLES[0]]), "twice.txt"))
    assert len(docs) == 2
    assert docs[1].record_key == docs[0].record_key + "~2"


def test_block_without_body_is_a_no_text_reject():
    empty = dict(ARTICLES[1], body=[])
    items = _read(_txt_export([ARTICLES[0], empty, ARTICLES[2]]), "empty.txt")
    assert len(_documents(items)) == 2
    (reject,) = _rejects(items)
    assert reject.reason == "no_text" and reject.record_key.startswith("sha256:")
    assert "article 2" in reject.message


# -- Nexis UK HTML -----------------------------------------------------------------------


def _nexis_html(articles: list[dict], *, declared: int | None = None, error_block=False) -> bytes:
    declared = len(articles) + error_block if declared is None else declared
    parts = [
        '<HTML><HEAD><STYLE TYPE="text/css"><!--\n'
        ".c0 { text-align: center; }\n.c1 { text-align: center; margin-top: 0em; }\n"
        ".c5 { text-align: left; }\n.c6 { text-align: left; margin-top: 0em; }\n"
        ".c8 { font-weight: bold; }\n--></STYLE>\n"
        f'<META TOPIC="null" DOCUMENTS="{declared}" UPDATED="Monday, March 8, 2021" /></HEAD>'
        "<BODY>"
    ]
    for n, a in enumerate(articles, 1):
        fields = "".join(
            f'<BR><DIV CLASS="c5"><P CLASS="c6"><SPAN CLASS="c8">{label}: </SPAN>'
            f"<SPAN>{value}</SPAN></P></DIV>\n"
            for label, value in (
                ("BYLINE", a["byline"]),
                ("SECTION", a["section"]),
                ("LENGTH", f"{a['words']} words"),
            )
        )
        body = "".join(f'<P CLASS="c6"><SPAN>{p}</SPAN></P>\n' for p in a["body"])
        parts.append(
            f'<A NAME="DOC_ID_{n}"></A><!-- Hide XML section from browser\n<DOC NUMBER={n}>\n'
            "<DOCFULL> -->\n"
            f'<BR><DIV CLASS="c0"><P CLASS="c1"><SPAN>{n} of {declared} DOCUMENTS</SPAN></P></DIV>'
            f'<BR><DIV CLASS="c0"><P CLASS="c1"><SPAN>{a["outlet"]}</SPAN></P></DIV>'
            f'<BR><DIV CLASS="c0"><P CLASS="c1"><SPAN>{a["date"]}</SPAN></P></DIV>'
            f'<BR><DIV CLASS="c5"><P CLASS="c6"><SPAN>{a["title"]}</SPAN></P></DIV>\n'
            f'{fields}<BR><DIV CLASS="c5">{body}</DIV>'
            '<BR><DIV CLASS="c5"><P CLASS="c6"><SPAN CLASS="c8">LOAD-DATE: </SPAN>'
            "<SPAN>March 8, 2021</SPAN></P></DIV>"
            '<BR><DIV CLASS="c5"><P CLASS="c6"><SPAN CLASS="c8">LANGUAGE: </SPAN>'
            "<SPAN>ENGLISH</SPAN></P></DIV>"
            f'<BR><DIV CLASS="c0"><P CLASS="c1"><SPAN>Copyright 2021 {a["outlet"]}<BR>'
            "All Rights Reserved</SPAN></P></DIV>\n"
            "<!-- Hide XML section from browser\n</DOCFULL>\n</DOC> -->\n"
        )
    if error_block:
        parts.append(
            "<!-- Hide XML section from browser\n<DOC NUMBER=9>\n<DOCFULL> -->\n"
            '<DIV CLASS="c5"><P CLASS="c6"><SPAN>We are sorry but this document cannot be '
            "shown.</SPAN></P></DIV>\n<!-- Hide XML section from browser\n</DOCFULL>\n</DOC> -->\n"
        )
    parts.append("</BODY></HTML>")
    return "".join(parts).encode("utf-8")


def test_nexis_uk_html():
    raw = _nexis_html(ARTICLES)
    assert _reader_of(raw, "export.html") == "lexisnexis-html"
    items = _read(raw, "export.html")
    docs = _documents(items)
    assert not _rejects(items)
    for doc, want in zip(docs, ARTICLES, strict=True):
        assert doc.format == "lexisnexis-html"
        s = doc.stated
        assert (s.title, s.outlet, s.published) == (want["title"], want["outlet"], want["iso"])
        assert (s.byline, s.section, s.language) == (want["byline"], want["section"], "ENGLISH")
        assert doc.text == "\n\n".join(want["body"])


def test_nexis_uk_html_error_block_and_declared_count():
    items = _read(_nexis_html(ARTICLES[:2], error_block=True), "with-error.html")
    assert len(_documents(items)) == 2
    (bad,) = _rejects(items)
    assert bad.reason == "bad_record" and "We are sorry" in bad.message
    items = _read(_nexis_html(ARTICLES, declared=5), "declared.html")
    (short,) = _rejects(items)
    assert short.reason == "unsplittable" and 'DOCUMENTS="5"' in short.message


# -- Factiva -----------------------------------------------------------------------------


def _factiva_display(articles: list[dict]) -> bytes:
    blocks = []
    for k, a in enumerate(articles):
        an = f"COAGAZ0020210303eh33000{k}x"
        paragraphs = "".join(
            f'<p class="articleParagraph dearticleParagraph">{p}</p>\n' for p in a["body"]
        )
        blocks.append(
            f'<div id="article-{an}" class="article"><div class="article deArticle"><p>\n'
            f"</p><div>{a['section'].split(';')[0].title()}</div>\n"
            f'<div id="hd"><span class="deHeadline">{a["title"]}</span>\n</div>'
            f'<div class="author">{a["byline"]} </div><div>{a["words"]} Wörter</div>'
            f"<div>{a['iso'].day} März {a['iso'].year}</div><div>{a['outlet']}</div>"
            f"<div>COAGAZ</div><div>{k + 10}</div><div>Deutsch</div>"
            f"<div>Copyright 2021 {a['outlet']}. </div>\n<p></p>\n{paragraphs}"
            f"<p>Gazette Media Ltd</p><p>Dokument {an}</p></div></div><br/>"
        )
    page = (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x">\n<html><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        "<title>Factiva</title></head><body><form>"
        f'<div id="contentWrapper"><div id="contentLeft">{"".join(blocks)}</div></div>'
        "</form></body></html>"
    )
    return page.encode("utf-8")


def _factiva_tables(articles: list[dict]) -> bytes:
    blocks = []
    for k, a in enumerate(articles):
        rows = [
            ("HD", f"<b class='enHeadline'>{a['title']}</b>"),
            ("BY", a["byline"]),
            ("WC", f"{a['words']} words"),
            ("PD", f"{a['iso'].day} March {a['iso'].year}"),
            ("SN", a["outlet"]),
            ("SC", "COAGAZ"),
            ("LA", "English"),
            ("CY", "(c) 2021 Gazette Media"),
        ]
        cells = "".join(
            f'<tr><td align="right" valign="top" class="index"><b>{c}</b>&nbsp;</td>'
            f"<td>{v}</td></tr>"
            for c, v in rows
        )
        text = "".join(f'<p class="articleParagraph enarticleParagraph">{p}</p>' for p in a["body"])
        blocks.append(
            f'<div class="article enArticle"><table>{cells}<tr><td class="index"><p><b>TD</b>'
            f"</p></td><td>{text}</td></tr><tr><td class='index'><b>AN</b></td><td><br/>"
            f"Document COAGAZ0020210303eh33001{k}y</td></tr></table></div>"
        )
    page = (
        "<!DOCTYPE html>\n<html><head><title>Factiva</title></head><body>"
        f'<div id="contentLeft">{"".join(blocks)}</div></body></html>'
    )
    return page.encode("utf-8")


def test_factiva_html_display_layout():
    raw = _factiva_display(ARTICLES)
    assert _reader_of(raw, "factiva.htm") == "factiva-html"
    docs = _documents(_read(raw, "factiva.htm"))
    assert len(docs) == 3
    for k, (doc, want) in enumerate(zip(docs, ARTICLES, strict=True)):
        assert doc.record_key == f"COAGAZ0020210303eh33000{k}x"
        s = doc.stated
        assert (s.title, s.outlet, s.published) == (want["title"], want["outlet"], want["iso"])
        assert (s.byline, s.language) == (want["byline"], "Deutsch")
        assert doc.text == "\n\n".join(want["body"])  # no publisher, no accession number


def test_factiva_html_field_tables():
    docs = _documents(_read(_factiva_tables(ARTICLES), "tables.html"))
    assert [d.record_key for d in docs] == [f"COAGAZ0020210303eh33001{k}y" for k in range(3)]
    s = docs[1].stated
    assert (s.title, s.outlet, s.published, s.byline, s.language) == (
        ARTICLES[1]["title"],
        ARTICLES[1]["outlet"],
        ARTICLES[1]["iso"],
        ARTICLES[1]["byline"],
        "English",
    )
    assert docs[1].text == "\n\n".join(ARTICLES[1]["body"])


def _factiva_xml(articles: list[dict], count: int) -> bytes:
    items = []
    for k, a in enumerate(articles):
        paragraphs = "".join(f"<paragraph>{p}</paragraph>" for p in a["body"][1:])
        items.append(
            f"<ppsarticle><article><accessionNo>COAGAZ0020210303eh33002{k}z</accessionNo>"
            f"<baseLanguage>EN</baseLanguage><headline><paragraph>{a['title']}</paragraph>"
            f"</headline><byline><paragraph>{a['byline']}</paragraph></byline>"
            f"<leadParagraph><paragraph>{a['body'][0]}</paragraph></leadParagraph>"
            f"<publicationDate><date>{a['iso'].isoformat()}</date></publicationDate>"
            f"<sourceName>{a['outlet']}</sourceName><tailParagraphs>{paragraphs}"
            f"</tailParagraphs><wordCount>{a['words']}</wordCount></article></ppsarticle>"
        )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<PPSResponse><ppsArticleResponse '
        'xmlns="http://global.factiva.com/pps/2.0">'
        f'<ppsarticleResultSet count="{count}">{"".join(items)}</ppsarticleResultSet>'
        "</ppsArticleResponse></PPSResponse>"
    )
    return xml.encode("utf-8")


def test_factiva_xml_and_its_declared_count():
    items = _read(_factiva_xml(ARTICLES, 3), "factiva.xml")
    docs = _documents(items)
    assert not _rejects(items)
    assert [d.format for d in docs] == ["factiva-xml"] * 3
    assert docs[1].record_key == "COAGAZ0020210303eh330021z"
    s = docs[1].stated
    assert (s.title, s.outlet, s.published, s.byline, s.language) == (
        ARTICLES[1]["title"],
        ARTICLES[1]["outlet"],
        ARTICLES[1]["iso"],
        ARTICLES[1]["byline"],
        "EN",
    )
    assert docs[1].text == "\n\n".join(ARTICLES[1]["body"])
    items = _read(_factiva_xml(ARTICLES[:2], 3), "short.xml")
    assert len(_documents(items)) == 2
    (reject,) = _rejects(items)
    assert reject.reason == "unsplittable" and 'count="3"' in reject.message


# -- choosing by content -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "reader"),
    [
        (lambda: _txt_export(ARTICLES), "export.html", "lexisnexis-txt"),
        (lambda: _nexis_html(ARTICLES), "export.txt", "lexisnexis-html"),
        (lambda: _factiva_display(ARTICLES), "page.txt", "factiva-html"),
        (lambda: _factiva_xml(ARTICLES, 3), "export.json", "factiva-xml"),
        (lambda: _nexis_docx(ARTICLES), "export.txt", "nexis-docx"),
    ],
)
def test_sniffed_by_content_not_by_extension(make, name, reader):
    raw = make()
    assert _reader_of(raw, name) == reader
    assert {d.format for d in _documents(_read(raw, name))} == {reader}


def test_plain_text_and_plain_html_are_not_claimed():
    from wirehouse.tasks.readers import factiva, nexis

    story = b"Harbour extension approved\n\nThe harbour authority voted on Tuesday.\n"
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body><p>Hi</p></body></html>"
    for reader in (nexis.TXT_READER, nexis.HTML_READER, factiva.HTML_READER, factiva.XML_READER):
        assert reader.sniff(story, "story.txt") == 0
        assert reader.sniff(page, "page.html") == 0
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes/readme.txt", "not a Word file")
    assert nexis.DOCX_READER.sniff(other_zip.getvalue(), "a.zip") == 0


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_lexisnexis_txt_in_other_encodings(encoding):
    article = dict(
        ARTICLES[0],
        title="Hafenbehörde genehmigt die Erweiterung des Nordkais für größere Schiffe",
        date="Mittwoch 3. März 2021",
        body=["Die Hafenbehörde hat am Dienstag beschlossen, den nördlichen Kai zu verlängern."],
    )
    raw = _txt_article(1, 1, article, german=True).encode(encoding)
    (doc,) = _documents(_read(raw, "export.txt"))
    assert doc.format == "lexisnexis-txt"
    assert doc.stated.title == article["title"]
    assert doc.stated.published == date(2021, 3, 3)
    assert doc.text == article["body"][0]
