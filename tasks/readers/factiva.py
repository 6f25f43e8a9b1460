"""Factiva exports: saved Factiva HTML pages and Factiva (PPS) XML.

Two readers (shared machinery and the accounting rule: `tasks/readers/exports.py`):

- `factiva-html`: each article is a `<div class="article xxArticle">` (the innermost
  `article` div). Two layouts:
  * field tables: rows of a code cell (`<td class="index">HD</td>`) and its value: `HD`
    headline, `BY` byline, `SE` section, `WC` words, `PD` date, `SN` source (outlet),
    `LA` language, `LP` lead and `TD` text paragraphs (the body), `AN` accession number;
  * the display layout of English, German, Chinese… interfaces: the section, then
    `<div id="hd">` (headline), `<div class="author">`, then unlabelled lines in a fixed
    order: words ("1285 Wörter", "8165 字"), date, [time], source name, source code,
    [edition, page…], language, copyright; then the `articleParagraph` paragraphs and
    "Document AN" (the word in the interface's language).
  The page announces its articles by their accession numbers: one that no article block
  holds is reported as unplaced.
- `factiva-xml`: `<ppsarticle><article>` elements with `accessionNo`, `headline`,
  `byline`, `sectionName`, `wordCount`, `publicationDate`, `sourceName`,
  `baseLanguage`, `leadParagraph` and `tailParagraphs`; `<ppsarticleResultSet
  count="…">` announces how many.

The record key is the accession number.
"""

from __future__ import annotations

import re
from datetime import date

from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers.exports import (
    ExportArticle,
    ExportParse,
    ExportReader,
    clean,
    decode_export,
    export_date,
    head_text,
    language_code,
    mentions,
    paragraphs_text,
    word_count,
)

SNIFF_SCORE_FACTIVA = 20  # beats the generic HTML reader (10)

_STARTS_MARKUP = re.compile(r"^\s*<")
_LOOKS_HTML = re.compile(r"<(?:html|head|body|meta|div)[\s>/]", re.IGNORECASE)
_FACTIVA_PAGE = re.compile(
    r"<title>\s*Factiva\s*</title>|divFactivaException|factiva\.com/|class=['\"]factivalogo"
    r"|class=['\"]article \w{2,6}Article['\"]",
    re.IGNORECASE,
)
# In every _FACTIVA_PAGE match, and every _PPS match (case-folded).
_FACTIVA_WORDS = ("factiva", 'class="article ', "class='article ")
_PPS_WORDS = ("ppsarticle", "factiva.com/pps")
_FACTIVA_XML = re.compile(r"<\?xml|<PPSResponse|ppsArticleResponse|global\.factiva\.com/pps")
_PPS = re.compile(r"ppsarticle|global\.factiva\.com/pps", re.IGNORECASE)
# An accession number: source code, the date, a sequence ("SUDOS00020131120e9bj0001v").
_AN = r"[A-Z][A-Z0-9]{2,14}(?:19|20)\d{6}[a-z0-9]{5,12}"
_AN_LINE = re.compile(rf"^(?:\S{{1,20}}\s+)?({_AN})$")
_AN_IN_PAGE = re.compile(rf">\s*[^\s<>]{{1,20}}\s+({_AN})\s*<")
_WORDS = re.compile(r"^\d[\d.,\u00a0 ]*\s*\S{1,12}$")
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s+\S{1,6})?$")
_COPYRIGHT = re.compile(
    r"^\s*(?:copyright|©|\(c\)|\(C\))|all rights reserved|alle rechte|tous droits",
    re.IGNORECASE,
)
_COUNTED = re.compile(r"^\d{1,5}\)\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]{2,}\S)")


class FactivaHtmlReader(ExportReader):
    name = "factiva-html"
    description = "a saved Factiva HTML page: <div class='article'> blocks, 'Document AN'"

    def sniff(self, head: bytes, filename: str) -> int:
        text = head_text(head)
        if not (_STARTS_MARKUP.match(text) and _LOOKS_HTML.search(text[:4096])):
            return 0
        if mentions(head, _FACTIVA_WORDS) and _FACTIVA_PAGE.search(text):
            return SNIFF_SCORE_FACTIVA
        return 0

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        from lxml import html as lxml_html

        markup = decode_export(raw, markup=True)
        try:
            tree = lxml_html.document_fromstring(markup)
        except Exception as exc:  # lxml's parser errors on empty or broken documents
            raise RejectError(
                "bad_format", f"{filename}: not a readable HTML page ({type(exc).__name__})"
            ) from exc
        blocks = _article_divs(tree)
        if not blocks:
            raise RejectError("bad_format", f"{filename}: a Factiva page with no articles")
        articles = [
            _html_article(block, position, latest) for position, block in enumerate(blocks, 1)
        ]
        numbers = list(dict.fromkeys(_AN_IN_PAGE.findall(markup)))
        placed = {a.record_id for a in articles if a.record_id}
        announced = len(set(numbers) | placed) if numbers else None
        missing = [n for n in numbers if n not in placed]
        by = f"{announced} accession numbers on the page" if announced else ""
        return ExportParse(articles, announced, by, missing)


