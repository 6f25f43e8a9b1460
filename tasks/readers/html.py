"""A saved HTML page is one article: main text, title and byline by trafilatura; the date,
URL, site name and language from the page's own markup.

The bytes are decoded first (a BOM; else valid UTF-8; else the charset the page declares in
`<meta charset>`, `http-equiv` or an XML declaration, or the one the HTTP response gave;
else `tasks.decode.decode_bytes`), then parsed once. trafilatura keeps the main text and
drops navigation, footers, share buttons and reader comments; its paragraphs are kept
apart by blank lines, with the page's title as the first paragraph, so the later steps
see the layout of an article (title, dateline, story). A page with no main text (only
navigation or boilerplate) is a `no_text` record reject, not an error.

The publication date is only one the page states for machines, and only when the page
does not contradict it (a wrong date is worse than none; `DATE_POLICY`, measured in
bench/eval_html_warc.py):

- stated: `<meta>` publication tags (`article:published_time`, `pubdate`, `DC.date.issued`
  …; the bare `date`/`DC.date` tags too, which must then agree), JSON-LD `datePublished`
  of the page's own entities (not of its images, reviews or listed articles), microdata
  `datePublished` when the page has one value, and a full year/month/day in the page's or
  fetched URL. Two different days among them: no date (unless the page shows the URL's
  day and not the other). A "modified" tag never stands in for the publication.
- checked against the days the page shows its readers (`<time>` and the elements whose
  class or id marks a date or a byline, outside links, comments, asides, navigation and
  footers): a stated day the page does not show, while it shows other days, is dropped;
  so is one when the page also shows a different modification day (revised: which day is
  meant is unclear), or a bare `date` tag whose day the page labels "updated".
- a page that states nothing keeps the day it shows, if it shows exactly one and does not
  label it "updated".

htmldate (run by trafilatura with the metadata, `original_date=True`, fast search) is no
longer trusted on its own: on its evaluation pages one date in ten it gives is wrong (a
modified date kept as a reserve, a date of the body text, a teaser's or a comment's).

`read_html` is the whole reader for one page; the WARC reader calls it for every HTML
response.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urljoin, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement
from wirehouse.tasks.dates import month_names
from wirehouse.tasks.decode import decode_bytes
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers.base import Document, Item, ReadOptions, RecordReject, Stated

if TYPE_CHECKING:
    from trafilatura.settings import Document as Extracted

# trafilatura (and htmldate, courlan, justext under it) is imported where a page is read:
# 0.13 s that a command's own process, which reads no page, would pay at every start
# (the batch workers import it before they fork: tasks/preload.py).

SNIFF_WINDOW = 1024  # the tags that make a file HTML stand within its first KB
CHARSET_WINDOW = 16384  # where a page's declared charset is looked for
# htmldate's extensive search (free-text date patterns when the markup states no date),
# measured on the 400 pages of ../shared/eval/html (bench/eval_html_warc.py): extensive
# gives 45 wrong dates and 0 missing, fast 37 wrong and 25 missing (P 0.887 vs 0.901).
# A page's date outranks its text's dateline, and a wrong date is worse than none: fast.
# Only DATE_POLICY "htmldate" states its result; the other policies ignore it.
EXTENSIVE_DATE_SEARCH = False
# How the publication date is settled (bench/eval_html_warc.py --compare-dates, 400 pages,
# right/wrong/none): "htmldate", htmldate's answer (338/37/25); "metadata", the stated
# dates alone (244/20/136); "checked", the stated dates the page does not contradict
# (236/5/159), with SHOWN_DATE_FALLBACK the one day a page stating none shows (301/5/94).
DATE_POLICY = "checked"
SHOWN_DATE_FALLBACK = True  # "checked": a page stating no date keeps the one it shows
EARLIEST_PAGE_DATE = date(1995, 1, 1)  # htmldate's floor: older "dates" are placeholders

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
    description = (
        "a saved HTML page is one article (text by trafilatura; a date only as its "
        "metadata states it)"
    )
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
    import trafilatura

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
    stated = _stated(tree, extracted, page_url, url, latest)
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
    from trafilatura.xml import xmltotxt

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
    latest: date | None = None,
) -> Stated:
    evidence: dict[str, str] = {}
    if DATE_POLICY == "htmldate":
        published, source = _iso_date(extracted.date), "html:htmldate"
    else:
        urls = (page_url[0] if page_url else None, fetched)
        published, source = page_date(tree, urls, latest)
    if published and source:
        evidence["published"] = source
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


# --------------------------------------------------------------------- publication date

_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_YMD_SLASHED = re.compile(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_COMPACT_DAY = re.compile(r"\s*(\d{4})(\d{2})(\d{2})(?:T|\s|$)")
_DMY_DOTTED = re.compile(r"\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_MDY_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_ENGLISH_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# RFC 2822 ("Mon, 20 Jan 2020 09:49:32 GMT"), "January 20, 2020", "Mon Jan 20 09:49 UTC 2020"
_DAY_MONTH_YEAR = re.compile(
    r"\s*(?:[a-z]{3},?\s+)?(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})", re.I
)
_MONTH_DAY_YEAR = re.compile(
    r"\s*(?:[a-z]{3},?\s+)?([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(?:[\d:]+\s+\w+\s+)?(\d{4})", re.I
)
# <meta> names and properties: a modification tag never stands for the publication; the
# bare `date` tags say neither, so they only count where they agree with the rest.
_MODIFIED_KEY = re.compile(r"modif|updat|revis|lastmod|last-mod|edit|expir")
_PUBLISHED_KEY = re.compile(
    r"publish|pubdate|pub-date|pub_date|issued|created|release|articledate|post_date|posted"
    r"|displaydate|publication"
)
_BARE_DATE_KEYS = frozenset(
    ("date", "dc.date", "dc:date", "dcterms.date", "dcterms:date", "sailthru.date", "pdate")
)
# JSON-LD entities that are not the page: their dates are another thing's.
_NOT_THE_PAGE = frozenset(
    (
        "imageobject", "videoobject", "audioobject", "mediaobject", "comment", "review",
        "person", "organization", "listitem", "breadcrumblist", "website", "offer",
        "aggregaterating", "rating", "searchaction",
    )
)  # fmt: skip
_URL_DAY = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"
)
# Shown dates: numeric (Y-M-D, D.M.Y, D.M.YY with two-digit parts, D/M/Y read both ways),
# never inside a longer run of dotted numbers (a version, "4.8.12").
_SHOWN_NUMERIC = re.compile(
    r"(?<![\d.])(?:(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})"
    r"|(\d{2})\.(\d{2})\.(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})|(\d{2})/(\d{2})/(\d{2}))(?!\d|\.\d)"
)
_SHOWN_NAMED = re.compile(
    r"(?<!\d)(\d{1,2})(?:\.|st|nd|rd|th)?\s+(?:de\s+)?([^\W\d_]{3,12})\.?,?\s+(?:de\s+)?(\d{4})(?!\d)"
    r"|([^\W\d_]{3,12})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)"
)
_DATE_CUE = re.compile(
    r"date|datum|time|publish|meta|info|byline|subline|posted|submitted|created|publication"
    r"|author|autor|field-content|fa-clock|fa-calendar|fecha|parution"
)
_NOT_THE_ARTICLE = re.compile(r"comment|kommentar|reply|respond|disqus")
_UPDATE_LABEL = re.compile(
    r"updat|aktualisier|editiert|bearbeitet|geändert|zuletzt|\bstand\b|modifi|mis à jour"
    r"|actualiz|aggiornat|bijgewerkt|atualizad|last edited|revised",
    re.IGNORECASE,
)
_OUTSIDE_THE_ARTICLE = frozenset(("a", "aside", "nav", "footer"))
_NOT_SHOWN = frozenset(("script", "style", "noscript", "template", "svg", "head", "title"))
_SHOWN_TEXT = 100  # the opening characters of an element searched for a date
_LABEL_BEFORE = 40  # characters before a date searched for an "updated" label
_FIRST_DIGIT = re.compile(r"\d")
# Elements that may show a date (the cues are checked in Python: XPath 1 has no lower-case)
_MARKED = XPath(".//time | .//*[@class or @id or @itemprop]")
_ITEMPROP_DATES = XPath(".//*[contains(@itemprop, 'ate')]")  # datePublished, DateModified


def page_date(
    tree: HtmlElement, urls: Iterable[str | None], latest: date | None = None
) -> tuple[date | None, str | None]:
    """The publication date the page states and does not contradict, with its evidence
    (`html:meta`, `html:jsonld`, `html:microdata`, `html:url`, `html:shown`); (None, None)
    when it states none, or two, or shows otherwise (see the module docstring)."""
    span = (EARLIEST_PAGE_DATE, latest or datetime.now(UTC).date())
    meta = _meta_dates(tree, span)
    linked = _jsonld_dates(tree, urls, span)
    micro = _microdata_dates(tree, span)
    in_url = {day for day in map(_url_date, urls) if day and span[0] <= day <= span[1]}
    sources = (
        ("html:meta", meta["published"]),
        ("html:jsonld", linked["published"]),
        ("html:microdata", micro["published"] if len(micro["published"]) == 1 else set()),
    )
    stated = set().union(*(days for _, days in sources), meta["bare"])
    if len(stated) > 1 or len(in_url) > 1:
        return None, None
    if DATE_POLICY == "metadata":
        if stated and in_url and stated != in_url:
            return None, None
        if stated:
            return stated.pop(), next((name for name, days in sources if days), "html:meta")
        return (in_url.pop(), "html:url") if in_url else (None, None)
    shown, updated = _shown_dates(tree, span)
    if stated:
        day = stated.pop()
        source = next((name for name, days in sources if days), "html:meta")
        if in_url and day not in in_url:
            if in_url <= shown and day not in shown:  # the page sides with its URL
                return in_url.pop(), "html:url"
            return None, None
        if shown and day not in shown and day not in in_url:
            return None, None  # the page shows other dates, not this one
        modified = meta["modified"] | linked["modified"] | micro["modified"]
        if (modified - {day}) & shown:
            return None, None  # revised, and shows both: which day is meant is unclear
        if source == "html:meta" and not meta["published"] and day in updated:
            return None, None  # a bare `date` tag the page labels "updated"
        return day, source
    if in_url:
        day = in_url.pop()
        return (None, None) if shown and day not in shown else (day, "html:url")
    if SHOWN_DATE_FALLBACK and len(shown) == 1 and not shown & updated:
        return shown.pop(), "html:shown"
    return None, None


def machine_date(value: str | None) -> date | None:
    """The day of a date written for machines (ISO 8601, YYYYMMDD, D.M.YYYY, RFC 2822,
    "January 20, 2020", M/D/YYYY when only one reading is a date); None otherwise."""
    if not value:
        return None
    for pattern, year_first in (
        (_ISO_DAY, True),
        (_YMD_SLASHED, True),
        (_COMPACT_DAY, True),
        (_DMY_DOTTED, False),
    ):
        if m := pattern.match(value):
            a, b, c = map(int, m.groups())
            return _day(a, b, c) if year_first else _day(c, b, a)
    if m := _MDY_SLASHED.match(value):
        a, b, year = map(int, m.groups())
        if a == b or b > 12 >= a:
            return _day(year, a, b)
        return _day(year, b, a) if a > 12 >= b else None  # 01/10/2017: two readings
    if (m := _DAY_MONTH_YEAR.match(value)) and m[2].lower() in _ENGLISH_MONTHS:
        return _day(int(m[3]), _ENGLISH_MONTHS[m[2].lower()], int(m[1]))
    if (m := _MONTH_DAY_YEAR.match(value)) and m[1].lower() in _ENGLISH_MONTHS:
        return _day(int(m[3]), _ENGLISH_MONTHS[m[1].lower()], int(m[2]))
    return None


def shown_dates(text: str) -> set[date]:
    """The days written in a short text for readers: numeric dates (both readings of an
    ambiguous D/M/Y) and dates with a month name in any language CLDR names months in."""
    return {day for day, _, _ in _dates_in(text)}


def _dates_in(text: str) -> list[tuple[date, int, int]]:
    """(day, start, end) of each date in `text` (see `shown_dates`)."""
    found: list[tuple[date, int, int]] = []
    for m in _SHOWN_NUMERIC.finditer(text):
        g = m.groups()
        if g[0]:
            readings = [(int(g[0]), int(g[1]), int(g[2]))]
        elif g[3] or g[6]:
            i = 3 if g[3] else 6
            readings = [(_year(g[i + 2]), int(g[i + 1]), int(g[i]))]
        else:
            i = 9 if g[9] else 12
            a, b, year = int(g[i]), int(g[i + 1]), _year(g[i + 2])
            readings = [(year, b, a), (year, a, b)]
        found.extend((day, m.start(), m.end()) for day in map(_day_of, readings) if day)
    if not found:
        months = _month_names()
        for m in _SHOWN_NAMED.finditer(text):
            day, name, year = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
            month = months.get(name.casefold())
            if month and (found_day := _day(int(year), month, int(day))):
                found.append((found_day, m.start(), m.end()))
    return found


def _day_of(reading: tuple[int, int, int]) -> date | None:
    return _day(*reading)


@cache
def _month_names() -> dict[str, int]:
    return month_names()


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(digits: str) -> int:
    return int(digits) if len(digits) == 4 else 2000 + int(digits)


def _meta_dates(tree: HtmlElement, span: tuple[date, date]) -> dict[str, set[date]]:
    found: dict[str, set[date]] = {"published": set(), "bare": set(), "modified": set()}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if not key:
            continue
        if _MODIFIED_KEY.search(key):
            kind = "modified"
        elif key in _BARE_DATE_KEYS:
            kind = "bare"
        elif _PUBLISHED_KEY.search(key):
            kind = "published"
        else:
            continue
        day = machine_date(meta.get("content"))
        if day and span[0] <= day <= span[1]:
            found[kind].add(day)
    return found


def _jsonld_dates(
    tree: HtmlElement, urls: Iterable[str | None], span: tuple[date, date]
) -> dict[str, set[date]]:
    """`datePublished`/`dateModified` of the page's JSON-LD entities (top level or in an
    `@graph`); where several state different days (a listing), those whose `url`, `@id` or
    `mainEntityOfPage` is the page's URL, else none."""
    entities: list[tuple[dict[str, date], set[str]]] = []
    for script in tree.iter("script"):
        text = script.text
        if not text or '"date' not in text or "ld+json" not in (script.get("type") or ""):
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for entity in _entities(data):
            if _ld_types(entity) & _NOT_THE_PAGE:
                continue
            days = {}
            for key, kind in (("datePublished", "published"), ("dateModified", "modified")):
                value = entity.get(key)
                day = machine_date(value) if isinstance(value, str) else None
                if day and span[0] <= day <= span[1]:
                    days[kind] = day
            if days:
                ids = {_bare_url(entity.get(k)) for k in ("url", "@id", "mainEntityOfPage")}
                entities.append((days, ids))
    if len({days["published"] for days, _ in entities if "published" in days}) > 1:
        page = {_bare_url(u) for u in urls} - {""}
        entities = [(days, ids) for days, ids in entities if ids & page]
        if len({days["published"] for days, _ in entities if "published" in days}) > 1:
            entities = []
    found: dict[str, set[date]] = {"published": set(), "modified": set()}
    for days, _ in entities:
        for kind, day in days.items():
            found[kind].add(day)
    return found


