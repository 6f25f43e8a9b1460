"""Nexis exports: Nexis Uni / Lexis Advance DOCX, LexisNexis Academic / Nexis UK TXT and HTML.

Three readers, one per container (shared machinery and the accounting rule:
`tasks/readers/exports.py`):

- `nexis-docx`: a Word file (a zip with `word/document.xml`, read with python-docx).
  Articles end with "End of Document". Each starts with its headline, the outlet and
  the date line, then the copyright line and the fields (`Section:`, `Length:`,
  `Byline:`, `Dateline:`, `Highlight:`), then the `Body` marker and the body, closed by
  a "Classification" / "Graphic" / "Correction" section or the trailing fields
  (`Language:`, `Load-Date:`…). A cover page ("Documents (10)" and a numbered table of
  contents linking each article's `urn:contentItem:…` id) comes first in most
  deliveries: it announces the count and gives the record keys. Two articles whose
  "End of Document" is lost between them (two `Body` markers in one block) are split
  again before the second headline.
- `lexisnexis-txt` and `lexisnexis-html`: articles start with a document counter
  ("1 of 250 DOCUMENTS", "1 von 250 DOKUMENTEN", "1 de 250 DOCUMENTS", "Dokument 234
  von 456"; in HTML also each `<DOC NUMBER=n><DOCFULL>` section). A block opens with
  centred lines (outlet, date line, edition, copyright), then the headline flush left,
  then upper-case fields (`BYLINE:`, `SECTION:`, `LENGTH:`, localized ones such as
  `LÄNGE:`, `RUBRIK:`, `LONGUEUR:`, Dutch `KOP:` for the headline, `BODY:`/`TEKST:`
  before the body), the body, and trailing fields (`LOAD-DATE:`, `LANGUAGE:`,
  `PUBLICATION-TYPE:`…) and the copyright notice. HTML is rendered to the same
  paragraphs (centred by its CSS classes) and read by the same rules. Where a block has
  no centred lines at all, the header runs up to the first date line.

  What the file announces: `<META DOCUMENTS="n">` (HTML); else the header's range
  ("Selected Items: 1-10", "Alle documenten: 1-2325") when most counters fit it; else
  the counters themselves when they form one download (one total, rising numbers):
  from the first number to the total. A file of counters from many searches (no
  common total) announces nothing beyond its blocks.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
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

SNIFF_SCORE_DOCX = 40
SNIFF_SCORE_UNDECIDED_DOCX = 3  # a Word file whose head does not show its content
SNIFF_SCORE_LEXISNEXIS = 20  # beats the generic HTML reader (10) and plain text (1)
CENTRED_INDENT = 6  # leading spaces that make a TXT line centred
PAGE_WIDTH = 80  # the columns of a LexisNexis TXT export
DATE_ANCHOR_PARAGRAPHS = 4  # a header without centring ends at a date among these

# "1 of 250 DOCUMENTS", "10 von 250 DOKUMENTEN", "Dokument 234 von 456", "1 of 1 DOCUMENT"
_DOC_WORD = r"(?:do[ck]ument\w*|документ\w*|dokumen\w*)"
_COUNTER = re.compile(
    rf"^\s*(?:(?:{_DOC_WORD})\s+(\d{{1,7}})\s+\w{{1,5}}\s+(\d{{1,7}})"
    rf"|(\d{{1,7}})\s+\w{{1,5}}\s+(\d{{1,7}})\s+{_DOC_WORD})\s*$",
    re.IGNORECASE,
)
_COUNTER_IN_HEAD = re.compile(
    rf"(?:^|>)\s*(?:(?:{_DOC_WORD})\s+\d{{1,7}}\s+\w{{1,5}}\s+\d{{1,7}}"
    rf"|\d{{1,7}}\s+\w{{1,5}}\s+\d{{1,7}}\s+{_DOC_WORD})\s*(?:$|<)",
    re.IGNORECASE | re.MULTILINE,
)
_COUNTER_WORDS = ("document", "dokumen", "документ")  # in every _COUNTER_IN_HEAD match
_LABEL = re.compile(r"^\s*([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ0-9 .\-]{0,30}?)\s*:(?:\s+|$)(.*)$", re.DOTALL)

# Upper-case field labels of LexisNexis TXT/HTML exports, by what they state.
_LABELS: dict[str, tuple[str, ...]] = {
    "title": (
        "HEADLINE", "KOP", "TITRE", "TITLE", "TITEL", "TITULAR", "TITULO", "TÍTULO",
        "TITOLO", "ÜBERSCHRIFT", "OVERSKRIFT", "RUBRIEKKOP", "LEADALL", "SCHLAGZEILE",
    ),
    "byline": ("BYLINE", "NAME", "BY-LINE"),
    "author": (
        "AUTHOR", "AUTHORS", "AUTOR", "AUTOREN", "AUTEUR", "AUTEURS", "AUTORE", "AUTORI",
        "SIGNATURE", "FORFATTER", "FÖRFATTARE", "AUTORES",
    ),
    "section": (
        "SECTION", "RUBRIK", "RUBRIQUE", "RUBRIEK", "SECTIE", "SEZIONE", "SECCIÓN",
        "SECCION", "SEKTION", "RESSORT", "SEÇÃO", "SECÇÃO",
    ),
    "length": (
        "LENGTH", "LÄNGE", "LAENGE", "LONGUEUR", "LENGTE", "LUNGHEZZA", "LONGITUD",
        "LÆNGDE", "LÄNGD", "LENGDE", "EXTENSIÓN", "COMPRIMENTO", "OMVANG",
    ),
    "dateline": ("DATELINE", "ORTSZEILE", "PLAATS", "LIEU"),
    "language": (
        "LANGUAGE", "SPRACHE", "LANGUE", "TAAL", "LINGUA", "IDIOMA", "SPROG", "SPRÅK",
    ),
    "load_date": (
        "LOAD-DATE", "UPDATE", "DATE-CHARGEMENT", "LAADDATUM", "FECHA-CARGA",
        "DATA-CARICAMENTO",
    ),
    "body": (
        "BODY", "TEXT", "TEXTE", "TEKST", "TESTO", "TEXTO", "ARTICLE", "ARTIKEL",
        "CORPS", "CHAPEAU", "FULL TEXT",
    ),
    "other": (
        "HIGHLIGHT", "GRAPHIC", "GRAFIK", "GRAPHIQUE", "ILLUSTRATION", "PUBLICATION-TYPE",
        "PUB-TYPE", "TYPE-PUBLICATION", "PUBLIKATIONSTYP", "PUBLICATIETYPE",
        "JOURNAL-CODE", "CODE-REVUE", "ZEITUNGS-CODE", "DOCUMENT-TYPE", "TRANSCRIPT",
        "GUESTS", "ANCHORS", "SHOW", "BIO", "URL", "SUBJECT", "PUB-SUBJECT", "COMPANY",
        "ORGANIZATION", "PERSON", "GEOGRAPHIC", "INDUSTRY", "TICKER", "CITY", "STATE",
        "COUNTRY", "CORRECTION", "CORRECTION-DATE", "DISTRIBUTION", "SERIES", "ISSUE",
        "EDITION", "AUSGABE", "TYPE", "NOTES", "VIEW ORIGINAL PAGE", "BIBLIOGRAPHIE",
        "ACC-NO", "DOCUMENT-ID", "PUBLICATION-DATE", "STICHWORT", "SCHLAGWORT",
        "SOURCE-PUB", "ZUSAMMENFASSUNG", "RÉSUMÉ", "SAMENVATTING", "CAPTION", "ENCART",
        "SUJET", "LOCALISATION-GEO", "ORGANISATION", "PERSONNE", "SOCIETE", "SOCIÉTÉ",
        "SECTEUR", "TYPE-DOCUMENT", "THEMA", "FIRMA", "BRANCHE", "GEOGRAFIE", "LAND",
        "ONDERWERP", "BEDRIJF", "ORGANISATIE", "GEOGRAFISCH", "TEMA", "EMPRESA",
        "ORGANIZACIÓN", "PERSONA", "SECTOR", "GEOGRÁFICO", "ARGOMENTO", "AZIENDA",
        "SOGGETTO", "KORREKTUR", "CORRECTIE", "RECTIFICATIF", "FOTO", "BILD",
    ),
}  # fmt: skip
_TARGET = {label: target for target, labels in _LABELS.items() for label in labels}
# A label with no value followed by one paragraph: that paragraph is its value
# ("HIGHLIGHT:" then the highlight; "CORRECTION:" then the correction).
_ABSORBING = frozenset({"other", "dateline", "title", "byline", "author"})
# An article with no body but a caption or highlight (a photo, a brief): that is its text.
_TEXT_OF_LAST_RESORT = ("HIGHLIGHT", "GRAPHIC", "GRAFIK", "GRAPHIQUE", "CAPTION", "FOTO")

_COPYRIGHT = re.compile(
    r"^\s*(?:copyright\b|copy\s+\d|©|\(c\)\s|all rights reserved|alle rechte vorbehalten"
    r"|tous droits réservés|alle rechten voorbehouden)",
    re.IGNORECASE,
)
_BROKEN_OFF = re.compile(r"(?:[,&/-]|\b(?:and|und|et|en|y|e|of|for|the|All))$")
_CONTINUES = re.compile(
    r"^(?:all rights reserved|rights reserved|alle rechte vorbehalten|tous droits réservés"
    r"|alle rechten voorbehouden|gmbh\b|ltd\b|inc\b|llc\b|ag\b|plc\b|limited\b|& co\b)",
    re.IGNORECASE,
)
_NAME_LIKE = re.compile(r"^(?:\S+\s+){0,5}\S+$(?<![.!?:;])")
_URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$", re.IGNORECASE)
_LENGTH_LINE = re.compile(r"^\s*\d[\d.,]*\s+(?:words?|wörter|woorden|mots|ord|parole|palabras)\s*$",
                          re.IGNORECASE)  # fmt: skip
_HAS_DIGIT = re.compile(r"\d")
_META_DOCUMENTS = re.compile(rb"<META[^>]*\bDOCUMENTS\s*=\s*\"?(\d+)", re.IGNORECASE)
_DOCFULL = re.compile(r"<DOCFULL>\s*-->(.*?)(?:<!--[^<]*?</DOCFULL>|$)", re.IGNORECASE | re.DOTALL)
_FIRST_DOCFULL = re.compile(r"<DOC\s+NUMBER\s*=|<DOCFULL>", re.IGNORECASE)
_CENTRED_CLASS = re.compile(r"\.([\w-]+)\s*\{[^}]*text-align\s*:\s*center", re.IGNORECASE)
_CENTRED_STYLE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
# "Download Request: Selected Items: 1-10", "Printopdracht: Alle documenten: 1-2325"
_HEADER_RANGE = re.compile(
    r"^[^:\n]{2,50}:\s*(?:[^:\n\d]{2,50}:\s*)?"
    r"((?:\d+\s*(?:-\s*\d+)?\s*,\s*)*\d+\s*-\s*\d+(?:\s*,\s*\d+\s*(?:-\s*\d+)?)*)\s*$"
)
_SERIES_SHARE = 0.9  # of the counters that must share one total to be one download

_STARTS_MARKUP = re.compile(r"^\s*<")
_LOOKS_HTML = re.compile(r"<(?:html|head|body|meta|div|p|br|span)[\s>/]", re.IGNORECASE)
_LN_HTML_MARKERS = re.compile(
    r"<DOCFULL>|<DOC\s+NUMBER\s*=|LXNComment|\b(?:LOAD-DATE|PUBLICATION-TYPE|BYLINE|LENGTH)"
    r"\s*:\s*</SPAN>",
    re.IGNORECASE,
)
_LN_HTML_WORDS = ("<doc", "lxncomment", "</span>")  # in every _LN_HTML_MARKERS match
_TXT_FIELD_MARKER = re.compile(
    r"^(?:LENGTH|BYLINE|SECTION|LOAD-DATE|LANGUAGE|PUBLICATION-TYPE|DATELINE|LÄNGE|RUBRIK"
    r"|SPRACHE|LONGUEUR|RUBRIQUE|LANGUE|LENGTE|KOP|TAAL|HEADLINE|BODY|TEKST|AUTEUR|AUTOR)"
    r":[ \t]",
    re.MULTILINE,
)
_TXT_HEADER_MARKER = re.compile(
    r"^(?:Download Request|Printopdracht|Druckauftrag|Time Of Request|Tijdstip printopdracht)"
    r":",
    re.MULTILINE,
)

# -- Nexis Uni / Lexis Advance DOCX ------------------------------------------------------

_END_OF_DOCUMENT = frozenset(
    {"End of Document", "Ende des Dokuments", "Fin du document", "Einde van document",
     "Fin del documento", "Fine del documento"}
)  # fmt: skip
_BODY_MARKER = frozenset({"Body", "Text", "Texte", "Corps", "Cuerpo", "Testo", "Tekst"})
# Sections after the body ("Classification" holds the trailing fields).
_AFTER_BODY = frozenset(
    {"Classification", "Graphic", "Correction", "Notes", "Klassifikation", "Grafik",
     "Korrektur", "Classement", "Graphique", "Classificatie"}
)  # fmt: skip
# "Length:\u00a0355 words": Nexis Uni writes a no-break space after its field labels.
_DOCX_FIELD = re.compile(r"^([A-ZÀ-Þ][\w\- /]{1,30}):[\u00a0\s]+(.*)$", re.DOTALL)
_DOCX_FIELD_NBSP = re.compile(r"^([A-ZÀ-Þ][\w\- /]{1,30}):\u00a0")
_DOCX_TARGET = {
    "byline": "byline", "author": "byline", "autor": "byline", "auteur": "byline",
    "section": "section", "rubrik": "section", "rubrique": "section", "length": "length",
    "länge": "length", "longueur": "length", "lengte": "length", "dateline": "dateline",
    "language": "language", "sprache": "language", "langue": "language", "taal": "language",
    "load-date": "load_date",
}  # fmt: skip
_DOCX_MARKERS = re.compile(
    r"End of Document|Ende des Dokuments|Fin du document|(?:Byline|Length|Load-Date|Section"
    r"|Dateline|Länge|Rubrik)\s*:\u00a0|Job Number:|Client/Matter:",
)
_COVER_LINE = re.compile(
    r"^(?:User Name|Date and Time|Job Number|Client/Matter|Search Terms|Search Type"
    r"|Narrowed by|Content Type|Sort|Benutzername|Datum und Uhrzeit|Auftragsnummer"
    r"|Suchbegriffe|Suchtyp|Eingegrenzt durch)\s*:|^\w+\s*\(\d+\)\s*$"
)
_COVER_COUNT = re.compile(r"^\s*(?:Documents|Dokumente|Documenti|Documentos|Documenten)\s*"
                          r"\((\d+)\)\s*$", re.IGNORECASE)  # fmt: skip
_TOC_ENTRY = re.compile(r"^(\d{1,5})\.\s+(\S.*)$", re.DOTALL)
_CONTENT_ITEM = re.compile(r"urn:contentItem:[A-Za-z0-9-]+")
_LA_DOC_COUNT = re.compile(rb'name="LADocCount"\s*>\s*<vt:\w+>\s*(\d+)')
_LEXIS_DELIVERY = re.compile(rb"LADeliveryID|LADocCount")
_TITLE_KEY = re.compile(r"\W+")


@dataclass(slots=True)
class _Para:
    """A paragraph of a LexisNexis block: its lines, and whether it is centred."""

    lines: list[str]
    centred: bool = False

    def text(self, sep: str = " ") -> str:
        return sep.join(line.strip() for line in self.lines if line.strip())


@dataclass(slots=True)
class _Block:
    paras: list[_Para]
    counter: tuple[int, int] | None = None


@dataclass(slots=True)
class _TocEntry:
    number: int
    title: str
    urn: str | None
    key: str = ""  # the title without case, spaces or punctuation
    used: bool = False


@dataclass(slots=True)
class _DocxPara:
    text: str
    links: list[str] = field(default_factory=list)
    table_row: bool = False


class NexisDocxReader(ExportReader):
    name = "nexis-docx"
    description = "a Nexis Uni / Lexis Advance DOCX export: many articles, 'End of Document'"

    def sniff(self, head: bytes, filename: str) -> int:
        return sniff_docx(head)

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        return parse_docx(raw, filename, latest)


class LexisNexisTextReader(ExportReader):
    name = "lexisnexis-txt"
    description = "a LexisNexis Academic / Nexis UK TXT export: 'N of M DOCUMENTS' blocks"

    def sniff(self, head: bytes, filename: str) -> int:
        text = head_text(head)
        if head.startswith(b"PK\x03\x04") or _STARTS_MARKUP.match(text):
            return 0
        # Every field marker holds ": " or ":\t": without one, its patterns need not run.
        fields = ": " in text or ":\t" in text
        if _counter_in_head(head, text) or (
            fields
            and (
                len(set(_TXT_FIELD_MARKER.findall(text))) >= 2
                or (_TXT_HEADER_MARKER.search(text) and _TXT_FIELD_MARKER.search(text))
            )
        ):
            return SNIFF_SCORE_LEXISNEXIS
        return 0

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        text = decode_export(raw)
        paras = _text_paras(text)
        header, blocks = _split_by_counters(paras)
        if not blocks:
            blocks = [_Block(header)] if _has_fields(header) else []
            header = []
        if not blocks:
            raise RejectError(
                "bad_format",
                f"{filename}: no 'N of M DOCUMENTS' counter and no LexisNexis fields; "
                "not a LexisNexis export",
            )
        return _lexisnexis_parse(blocks, [p.text("\n") for p in header], None, latest, " ")


class LexisNexisHtmlReader(ExportReader):
    name = "lexisnexis-html"
    description = "a LexisNexis Academic / Nexis UK HTML export: <DOCFULL> / counter blocks"

    def sniff(self, head: bytes, filename: str) -> int:
        text = head_text(head)
        if not (_STARTS_MARKUP.match(text) and _LOOKS_HTML.search(text)):
            return 0
        markers = mentions(head, _LN_HTML_WORDS) and _LN_HTML_MARKERS.search(text)
        if markers or _counter_in_head(head, text):
            return SNIFF_SCORE_LEXISNEXIS
        return 0

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        meta = _META_DOCUMENTS.search(raw[:65536])
        markup = decode_export(raw, markup=True)
        centred = set(_CENTRED_CLASS.findall(markup))
        sections = _DOCFULL.findall(markup)
        if sections:
            start = _FIRST_DOCFULL.search(markup)
            header = _html_paras(markup[: start.start() if start else 0], centred)
            blocks = []
            for section in sections:
                paras = _html_paras(section, centred)
                counter = _counter(paras[0]) if paras else None
                blocks.append(_Block(paras[1:] if counter else paras, counter))
        else:
            header, blocks = _split_by_counters(_html_paras(markup, centred))
        if not blocks:
            raise RejectError(
                "bad_format",
                f"{filename}: no <DOCFULL> sections and no 'N of M DOCUMENTS' counters; "
                "not a LexisNexis export",
            )
        meta_count = int(meta.group(1)) if meta else None
        return _lexisnexis_parse(blocks, [p.text("\n") for p in header], meta_count, latest, "\n")


# -- LexisNexis TXT / HTML ---------------------------------------------------------------


def _counter_in_head(head: bytes, text: str) -> bool:
    """Whether a document counter ("1 of 250 DOCUMENTS") stands on a line of its own in
    `text`, the head's `head_text`."""
    return mentions(head, _COUNTER_WORDS) and _COUNTER_IN_HEAD.search(text) is not None