class FactivaXmlReader(ExportReader):
    name = "factiva-xml"
    description = "a Factiva XML export: <ppsarticle> elements, count= announced"

    def sniff(self, head: bytes, filename: str) -> int:
        text = head_text(head)
        if _FACTIVA_XML.search(text[:2048]) and mentions(head, _PPS_WORDS) and _PPS.search(text):
            return SNIFF_SCORE_FACTIVA
        return 0

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        from lxml import etree

        parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False,
                                 no_network=True)  # fmt: skip
        try:
            root = etree.fromstring(raw, parser=parser)
        except etree.XMLSyntaxError as exc:
            raise RejectError("bad_format", f"{filename}: not readable XML ({exc})") from exc
        if root is None:
            raise RejectError("bad_format", f"{filename}: not readable XML")
        announced = 0
        declared = False
        blocks = []
        for element in root.iter():
            name = _local(element)
            if name == "ppsarticleResultSet" and element.get("count", "").strip().isdigit():
                announced += int(element.get("count").strip())
                declared = True
            elif name == "ppsarticle":
                blocks.append(element)
        if not blocks:
            blocks = [e for e in root.iter() if _local(e) == "article"]
        if not blocks:
            raise RejectError("bad_format", f"{filename}: Factiva XML with no articles")
        articles = [
            _xml_article(block, position, latest) for position, block in enumerate(blocks, 1)
        ]
        by = f'count="{announced}"' if declared else ""
        return ExportParse(articles, announced if declared else None, by)


# -- HTML --------------------------------------------------------------------------------


def _classes(element: object) -> list[str]:
    return (element.get("class") or "").split()  # type: ignore[attr-defined]


def _article_divs(tree: object) -> list[object]:
    """The innermost `div.article` elements that hold a headline or a field table."""
    divs = [d for d in tree.iter("div") if "article" in _classes(d)]  # type: ignore[attr-defined]
    inner = []
    for div in divs:
        nested = any("article" in _classes(d) for d in div.iterdescendants("div"))
        if nested:
            continue
        if div.xpath('.//*[@id="hd"] | .//td[contains(@class, "index")]'):
            inner.append(div)
    return inner


def _text(element: object) -> str:
    return " ".join(element.text_content().split())  # type: ignore[attr-defined]


def _html_article(div: object, position: int, latest: date) -> ExportArticle:
    if div.xpath('.//td[contains(@class, "index")]'):  # type: ignore[attr-defined]
        return _table_article(div, position, latest)
    return _display_article(div, position, latest)


def _table_article(div: object, position: int, latest: date) -> ExportArticle:
    article = ExportArticle(position=position)
    body: list[str] = []
    for row in div.iter("tr"):  # type: ignore[attr-defined]
        cells = row.findall("td")
        if len(cells) < 2 or "index" not in _classes(cells[0]):
            continue
        code = _text(cells[0]).upper()
        value = cells[1]
        if code in ("LP", "TD"):
            paragraphs = [_text(p) for p in value.iter("p")] or [_text(value)]
            body.extend(p for p in paragraphs if p)
            continue
        text = _text(value)
        article.fields.setdefault(code, text)
    f = article.fields
    article.title = clean(f.get("HD"))
    article.byline = clean(f.get("BY"))
    article.section = clean(f.get("SE"))
    article.outlet = clean(f.get("SN"))
    article.language = clean(f.get("LA"))
    article.length = word_count(f.get("WC"))
    article.edition = clean(f.get("ED"))
    article.date_text = clean(f.get("PD"))
    article.published = export_date(f.get("PD"), latest, language_code(article.language))
    an = _AN_LINE.match(f.get("AN", ""))
    article.record_id = an.group(1) if an else clean(f.get("AN"))
    article.body = paragraphs_text(body)
    return article


