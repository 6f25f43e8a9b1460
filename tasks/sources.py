"""Outlet tags: the data-driven outlet registry, detection from the text, and overrides."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

BUILTIN_REGISTRY = "outlets.toml"
MAX_CHROME_CHARS = 80
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,4})?$")  # "ru", "zh-cn" (langdetect's codes)


@dataclass(frozen=True, slots=True)
class Outlet:
    slug: str
    name: str
    country: str | None
    markers: tuple[re.Pattern[str], ...]
    signoffs: tuple[re.Pattern[str], ...]
    chrome: tuple[re.Pattern[str], ...]
    languages: tuple[str, ...] = ()  # ISO 639-1 codes as langdetect spells them; () if unknown


@dataclass(frozen=True, slots=True)
class Registry:
    outlets: tuple[Outlet, ...]
    chrome: tuple[re.Pattern[str], ...]  # generic page chrome, any outlet
    signoffs: tuple[re.Pattern[str], ...]  # generic sign-offs (reporter initials, "(end)")
    # All patterns compiled into a few combined expressions, built once per registry.
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _Index.build(self))

    def slugs(self) -> set[str]:
        return {o.slug for o in self.outlets}

    def languages_of(self, slug: str | None) -> tuple[str, ...]:
        """The languages an outlet publishes in (its `languages` entry), if known."""
        return self._index.languages.get(slug or "", ())


@dataclass(frozen=True, slots=True)
class SourceTag:
    slug: str | None
    evidence: str | None  # e.g. "dateline:/TASS/", "folder:tass_dump", "override"


class RegistryError(ValueError):
    """The outlet registry file is malformed; the message names the file and the entry."""


@cache
def load_registry(extra: Path | None = None) -> Registry:
    """The built-in registry, with the outlets of `extra` (a TOML file) merged over it."""
    builtin = tomllib.loads(
        resources.files("wirehouse.tasks").joinpath(BUILTIN_REGISTRY).read_text()
    )
    entries = {e["slug"]: e for e in builtin.get("outlet", [])}
    generic = builtin.get("generic", {})
    if extra is not None:
        try:
            user = tomllib.loads(Path(extra).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RegistryError(f"outlet registry {extra}: {exc}") from exc
        entries |= {e.get("slug", ""): e for e in user.get("outlet", [])}
        for key in ("chrome", "signoffs"):
            generic[key] = [*generic.get(key, []), *user.get("generic", {}).get(key, [])]
    origin = str(extra or BUILTIN_REGISTRY)
    return Registry(
        outlets=tuple(_outlet(e, origin) for e in entries.values()),
        chrome=_compile(generic.get("chrome", []), origin, full_line=True, ignore_case=True),
        signoffs=_compile(generic.get("signoffs", []), origin, full_line=True),
    )


def is_chrome_line(line: str, registry: Registry) -> str | None:
    """The slug of the outlet whose chrome this line is, '' for generic chrome, else None."""
    if len(line) > MAX_CHROME_CHARS:
        return None
    return registry._index.chrome.first(line)


def is_signoff_line(line: str, registry: Registry) -> str | None:
    """Like is_chrome_line, for the last line of a text."""
    if len(line) > MAX_CHROME_CHARS:
        return None
    return registry._index.signoffs.first(line)


def detect_outlet(
    header_lines: list[str], chrome_hits: list[str], signoff_hit: str | None, registry: Registry
) -> SourceTag:
    """Weigh the evidence: outlet chrome > sign-off > dateline marker; ties give None."""
    by_chrome = {slug for slug in chrome_hits if slug}
    if len(by_chrome) == 1:
        return SourceTag(by_chrome.pop(), "chrome")
    if signoff_hit:
        return SourceTag(signoff_hit, "signoff")
    found: dict[str, str] = {}
    markers = registry._index.markers
    for line in header_lines:
        markers.collect(line, found)
        if len(found) > 1:
            return SourceTag(None, None)
    if len(found) == 1:
        slug, text = found.popitem()
        return SourceTag(slug, f"dateline:{text}")
    return SourceTag(None, None)


def outlet_slug(stated: str, registry: Registry) -> str | None:
    """The slug for an outlet a container names ("TASS", "The Moscow Times", "www.tass.ru"):
    the registry outlet whose name or slug it is, else the name itself as a slug
    ("the-moscow-times"): the container says so, which is evidence enough."""
    folded = _folded_name(stated)
    if not folded:
        return None
    by_name = registry._index.names
    if folded in by_name:
        return by_name[folded]
    if _DOMAIN.match(folded):  # "reuters.com", "news.bbc.co.uk": a label may be an outlet
        labels = [by_name[label] for label in folded.split(".") if label in by_name]
        if len(set(labels)) == 1:
            return labels[0]
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-")
    return slug or None


def _folded_name(name: str) -> str:
    """Lower-case ASCII letters and digits of a name, without accents or 'www.'."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    ascii_only = "".join(ch for ch in decomposed if ch.isascii())
    return re.sub(r"^www\.", "", ascii_only).strip()