def _text_paras(text: str) -> list[_Para]:
    """Blank-line separated paragraphs, each centred or flush (see `_centred`); a
    document counter is a paragraph of its own even when no blank line sets it apart."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n")
    paras: list[_Para] = []
    group: list[str] = []

    def close() -> None:
        if group:
            paras.append(_Para([line.strip() for line in group], _centred(group)))
            group.clear()

    for raw_line in lines:
        line = raw_line.expandtabs(8).rstrip()
        if not line.strip():
            close()
        elif _COUNTER.match(line):
            close()
            paras.append(_Para([line.strip()], True))
        else:
            group.append(line)
    close()
    return paras


def _centred(lines: list[str]) -> bool:
    """A TXT paragraph is centred when one of its lines is indented and every line sits
    in the middle of the export's 80 columns (a full-width line fits any centring)."""
    indents = [len(line) - len(line.lstrip()) for line in lines]
    if max(indents) < CENTRED_INDENT:
        return False
    for line, left in zip(lines, indents, strict=True):
        right = PAGE_WIDTH - len(line)
        if left < CENTRED_INDENT and abs(left - right) > 2:
            return False
    return True


def _html_paras(markup: str, centred_classes: set[str]) -> list[_Para]:
    """An HTML fragment as paragraphs: block elements and `<br>` break it, CSS centring
    (a class with `text-align: center`, `align="center"`, a style) marks it centred."""
    from lxml import html as lxml_html

    if not markup.strip():
        return []
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except Exception:  # lxml raises several kinds on broken fragments
        return []
    renderer = _Renderer(centred_classes)
    renderer.walk(root, False)
    renderer.flush()
    return renderer.paras