def _leaves(div: object) -> list[object]:
    """The div and p elements of an article that hold no div or p themselves."""
    leaves = []
    for element in div.iterdescendants("div", "p"):  # type: ignore[attr-defined]
        if next(element.iterdescendants("div", "p"), None) is None:
            leaves.append(element)
    return leaves


def _display_article(div: object, position: int, latest: date) -> ExportArticle:
    article = ExportArticle(position=position)
    section: list[str] = []
    meta: list[str] = []
    body: list[str] = []
    seen_headline = False
    for leaf in _leaves(div):
        text = _text(leaf)
        if leaf.get("id") == "hd":
            if leaf.xpath('.//*[contains(concat(" ", @class, " "), " counted ")]'):
                text = _COUNTED.sub("", text)  # "12) Headline": the list's numbering
            article.title = clean(text)
            seen_headline = True
            continue
        if not text:
            continue
        if leaf.tag == "p":
            if any("articleParagraph" in c for c in _classes(leaf)):
                body.append(text)
            else:
                an = _AN_LINE.match(text)
                if an:
                    article.record_id = an.group(1)
            continue
        if not seen_headline:
            section.append(text)
        elif "author" in _classes(leaf):
            article.byline = clean(text)
        elif not body:
            meta.append(text)
    article.section = clean("; ".join(section)) if section else None
    _read_meta(article, meta, latest)
    article.body = paragraphs_text(body)
    return article


def _read_meta(article: ExportArticle, meta: list[str], latest: date) -> None:
    """Words, date, source, language from the unlabelled lines after the headline."""
    copyright_at = next((i for i, t in enumerate(meta) if _COPYRIGHT.search(t)), len(meta))
    if copyright_at > 0 and copyright_at < len(meta):
        language = meta[copyright_at - 1]
        if len(language.split()) <= 3 and not re.search(r"\d", language):
            article.language = clean(language)
    else:
        known = [t for t in meta if len(t.split()) <= 2 and language_code(t)]
        article.language = clean(known[-1]) if known else None
    hint = language_code(article.language)
    words_at = next((i for i, t in enumerate(meta) if _WORDS.match(t)), None)
    if words_at is not None:
        article.length = word_count(meta[words_at])
    start = words_at + 1 if words_at is not None else 0
    for i in range(start, min(copyright_at, len(meta))):
        published = export_date(meta[i], latest, hint)
        if published is None:
            continue
        article.published, article.date_text = published, meta[i]
        rest = [t for t in meta[i + 1 : copyright_at] if not _TIME.match(t)]
        if rest:  # the source name; its code ("STTEN") follows it
            article.outlet = clean(rest[0])
        break
    article.fields.update({f"line {i + 1}": t for i, t in enumerate(meta)})


# -- XML ---------------------------------------------------------------------------------


def _local(element: object) -> str:
    tag = getattr(element, "tag", None)
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _child(element: object, name: str) -> object | None:
    for child in element.iter():  # type: ignore[attr-defined]
        if child is not element and _local(child) == name:
            return child
    return None


def _paragraphs(element: object | None) -> list[str]:
    if element is None:
        return []
    paragraphs = [c for c in element.iter() if _local(c) == "paragraph"]  # type: ignore[attr-defined]
    if paragraphs:
        return [" ".join("".join(p.itertext()).split()) for p in paragraphs]
    text = "".join(element.itertext())  # type: ignore[attr-defined]
    return [" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(text) if part.strip()]


def _xml_article(block: object, position: int, latest: date) -> ExportArticle:
    article = ExportArticle(position=position)
    node = block if _local(block) == "article" else _child(block, "article")
    if node is None:
        article.not_an_article = ("bad_record", "a <ppsarticle> without an <article>")
        return article

    def value(name: str) -> str | None:
        element = _child(node, name)
        if element is None:
            return None
        return clean(" ".join(_paragraphs(element)))

    article.record_id = value("accessionNo")
    article.title = value("headline")
    article.byline = value("byline") or value("author")
    article.section = value("sectionName") or value("section")
    article.outlet = value("sourceName")
    article.language = value("baseLanguage")
    article.length = word_count(value("wordCount"))
    dated = _child(node, "publicationDate")
    if dated is not None:
        stated = clean(" ".join(dated.itertext()))  # type: ignore[attr-defined]
        article.date_text = stated
        article.published = export_date(stated, latest, language_code(article.language))
    body = _paragraphs(_child(node, "leadParagraph")) + _paragraphs(_child(node, "tailParagraphs"))
    article.body = paragraphs_text(body)
    return article


HTML_READER = FactivaHtmlReader()
XML_READER = FactivaXmlReader()