def assign_source(
    source_path: str,
    detected: SourceTag,
    override: str | None,
    folder_sources: dict[str, str],
) -> SourceTag:
    """Apply the user's choices: `--source` beats the folder mapping beats detection."""
    if override:
        return SourceTag(override, "override")
    parents = PurePosixPath(source_path).parents
    for folder in sorted(folder_sources, key=len, reverse=True):
        if PurePosixPath(folder) in parents:
            return SourceTag(folder_sources[folder], f"folder:{folder}")
    return detected


def _outlet(entry: dict, origin: str) -> Outlet:
    slug = entry.get("slug", "")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise RegistryError(
            f"outlet registry {origin}: slug {slug!r} must be lowercase letters, digits, '-' or '_'"
        )
    where = f"{origin} [{slug}]"
    languages = entry.get("languages", [])
    if not isinstance(languages, list) or not all(
        isinstance(code, str) and _LANGUAGE.match(code) for code in languages
    ):
        raise RegistryError(
            f"outlet registry {where}: languages {languages!r} must be a list of ISO 639-1 "
            'codes as langdetect spells them, e.g. ["ru", "zh-cn"]'
        )
    return Outlet(
        slug=slug,
        name=entry.get("name", slug),
        country=entry.get("country"),
        markers=_compile(entry.get("markers", []), where),
        signoffs=_compile(entry.get("signoffs", []), where, full_line=True),
        chrome=_compile(entry.get("chrome", []), where, full_line=True, ignore_case=True),
        languages=tuple(languages),
    )


def _compile(
    patterns: list[str], origin: str, *, full_line: bool = False, ignore_case: bool = False
) -> tuple[re.Pattern[str], ...]:
    if not isinstance(patterns, list):
        raise RegistryError(f"outlet registry {origin}: {patterns!r} must be a list of patterns")
    flags = re.IGNORECASE if ignore_case else 0
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(f"(?:{pattern})$" if full_line else pattern, flags))
        except (re.error, TypeError) as exc:
            raise RegistryError(
                f"outlet registry {origin}: bad pattern {pattern!r}: {exc}"
            ) from exc
    return tuple(compiled)


# --- the combined expressions ------------------------------------------------------------
#
# Searching ~100 marker patterns one by one in every header line costs more than the rest
# of the enrichment together, so each family of patterns is compiled into one alternation,
# each alternative tagged by an empty named group at its end (`m.lastgroup` is the group
# that closed last, i.e. the tag). Markers are split by shape because Python's engine is
# only fast on an alternation when it can skip ahead: when every alternative begins with a
# literal character it jumps from one such character to the next, and when every
# alternative begins with `^` it tries the start of the line alone. One odd user pattern
# among them would make every search try every alternative at every position, so the
# other patterns get an alternation of their own, and patterns whose meaning depends on
# group numbers or names (backreferences, named groups, global flags) are searched alone.

# Backreferences, named groups, conditionals and global inline flags: these do not mean
# the same inside a combined expression (a conservative test: `\\1` counts as one too).
_ALONE = re.compile(r"\\[1-9]|\(\?P[<=]|\(\?<[^=!]|\(\?\(|\(\?[aiLmsux]+\)")


def _tag(slug: str, k: int) -> str:
    """The group name of a slug's k-th pattern: a valid identifier, unique by k."""
    return "o" + re.sub(r"\W", "_", slug, flags=re.ASCII) + f"__{k}"


def _top_level_bar(pattern: str) -> bool:
    """Whether the pattern holds a '|' outside any group and character class."""
    depth, i, n = 0, 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            i += 1 if pattern[i : i + 1] == "]" else 0  # a leading ']' is a literal
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _shape(pattern: str) -> str:
    """'literal' (begins with a literal character), 'anchored' (with '^'), else 'other'."""
    if not pattern or _top_level_bar(pattern):
        return "other"
    if pattern[0] == "^":
        return "anchored"
    if pattern[0] == "\\":
        first = pattern[1:2]
        if not first or first.isalnum() or first == "_":  # \d, \b, \x41, ...
            return "other"
        rest = pattern[2:3]
    elif pattern[0] in ".^$*+?{}[]()|":
        return "other"
    else:
        rest = pattern[1:2]
    return "other" if rest and rest in "*+?{" else "literal"