class _Renderer:
    _BLOCKS = frozenset(
        {"div", "p", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
         "blockquote", "center", "pre", "section", "article", "hr"}
    )  # fmt: skip
    _SKIP = frozenset({"script", "style", "head", "title", "noscript"})

    def __init__(self, centred_classes: set[str]) -> None:
        self.centred_classes = centred_classes
        self.paras: list[_Para] = []
        self.lines: list[str] = []
        self.line: list[str] = []
        self.centred = False

    def walk(self, element: object, centred: bool) -> None:
        tag = getattr(element, "tag", None)
        if not isinstance(tag, str):  # a comment or processing instruction
            self.add(getattr(element, "tail", None), centred)
            return
        tag = tag.lower()
        if tag in self._SKIP:
            self.add(element.tail, centred)  # type: ignore[attr-defined]
            return
        centred = centred or self._is_centred(element)
        block = tag in self._BLOCKS
        if block:
            self.flush()
        if tag == "br":
            self.newline()
        elif tag in ("td", "th"):
            self.add(" ", centred)
        self.add(element.text, centred)  # type: ignore[attr-defined]
        for child in element:  # type: ignore[attr-defined]
            self.walk(child, centred)
        if block:
            self.flush()
        self.add(element.tail, centred)  # type: ignore[attr-defined]

    def _is_centred(self, element: object) -> bool:
        get = element.get  # type: ignore[attr-defined]
        classes = (get("class") or "").split()
        return (
            any(c in self.centred_classes for c in classes)
            or (get("align") or "").lower() == "center"
            or bool(_CENTRED_STYLE.search(get("style") or ""))
        )

    def add(self, text: str | None, centred: bool) -> None:
        if not text:
            return
        if not self.lines and not "".join(self.line).strip() and text.strip():
            self.centred = centred
        self.line.append(text)

    def newline(self) -> None:
        line = " ".join("".join(self.line).split())
        if line:
            self.lines.append(line)
        self.line = []

    def flush(self) -> None:
        self.newline()
        if self.lines:
            self.paras.append(_Para(self.lines, self.centred))
        self.lines = []
        self.centred = False


