"""Outlet tags: the data-driven outlet registry, detection from the text, and overrides."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

BUILTIN_REGISTRY = "outlets.toml"
MAX_CHROME_CHARS = 80
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Outlet:
    slug: str
    name: str
    country: str | None
    markers: tuple[re.Pattern[str], ...]
    signoffs: tuple[re.Pattern[str], ...]
    chrome: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class Registry:
    outlets: tuple[Outlet, ...]
    chrome: tuple[re.Pattern[str], ...]  # generic page chrome, any outlet
    signoffs: tuple[re.Pattern[str], ...]  # generic sign-offs (reporter initials, "(end)")

    def slugs(self) -> set[str]:
        return {o.slug for o in self.outlets}


@dataclass(frozen=True, slots=True)
class SourceTag:
    slug: str | None
    evidence: str | None  # e.g. "dateline:/TASS/", "folder:tass_dump", "override"


class RegistryError(ValueError):
    """The outlet registry file is malformed; the message names the file and the entry."""


@cache
def load_registry(extra: Path | None = None) -> Registry:
    """The built-in registry, with the outlets of `extra` (a TOML file) merged over it."""
    builtin = tomllib.loads(resources.files("tasks").joinpath(BUILTIN_REGISTRY).read_text())
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
    for outlet in registry.outlets:
        if any(p.match(line) for p in outlet.chrome):
            return outlet.slug
    return "" if any(p.match(line) for p in registry.chrome) else None


def is_signoff_line(line: str, registry: Registry) -> str | None:
    """Like is_chrome_line, for the last line of a text."""
    if len(line) > MAX_CHROME_CHARS:
        return None
    for outlet in registry.outlets:
        if any(p.match(line) for p in outlet.signoffs):
            return outlet.slug
    return "" if any(p.match(line) for p in registry.signoffs) else None


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
    for line in header_lines:
        for outlet in registry.outlets:
            m = next((m for p in outlet.markers if (m := p.search(line))), None)
            if m is not None:
                found.setdefault(outlet.slug, m.group(0))
    if len(found) == 1:
        slug, text = found.popitem()
        return SourceTag(slug, f"dateline:{text}")
    return SourceTag(None, None)


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
    return Outlet(
        slug=slug,
        name=entry.get("name", slug),
        country=entry.get("country"),
        markers=_compile(entry.get("markers", []), f"{origin} [{slug}]"),
        signoffs=_compile(entry.get("signoffs", []), f"{origin} [{slug}]", full_line=True),
        chrome=_compile(
            entry.get("chrome", []), f"{origin} [{slug}]", full_line=True, ignore_case=True
        ),
    )


def _compile(
    patterns: list[str], origin: str, *, full_line: bool = False, ignore_case: bool = False
) -> tuple[re.Pattern[str], ...]:
    flags = re.IGNORECASE if ignore_case else 0
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(f"(?:{pattern})$" if full_line else pattern, flags))
        except re.error as exc:
            raise RegistryError(
                f"outlet registry {origin}: bad pattern {pattern!r}: {exc}"
            ) from exc
    return tuple(compiled)