@dataclass(frozen=True, slots=True)
class _Alternation:
    forward: re.Pattern[str]  # the alternatives in registry order
    backward: re.Pattern[str] | None  # the same in reverse order (markers only)
    slugs: dict[str, str]  # group name -> slug ('' for generic patterns)

    @staticmethod
    def of(items: list[tuple[str, re.Pattern[str]]], both_ways: bool) -> _Alternation | None:
        """One expression for (slug, pattern) items that share their flags; None if it fails."""
        slugs, parts = {}, []
        for k, (slug, pattern) in enumerate(items):
            slugs[name := _tag(slug, k)] = slug
            parts.append(f"(?:{pattern.pattern})(?P<{name}>)")
        flags = items[0][1].flags
        try:
            forward = re.compile("|".join(parts), flags)
            backward = re.compile("|".join(reversed(parts)), flags) if both_ways else None
        except (re.error, RecursionError, OverflowError):
            return None
        return _Alternation(forward, backward, slugs)

    def collect(self, line: str, found: dict[str, str]) -> None:
        """Add every slug with a match in `line` to `found` (slug -> its first matched text).

        At each position the engine reports only the first alternative that matches, which
        could hide a second outlet matching at the same place; the reverse expression,
        tried at that position, reports the last one, so a tie is never missed.
        """
        forward, backward, slugs = self.forward, self.backward, self.slugs
        pos, end = 0, len(line)
        while (m := forward.search(line, pos)) is not None:
            slug = slugs[m.lastgroup]
            found.setdefault(slug, m.group())
            start = m.start()
            if backward is not None:
                other = backward.match(line, start)
                if other is not None and (last := slugs[other.lastgroup]) != slug:
                    found.setdefault(last, other.group())
            if start >= end:
                break
            pos = start + 1


@dataclass(frozen=True, slots=True)
class _MarkerScan:
    alternations: tuple[_Alternation, ...]
    alone: tuple[tuple[str, re.Pattern[str]], ...]

    @staticmethod
    def build(outlets: tuple[Outlet, ...]) -> _MarkerScan:
        groups: dict[tuple[str, int], list[tuple[str, re.Pattern[str]]]] = {}
        alone = []
        for outlet in outlets:
            for pattern in outlet.markers:
                if _ALONE.search(pattern.pattern):
                    alone.append((outlet.slug, pattern))
                else:
                    key = (_shape(pattern.pattern), pattern.flags)
                    groups.setdefault(key, []).append((outlet.slug, pattern))
        alternations = []
        for items in groups.values():
            if (alternation := _Alternation.of(items, both_ways=True)) is None:
                alone.extend(items)
            else:
                alternations.append(alternation)
        return _MarkerScan(tuple(alternations), tuple(alone))

    def collect(self, line: str, found: dict[str, str]) -> None:
        for alternation in self.alternations:
            alternation.collect(line, found)
        for slug, pattern in self.alone:
            if (m := pattern.search(line)) is not None:
                found.setdefault(slug, m.group())


@dataclass(frozen=True, slots=True)
class _FullLine:
    """Full-line patterns tried in registry order; the first that matches names the slug."""

    steps: tuple[_Alternation | tuple[str, re.Pattern[str]], ...]

    @staticmethod
    def build(items: list[tuple[str, re.Pattern[str]]]) -> _FullLine:
        # Consecutive patterns with the same flags share one expression; order is kept, so
        # the answer is the one the patterns give when tried one by one.
        steps: list[_Alternation | tuple[str, re.Pattern[str]]] = []
        run: list[tuple[str, re.Pattern[str]]] = []

        def flush() -> None:
            if run:
                alternation = _Alternation.of(run, both_ways=False)
                steps.extend([alternation] if alternation is not None else run)
                run.clear()

        for slug, pattern in items:
            if _ALONE.search(pattern.pattern):
                flush()
                steps.append((slug, pattern))
            else:
                if run and run[0][1].flags != pattern.flags:
                    flush()
                run.append((slug, pattern))
        flush()
        return _FullLine(tuple(steps))

    def first(self, line: str) -> str | None:
        for step in self.steps:
            if isinstance(step, _Alternation):
                if (m := step.forward.match(line)) is not None:
                    return step.slugs[m.lastgroup]
            elif step[1].match(line):
                return step[0]
        return None


@dataclass(frozen=True, slots=True)
class _Index:
    """What a registry is looked up by, built once with it: a lookup keyed by the
    registry itself would hash all its outlets and patterns on every document."""

    markers: _MarkerScan
    chrome: _FullLine
    signoffs: _FullLine
    names: dict[str, str]  # an outlet's folded name or slug -> its slug
    languages: dict[str, tuple[str, ...]]  # slug -> the languages it publishes in

    @staticmethod
    def build(registry: Registry) -> _Index:
        outlets = registry.outlets

        def full_line(kind: str, generic: tuple[re.Pattern[str], ...]) -> _FullLine:
            items = [(o.slug, p) for o in outlets for p in getattr(o, kind)]
            return _FullLine.build(items + [("", p) for p in generic])

        return _Index(
            markers=_MarkerScan.build(outlets),
            chrome=full_line("chrome", registry.chrome),
            signoffs=full_line("signoffs", registry.signoffs),
            names=_names(outlets),
            languages={o.slug: o.languages for o in outlets if o.languages},
        )


def _names(outlets: tuple[Outlet, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for outlet in outlets:
        for name in (outlet.slug, outlet.name):
            names.setdefault(_folded_name(name), outlet.slug)
    return names
