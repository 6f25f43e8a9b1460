"""A saved HTML page is one article: main text, title and byline by trafilatura, the date
by htmldate, URL, site name and language from the page's own markup.

The bytes are decoded first (a BOM; else valid UTF-8; else the charset the page declares in
`<meta charset>`, `http-equiv` or an XML declaration, or the one the HTTP response gave;
else `tasks.decode.decode_bytes`), then parsed once. trafilatura keeps the main text and
drops navigation, footers, share buttons and reader comments; its paragraphs are kept
apart by blank lines, with the page's title as the first paragraph, so the later steps
see the layout of an article (title, dateline, story). The publication date is
htmldate's `find_date(original_date=True)` run by trafilatura on the same tree (measured
in bench/eval_html_warc.py: see `EXTENSIVE_DATE_SEARCH`). A page with no main text (only
navigation or boilerplate) is a `no_text` record reject, not an error.

`read_html` is the whole reader for one page; the WARC reader calls it for every HTML
response.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document as Extracted
from trafilatura.xml import xmltotxt

from tasks.decode import decode_bytes
from tasks.errors import RejectError
from tasks.readers.base import Document, Item, ReadOptions, RecordReject, Stated

SNIFF_WINDOW = 1024  # the tags that make a file HTML stand within its first KB
CHARSET_WINDOW = 16384  # where a page's declared charset is looked for
# htmldate's extensive search (free-text date patterns when the markup states no date),
# measured on the 400 pages of ../shared/eval/html (bench/eval_html_warc.py): extensive
# gives 45 wrong dates and 0 missing, fast 37 wrong and 25 missing (P 0.887 vs 0.901).
# A page's date outranks its text's dateline, and a wrong date is worse than none: fast.
EXTENSIVE_DATE_SEARCH = False

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32_le"),
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)
_STARTS_HTML = re.compile(rb"\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_HAS_HTML_TAG = re.compile(rb"<(?:html|head|body|meta)[\s>/]", re.IGNORECASE)
# A fragment saved as .html (no <html>, <head>, <body> or <meta>): claimed only with the
# extension, and only when it opens with an HTML element or comment.
_STARTS_FRAGMENT = re.compile(
    rb"\s*<(?:!--|(?:div|p|article|section|main|title|table|h[1-6]|span|a|ul|ol|script"
    rb"|style|link|header|nav|form|img|br|center|font|b|i)[\s>/])",
    re.IGNORECASE,
)
_HTML_EXTENSIONS = (".html", ".htm", ".xhtml", ".shtml")
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9][a-z0-9._:+-]*)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9][a-z0-9._:+-]*)""",
    re.IGNORECASE,
)
# What browsers decode a label as (WHATWG Encoding Standard): the superset code pages.
_LABELS = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    # A page that says UTF-16 in an ASCII-compatible <meta> is not UTF-16 (its BOM says so).
    "utf-16": "utf_8",
    "utf-16le": "utf_8",
    "utf-16be": "utf_8",
}
_WHOLE_PAGE = re.compile(r"<(?:html|body)[\s>]", re.IGNORECASE)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ", ": ")
_NO_TEXT = "an HTML page with no main text (only navigation/boilerplate)"
_SPACES = re.compile(r"\s+")


class HtmlReader:
    name = "html"
    description = "a saved HTML page is one article (main text by trafilatura, date by htmldate)"
    fields: tuple[str, ...] = (
        "title",
        "published",
        "outlet",
        "url",
        "byline",
        "section",
        "language",
    )

    def sniff(self, head: bytes, filename: str) -> int:
        return sniff_html(head, filename)

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        raw = stream.read(options.max_document_bytes + 1)
        if len(raw) > options.max_document_bytes:
            yield RecordReject(
                None,
                "too_large",
                f"{filename}: an HTML page over {options.max_document_bytes:,} bytes "
                "(max_document_bytes); not read",
            )
            return
        yield read_html(raw, name=filename, latest=options.latest)