def _counter(para: _Para) -> tuple[int, int] | None:
    if len(para.lines) != 1:
        return None
    m = _COUNTER.match(para.lines[0])
    if not m:
        return None
    n, total = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return int(n), int(total)


def _split_by_counters(paras: list[_Para]) -> tuple[list[_Para], list[_Block]]:
    header: list[_Para] = []
    blocks: list[_Block] = []
    for para in paras:
        counter = _counter(para)
        if counter is not None:
            blocks.append(_Block([], counter))
        elif blocks:
            blocks[-1].paras.append(para)
        else:
            header.append(para)
    return header, blocks


def _label(para: _Para) -> tuple[str, str, str] | None:
    """(label, what it states, value) of a field paragraph such as "LENGTH: 355 words"."""
    m = _LABEL.match(para.text(" "))
    if not m:
        return None
    label = " ".join(m.group(1).split())
    target = _TARGET.get(label)
    if target is None:
        return None
    return label, target, m.group(2).strip()


def _has_fields(paras: list[_Para]) -> bool:
    return sum(1 for p in paras if _label(p) is not None) >= 2


def _header_items(paras: list[_Para]) -> list[tuple[str, bool]]:
    """The header's lines as (text, is_copyright). A line continues the one before when
    that one breaks off ("…, All" / "Rights Reserved", "… Communications and" /
    "Transportation Law") or it is a rights notice or company suffix."""
    items: list[tuple[str, bool]] = []
    for para in paras:
        previous: str | None = None
        for line in para.lines:
            line = line.strip()
            if previous is not None and (_BROKEN_OFF.search(previous) or _CONTINUES.match(line)):
                text, is_copyright = items[-1]
                items[-1] = (f"{text} {line}", is_copyright)
            else:
                items.append((line, bool(_COPYRIGHT.match(line))))
            previous = line
    return items