def _entities(data: object) -> list[dict]:
    if isinstance(data, list):
        return [entity for item in data for entity in _entities(item)]
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("@graph"), list):
        return _entities(data["@graph"])
    return [data]


def _ld_types(entity: dict) -> set[str]:
    kind = entity.get("@type")
    if isinstance(kind, str):
        return {kind.lower()}
    return {k.lower() for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _bare_url(value: object) -> str:
    """A URL without scheme, `www.`, fragment and trailing slash, lower-cased."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    if not isinstance(value, str):
        return ""
    value = value.strip().lower().split("#")[0].rstrip("/")
    return re.sub(r"^https?://(?:www\.)?", "", value)


def _microdata_dates(tree: HtmlElement, span: tuple[date, date]) -> dict[str, set[date]]:
    found: dict[str, set[date]] = {"published": set(), "modified": set()}
    for element in _ITEMPROP_DATES(tree):
        prop = element.get("itemprop", "").strip().lower()
        kind = {"datepublished": "published", "datemodified": "modified"}.get(prop)
        if kind is None:
            continue
        value = element.get("datetime") or element.get("content")
        if value is not None:
            day = machine_date(value)
        else:
            days = shown_dates(_opening(element))
            day = days.pop() if len(days) == 1 else None
        if day and span[0] <= day <= span[1]:
            found[kind].add(day)
    return found


def _url_date(url: str | None) -> date | None:
    m = _URL_DAY.search(url or "")
    return _day(*map(int, m.groups())) if m else None


def _shown_dates(tree: HtmlElement, span: tuple[date, date]) -> tuple[set[date], set[date]]:
    """(the days the page shows its readers, those it shows only after an "updated"
    label): in `<time>` and in elements whose class or id marks a date or a byline,
    outside links, comments, asides, navigation and footers."""
    body = tree.find("body")
    shown: set[date] = set()
    plain: set[date] = set()
    labelled: dict[HtmlElement, set[date]] = {}
    for element in _MARKED(body if body is not None else tree):
        tag = element.tag
        if tag in _NOT_SHOWN:
            continue
        if tag != "time" and not _DATE_CUE.search(
            f"{_cues(element)} {element.get('itemprop', '')}"
        ):
            continue
        text = _opening(element)
        if len(text) < 6 or not _FIRST_DIGIT.search(text):
            continue
        dated = [found for found in _dates_in(text) if span[0] <= found[0] <= span[1]]
        if not dated:
            continue
        ancestors = list(element.iterancestors())
        if tag == "a" or any(a.tag in _OUTSIDE_THE_ARTICLE for a in ancestors):
            continue
        if any(_NOT_THE_ARTICLE.search(_cues(e)) for e in (element, *ancestors)):
            continue
        inherited = set().union(*(labelled.get(a, ()) for a in ancestors))
        updates: set[date] = set()
        after, labelled_update = 0, False  # a label stands between the last date and its own
        for day, start, end in dated:
            shown.add(day)
            if start >= after:  # not another reading of the same date
                label = text[after:start][-_LABEL_BEFORE:]
                if after == 0 and len(label) < 3:
                    label = _text_before(element) + " " + label
                labelled_update, after = bool(_UPDATE_LABEL.search(label)), end
            if labelled_update or day in inherited:
                updates.add(day)
            else:
                plain.add(day)
        if updates:
            labelled[element] = updates
    updated = set().union(*labelled.values()) - plain if labelled else set()
    return shown, updated


def _cues(element: HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}".lower()


def _opening(element: HtmlElement) -> str:
    """The element's first `_SHOWN_TEXT` characters of text, spaces collapsed."""
    parts: list[str] = []
    size = 0
    for piece in element.itertext():
        parts.append(piece)
        size += len(piece)
        if size > 2 * _SHOWN_TEXT:
            break
    return " ".join("".join(parts).split())[:_SHOWN_TEXT]


def _text_before(element: HtmlElement) -> str:
    """The last `_LABEL_BEFORE` characters of text before the element (its label)."""
    parts: list[str] = []
    size = 0
    node = element
    while size < _LABEL_BEFORE:
        previous = node.getprevious()
        if previous is not None:
            text = previous.text_content() if isinstance(previous.tag, str) else ""
            text += previous.tail or ""
            node = previous
        else:
            parent = node.getparent()
            if parent is None:
                break
            text, node = parent.text or "", parent
        parts.append(text)
        size += len(text)
    return " ".join("".join(reversed(parts)).split())[-_LABEL_BEFORE:]


READER = HtmlReader()