def sniff_html(head: bytes, filename: str = "") -> int:
    """10 (11 with an HTML file name) when `head` is HTML by its content, else 0; a
    fragment (`<div>…`) only counts, at 5, under an HTML file name."""
    text = _ascii_view(head[: SNIFF_WINDOW + 4])
    by_name = filename.lower().endswith(_HTML_EXTENSIONS)
    if _STARTS_HTML.match(text) or _HAS_HTML_TAG.search(text[:SNIFF_WINDOW]):
        return 11 if by_name else 10
    if by_name and _STARTS_FRAGMENT.match(text):
        return 5
    return 0


def read_html(
    html: str | bytes,
    url: str | None = None,
    *,
    charset: str | None = None,
    name: str = "page",
    latest: date | None = None,
) -> Document | RecordReject:
    """One page's document, or a `no_text` reject when it has no main text.

    `url` is where the page was fetched (a WARC record's target URI): a canonical link
    in the page still wins. `charset` is what the HTTP response declared; `name` names
    the page in messages; `latest` is the newest acceptable publication date.
    """
    if isinstance(html, bytes):
        try:
            html = decode_html(html, charset)
        except RejectError as err:
            return RecordReject(None, err.reason, f"{name}: {err.message}")
    if not _WHOLE_PAGE.search(html[:65536]):
        html = f"<html><body>{html}</body></html>"  # trafilatura wants a whole document
    tree = trafilatura.load_html(html)
    if tree is None:
        return RecordReject(None, "no_text", f"{name}: {_NO_TEXT}")
    date_params = {"original_date": True, "extensive_search": EXTENSIVE_DATE_SEARCH}
    if latest is not None:
        date_params["max_date"] = latest.isoformat()
    page_url = _page_url(tree, url)
    try:
        extracted = trafilatura.bare_extraction(
            tree,
            url=page_url[0] if page_url else url,
            with_metadata=True,
            include_comments=False,
            date_extraction_params=date_params,
        )
    except Exception as err:  # trafilatura catches its own ValueErrors; anything else
        message = f"{name}: trafilatura cannot read the page ({type(err).__name__}: {err})"
        return RecordReject(None, "bad_record", message)
    body = _main_text(extracted.body) if extracted is not None else ""
    if not body or _only_links(body, tree):
        return RecordReject(None, "no_text", f"{name}: {_NO_TEXT}")
    stated = _stated(tree, extracted, page_url, url)
    return Document(
        record_key=None, format="html", text=_with_title(stated.title, body), stated=stated
    )


def decode_html(raw: bytes, charset: str | None = None) -> str:
    """The page's text: by its BOM; as UTF-8 when the bytes are valid UTF-8 (whatever the
    labels say: pages served as Latin-1 are often UTF-8, the reverse never decodes); else
    by the charset the page declares, then the HTTP one; else guessed by decode_bytes."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for label in (declared_charset(raw), charset):
        encoding = _codec(label)
        if encoding is None or encoding == "utf_8":
            continue  # invalid UTF-8 under a UTF-8 label: decode_bytes repairs it better
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return decode_bytes(raw).text


def declared_charset(raw: bytes) -> str | None:
    """The charset a page declares in its first 16 KB (`<meta charset>`, `http-equiv`,
    `<?xml encoding>`), as written."""
    match = _DECLARED_CHARSET.search(raw[:CHARSET_WINDOW])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    try:
        return codecs.lookup(_LABELS.get(label, label)).name.replace("-", "_")
    except LookupError:
        return None


def _ascii_view(head: bytes) -> bytes:
    """The head with its BOM dropped; UTF-16/32 transcoded so the tag patterns apply."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            payload = head[len(bom) :]
            if encoding == "utf_8":
                return payload
            return payload.decode(encoding, errors="ignore").encode("utf-8", errors="ignore")
    return head


def _main_text(body: HtmlElement | None) -> str:
    """trafilatura's text, one block (paragraph, heading, list, table, quote) per
    paragraph, paragraphs apart by a blank line."""
    if body is None:
        return ""
    blocks = [xmltotxt(child, False).strip() for child in body]
    if not blocks and body.text:
        blocks = [body.text.strip()]
    return "\n\n".join(block for block in blocks if block)