def _lexisnexis_article(block: _Block, position: int, latest: date, sep: str) -> ExportArticle:
    article = ExportArticle(position=position, counter=block.counter)
    paras = block.paras
    header: list[_Para] = []
    start = 0
    fields = [None if p.centred else _label(p) for p in paras]  # centred lines are no fields
    first_field = next((i for i, f in enumerate(fields) if f), len(paras))
    if not any(p.centred for p in paras[:first_field]):
        # No centring (a hand-made or re-saved export): the header ends at a date line.
        for j, para in enumerate(paras[: min(first_field, DATE_ANCHOR_PARAGRAPHS)]):
            if export_date(para.text(" "), latest) is not None:
                header, start = paras[: j + 1], j + 1
                break
    values: dict[str, str] = {}
    title_para: str | None = None
    field_seen = False
    in_body = False
    absorb: str | None = None
    body: list[str] = []
    for index in range(start, len(paras)):
        para, found = paras[index], fields[index]
        if found is not None:
            label, target, value = found
            absorb = None
            if target == "body":
                in_body = True
                if value:
                    body.append(value)
                continue
            field_seen = True
            article.fields.setdefault(label, clean(value) or "")
            if value:
                values.setdefault(target, value)
            elif target in _ABSORBING:
                absorb = label
            continue
        if absorb is not None:
            article.fields[absorb] = clean(para.text(" ")) or ""
            target = _TARGET[absorb]
            values.setdefault(target, para.text(" "))
            absorb = None
            continue
        if not in_body:
            if para.centred:
                header.append(para)
                continue
            if title_para is None and not field_seen and "title" not in values:
                title_para = para.text(" ")
                continue
            if "length" not in values and _LENGTH_LINE.match(para.text(" ")):
                values["length"] = para.text(" ")
                continue
            following = fields[index + 1] if index + 1 < len(paras) else None
            if (
                title_para is not None
                and "subtitle" not in values
                and following is not None
                and following[1] != "body"
                and _NAME_LIKE.match(para.text(" "))
            ):
                # a short line between the headline and the fields: the byline of
                # exports that do not label it ("VAN ONZE CORRESPONDENT")
                values["subtitle"] = para.text(" ")
                continue
            in_body = True
        if para.centred and _COPYRIGHT.match(para.lines[0]):
            continue
        body.append(para.text(sep))

    items = _header_items(header)
    if not items and not article.fields and block.counter is None and title_para is not None:
        text = " ".join([title_para, *body])
        article.not_an_article = ("bad_record", repr(text[:100]))
        return article
    article.language = clean(values.get("language"))
    hint = language_code(article.language)
    _read_header(article, items, latest, hint)
    article.title = clean(values.get("title")) or clean(title_para)
    article.byline = (
        clean(values.get("byline")) or clean(values.get("author")) or clean(values.get("subtitle"))
    )
    article.section = clean(values.get("section"))
    article.length = word_count(values.get("length"))
    article.body = paragraphs_text(body)
    if not article.body:
        article.body = next(
            (article.fields[k] for k in _TEXT_OF_LAST_RESORT if article.fields.get(k)), ""
        )
    return article


def _read_header(
    article: ExportArticle, items: list[tuple[str, bool]], latest: date, hint: str | None
) -> None:
    """Outlet, date and edition from the header lines (copyright notices left out)."""
    plain = [text for text, is_copyright in items if not is_copyright]
    dated = next((i for i, text in enumerate(plain) if export_date(text, latest, hint)), None)
    if dated is not None:
        article.date_text = plain[dated]
        article.published = export_date(plain[dated], latest, hint)
        before = [t for t in plain[:dated] if not _URL_LINE.match(t)]
        article.outlet = clean(before[0]) if before else None
        article.edition = clean(" ".join(plain[dated + 1 :]))
    else:
        candidates = [t for t in plain if not _URL_LINE.match(t) and not _HAS_DIGIT.search(t)]
        article.outlet = clean(candidates[0]) if candidates else None


def _lexisnexis_parse(
    blocks: list[_Block], header_lines: list[str], meta_count: int | None, latest: date, sep: str
) -> ExportParse:
    articles = [
        _lexisnexis_article(block, position, latest, sep)
        for position, block in enumerate(blocks, start=1)
    ]
    announced, by, expected = _announced(header_lines, meta_count, [b.counter for b in blocks])
    seen = {b.counter[0] for b in blocks if b.counter}
    missing = [f"no. {n}" for n in expected if n not in seen] if expected else []
    return ExportParse(articles, announced, by, missing)


def _announced(
    header_lines: list[str], meta_count: int | None, counters: list[tuple[int, int] | None]
) -> tuple[int | None, str, list[int]]:
    """(articles announced, by what, the counter numbers expected) — see the module doc."""
    known = [c for c in counters if c is not None]
    header = _header_range(header_lines)
    if header is not None:
        positions, label = header
        count = len(positions)
        fits = sum(
            1
            for n, total in known
            if (n in positions and total >= max(positions)) or (n <= count and total == count)
        )
        if known and fits * 2 <= len(known):
            header = None  # most counters contradict the header: a compiled file
    series = _series(known)
    if meta_count is not None:
        expected = series[1] if series else []
        return meta_count, f'<META DOCUMENTS="{meta_count}">', expected
    if header is not None:
        positions, label = header
        global_numbers = sum(1 for n, _ in known if n in positions and n > len(positions))
        expected = sorted(positions) if global_numbers else list(range(1, len(positions) + 1))
        return len(positions), f"header '{label}'", expected if known else []
    if series is not None:
        total, expected = series
        return len(expected), f"counters 'N of {total} DOCUMENTS'", expected
    return None, "", []


def _header_range(lines: list[str]) -> tuple[set[int], str] | None:
    for text in lines:
        for line in text.split("\n"):
            m = _HEADER_RANGE.match(line.strip())
            if not m:
                continue
            positions: set[int] = set()
            for part in m.group(1).split(","):
                bounds = [int(x) for x in part.split("-")]
                low, high = bounds[0], bounds[-1]
                if high < low or high - low > 1_000_000:
                    break
                positions.update(range(low, high + 1))
            else:
                if positions:
                    return positions, line.strip()
    return None