def _only_links(body: str, tree: HtmlElement) -> bool:
    """Whether every line trafilatura kept is the text of a link of the page: a menu it
    fell back on when the page has no main text."""
    anchors = {_clean(link.text_content()) for link in tree.iter("a")}
    lines = (_clean(line.lstrip("-*•· ")) for line in body.split("\n"))
    return all(line in anchors for line in lines if line)


def _with_title(title: str | None, body: str) -> str:
    """The title above the text, unless the text opens with it already."""
    if not title or not title.strip():
        return body
    flat_title = _SPACES.sub(" ", title).strip()
    if _SPACES.sub(" ", body[: len(title) + 200]).startswith(flat_title):
        return body
    return f"{flat_title}\n\n{body}"


def _page_url(tree: HtmlElement, fetched: str | None) -> tuple[str, str] | None:
    """(URL, evidence) from `<link rel=canonical>`, else `og:url`; relative links are
    resolved against the other one or the fetched URL."""
    canonical = og_url = None
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = link.get("href", "").strip() or None
            break
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            og_url = meta.get("content", "").strip() or None
            break
    for value, evidence in ((canonical, "html:canonical"), (og_url, "html:og:url")):
        if not value:
            continue
        for base in (og_url, canonical, fetched):
            absolute = urljoin(base, value) if base else value
            if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
                return absolute, evidence
    return None


def _stated(
    tree: HtmlElement,
    extracted: Extracted,
    page_url: tuple[str, str] | None,
    fetched: str | None,
) -> Stated:
    evidence: dict[str, str] = {}
    published = _iso_date(extracted.date)
    if published:
        evidence["published"] = "html:htmldate"
    byline = _clean(extracted.author)
    if byline:
        evidence["byline"] = "html:trafilatura"
    url = None
    if page_url is not None:
        url, evidence["url"] = page_url
    elif fetched:
        url, evidence["url"] = fetched, "fetched"
    elif extracted.url:
        url, evidence["url"] = extracted.url, "html:trafilatura"
    outlet = _meta(tree, "og:site_name")
    if outlet:
        evidence["outlet"] = "html:og:site_name"
    elif sitename := _clean(extracted.sitename):
        outlet = sitename
        host = (urlsplit(url).hostname or "") if url else ""
        from_host = host and sitename.lower() in host.lower()
        evidence["outlet"] = "html:hostname" if from_host else "html:trafilatura"
    title = _without_site(_clean(extracted.title), outlet)
    if title:
        evidence["title"] = "html:trafilatura"
    section = next((c.strip() for c in extracted.categories or () if c and c.strip()), None)
    if section:
        evidence["section"] = "html:trafilatura"
    language = _language(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"))
    if language:
        evidence["language"] = "html:lang"
    elif language := _language(_http_equiv(tree, "content-language")):
        evidence["language"] = "html:content-language"
    return Stated(
        title=title,
        published=published,
        outlet=outlet,
        url=url,
        byline=byline,
        section=section,
        language=language,
        evidence=evidence,
    )


def _without_site(title: str | None, outlet: str | None) -> str | None:
    """The title without the site's name around it ("Headline | Site", "Site - Headline")."""
    if not title or not outlet:
        return title
    for separator in _TITLE_SEPARATORS:
        if title.endswith(separator + outlet):
            return title[: -len(separator + outlet)].strip() or title
        if title.startswith(outlet + separator):
            return title[len(outlet + separator) :].strip() or title
    return title


def _meta(tree: HtmlElement, prop: str) -> str | None:
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == prop:
            return _clean(meta.get("content"))
    return None


def _http_equiv(tree: HtmlElement, header: str) -> str | None:
    for meta in tree.iterfind(".//meta[@http-equiv]"):
        if meta.get("http-equiv", "").strip().lower() == header:
            return _clean((meta.get("content") or "").split(",")[0])
    return None


def _language(value: str | None) -> str | None:
    """A language as written (`de`, `en-US`); None for a charset put there by mistake."""
    value = _clean(value)
    if value is None or _codec(value) is not None:
        return None
    return value


def _clean(value: str | None) -> str | None:
    value = _SPACES.sub(" ", value).strip() if value else None
    return value or None


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


READER = HtmlReader()