def _series(known: list[tuple[int, int]]) -> tuple[int, list[int]] | None:
    """(total, numbers expected) when the counters are one download: nearly all share
    one total and their numbers rise."""
    if not known:
        return None
    total, share = Counter(t for _, t in known).most_common(1)[0]
    if share < _SERIES_SHARE * len(known):
        return None
    numbers = [n for n, t in known if t == total]
    if any(b <= a for a, b in itertools.pairwise(numbers)) or numbers[-1] > total:
        return None
    return total, list(range(numbers[0], total + 1))


# -- Nexis Uni / Lexis Advance DOCX ------------------------------------------------------


def sniff_docx(head: bytes) -> int:
    """40 for a Word file that shows a Nexis export (Lexis delivery properties, or "End
    of Document" / Nexis field labels in `word/document.xml`); 0 for a Word file whose
    whole text is in the head without them, and for anything else; 3 for a Word file
    whose text lies beyond the head (the reader then decides, and rejects a Word file
    that is not an export)."""
    if not head.startswith(b"PK\x03\x04"):
        return 0
    word = False
    for name, data, complete in _zip_members(head):
        if name.startswith("word/") or name == "[Content_Types].xml":
            word = True
        if name == "docProps/custom.xml" and _LEXIS_DELIVERY.search(data):
            return SNIFF_SCORE_DOCX
        if name == "word/document.xml":
            text = re.sub(r"<[^>]+>", "", data.decode("utf-8", errors="replace"))
            if _DOCX_MARKERS.search(text):
                return SNIFF_SCORE_DOCX
            if complete:
                return 0
    return SNIFF_SCORE_UNDECIDED_DOCX if word else 0


def _zip_members(head: bytes) -> Iterator[tuple[str, bytes, bool]]:
    """(name, data so far, complete) of the zip members whose local headers are in `head`."""
    pos = 0
    while head.startswith(b"PK\x03\x04", pos) and pos + 30 <= len(head):
        flags, method, _, _, _, csize, _, name_len, extra_len = struct.unpack(
            "<HHHHIIIHH", head[pos + 6 : pos + 30]
        )
        name = head[pos + 30 : pos + 30 + name_len].decode("utf-8", errors="replace")
        start = pos + 30 + name_len + extra_len
        if method == 8:
            inflater = zlib.decompressobj(-15)
            chunk = head[start : start + csize] if csize else head[start:]
            try:
                data = inflater.decompress(chunk, 4_000_000)
            except zlib.error:
                return
            complete = inflater.eof
            used = len(chunk) - len(inflater.unused_data) if complete else len(chunk)
        elif method == 0 and (csize or not flags & 8):
            data = head[start : start + csize]
            complete = start + csize <= len(head)
            used = csize
        else:
            return
        yield name, data, complete
        if not complete:
            return
        pos = start + (csize or used)
        if flags & 8:  # a data descriptor follows the data
            pos += 16 if head.startswith(b"PK\x07\x08", pos) else 12


def parse_docx(raw: bytes, filename: str, latest: date) -> ExportParse:
    """The articles of a Nexis Uni / Lexis Advance DOCX export (see the module doc)."""
    import docx  # python-docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx and zipfile raise many kinds on bad files
        raise RejectError(
            "bad_format", f"{filename}: not a readable Word document ({type(exc).__name__})"
        ) from exc
    paras: list[_DocxPara] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                paras.append(_DocxPara(" | ".join(cells), table_row=True))
        else:
            links = [h.address for h in block.hyperlinks if h.address]
            paras.append(_DocxPara(block.text, links))
    texts = [p.text.strip() for p in paras]
    has_end = any(t in _END_OF_DOCUMENT for t in texts)
    has_fields = sum(1 for t in texts if _DOCX_FIELD_NBSP.match(t)) >= 2
    if not has_end and not has_fields:
        raise RejectError("bad_format", f"{filename} is a Word document, not a Nexis export")

    segments: list[list[_DocxPara]] = [[]]
    for para, text in zip(paras, texts, strict=True):
        if text in _END_OF_DOCUMENT:
            segments.append([])
        else:
            segments[-1].append(para)
    if not any(p.text.strip() for p in segments[-1]):
        segments.pop()

    cover: list[_DocxPara] = []
    if segments:
        cover, segments[0] = _split_cover(segments[0])
    toc = _toc(cover)
    cover_count = next(
        (int(m.group(1)) for p in cover if (m := _COVER_COUNT.match(p.text.strip()))), None
    )
    blocks: list[list[_DocxPara]] = []
    for segment in segments:
        blocks.extend(_split_merged(segment, latest))
    articles = []
    for position, block in enumerate(blocks, start=1):
        article = _docx_article(block, position, latest)
        article.record_id = _toc_id(toc, article.title)
        articles.append(article)

    announced: int | None = None
    by = ""
    if cover_count is not None:
        announced, by = cover_count, f"cover page 'Documents ({cover_count})'"
    elif toc:
        announced, by = len(toc), f"table of contents of {len(toc)} entries"
    elif not cover:
        delivered = _la_doc_count(raw)
        if delivered is not None:
            announced, by = delivered, f"LADocCount {delivered}"
    missing = [f"no. {e.number} {e.title[:50]!r}" for e in toc if not e.used]
    return ExportParse(articles, announced, by, missing if announced else [])


def _split_cover(segment: list[_DocxPara]) -> tuple[list[_DocxPara], list[_DocxPara]]:
    """(cover page, first article) of the first block: the cover ends at its last
    delivery line ("Narrowed by:", "Job Number:", …) before the first field."""
    texts = [p.text.strip() for p in segment]
    first_field = next(
        (i for i, t in enumerate(texts) if _DOCX_FIELD_NBSP.match(t) or t in _BODY_MARKER),
        len(texts),
    )
    last_cover = -1
    for i, text in enumerate(texts[:first_field]):
        if _COVER_LINE.match(text):
            last_cover = i
    if last_cover >= 0:  # the table of what the search was narrowed by
        while last_cover + 1 < first_field and (
            segment[last_cover + 1].table_row or not texts[last_cover + 1]
        ):
            last_cover += 1
    return segment[: last_cover + 1], segment[last_cover + 1 :]


def _toc(cover: list[_DocxPara]) -> list[_TocEntry]:
    entries = []
    for para in cover:
        m = _TOC_ENTRY.match(para.text.strip())
        if not m:
            continue
        urn = next((u.group() for link in para.links if (u := _CONTENT_ITEM.search(link))), None)
        title = " ".join(m.group(2).split())
        entries.append(_TocEntry(int(m.group(1)), title, urn, _TITLE_KEY.sub("", title.casefold())))
    return entries


def _toc_id(toc: list[_TocEntry], title: str | None) -> str | None:
    """The document id the table of contents links for the article with this title."""
    if not title or not toc:
        return None
    key = _TITLE_KEY.sub("", title.casefold())
    if not key:
        return None
    for exact in (True, False):
        for entry in toc:
            if entry.used:
                continue
            other = entry.key
            if other == key or (
                not exact
                and min(len(other), len(key)) >= 20
                and (other.startswith(key) or key.startswith(other))
            ):
                entry.used = True
                return entry.urn
    return None


def _la_doc_count(raw: bytes) -> int | None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            custom = archive.read("docProps/custom.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    m = _LA_DOC_COUNT.search(custom)
    return int(m.group(1)) if m else None


def _split_merged(segment: list[_DocxPara], latest: date) -> list[list[_DocxPara]]:
    """A block with two `Body` markers holds two articles whose "End of Document" was
    lost: split it before the second one's headline (headline, outlet, date line, then
    the copyright line and the fields before its `Body`)."""
    texts = [p.text.strip() for p in segment]
    bodies = [i for i, t in enumerate(texts) if t in _BODY_MARKER]
    if len(bodies) < 2:
        return [segment]
    cuts = []
    for body in bodies[1:]:
        i = body - 1
        while i > 0 and (
            not texts[i] or _DOCX_FIELD_NBSP.match(texts[i]) or _COPYRIGHT.match(texts[i])
        ):
            i -= 1
        heads = [j for j in range(i, bodies[0], -1) if texts[j]][:3]
        if len(heads) == 3 and export_date(texts[heads[0]], latest) is not None:
            cuts.append(heads[2])
        elif len(heads) >= 2:
            cuts.append(heads[-1] if len(heads) == 2 else heads[1])
    pieces = []
    start = 0
    for cut in cuts:
        if cut > start:
            pieces.append(segment[start:cut])
            start = cut
    pieces.append(segment[start:])
    return pieces


def _docx_article(block: list[_DocxPara], position: int, latest: date) -> ExportArticle:
    article = ExportArticle(position=position)
    texts = [p.text.strip() for p in block]
    body_at = next((i for i, t in enumerate(texts) if t in _BODY_MARKER), None)
    head_end = body_at if body_at is not None else len(texts)
    header: list[str] = []
    values: dict[str, str] = {}
    field_seen = False
    for text in texts[:head_end]:
        if not text:
            continue
        m = _DOCX_FIELD.match(text) if _DOCX_FIELD_NBSP.match(text) else None
        if m:
            field_seen = True
            _docx_field(article, values, m.group(1), m.group(2))
        elif _COPYRIGHT.match(text):
            continue
        elif not field_seen:
            header.append(text)
    body: list[str] = []
    if body_at is not None:
        ended = False
        for text in texts[body_at + 1 :]:
            if not text:
                continue
            if not ended and (text in _AFTER_BODY or _DOCX_FIELD_NBSP.match(text)):
                ended = True
            if ended:
                m = _DOCX_FIELD.match(text) if _DOCX_FIELD_NBSP.match(text) else None
                if m:
                    _docx_field(article, values, m.group(1), m.group(2))
                continue
            body.append(text)
    if header:
        article.title = clean(header[0])
    if len(header) > 1:
        article.outlet = clean(header[1])
    article.language = clean(values.get("language"))
    hint = language_code(article.language)
    for text in header[2:5]:
        published = export_date(text, latest, hint)
        if published is not None:
            article.published, article.date_text = published, clean(text)
            break
    article.byline = clean(values.get("byline"))
    article.section = clean(values.get("section"))
    article.length = word_count(values.get("length"))
    article.body = paragraphs_text(body)
    return article


def _docx_field(article: ExportArticle, values: dict[str, str], label: str, value: str) -> None:
    label = " ".join(label.split())
    value = clean(value) or ""
    article.fields.setdefault(label, value)
    target = _DOCX_TARGET.get(label.casefold())
    if target and value:
        values.setdefault(target, value)


DOCX_READER = NexisDocxReader()
TXT_READER = LexisNexisTextReader()
HTML_READER = LexisNexisHtmlReader()
