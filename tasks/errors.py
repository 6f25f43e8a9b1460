"""The one exception a step raises for a file it cannot ingest, with a stable reason code."""

from __future__ import annotations

# Reasons that may go away on their own (the file is being written, permissions are being
# fixed, a network share blinked): such files are tried again on every run. Every other
# reason is a property of the bytes, so an unchanged file is not read again.
TRANSIENT_REASONS = frozenset({"unreadable", "vanished", "io_error"})

REASONS = {
    "empty": "the file has zero bytes",
    "too_large": "the file is larger than max_file_bytes",
    "binary": "the bytes are not text (a known binary format or many control bytes)",
    "undecodable": "no text encoding decodes the bytes",
    "no_text": "the text has no letters or digits",
    "outside_root": "a symlink that points outside the ingest root (not followed)",
    "symlink_loop": "a folder symlink that leads back into a folder already walked",
    "broken_symlink": "a symlink whose target does not exist",
    "unreadable": "the file could not be opened (permissions)",
    "vanished": "the file disappeared between discovery and reading",
    "io_error": "reading the file failed",
    "internal_error": "a bug in Wirehouse; the message has the traceback summary",
    # A whole container, or one record of it (then `rejects.record_key` names it):
    "bad_format": "the file claims a format it does not hold (a Word file that is no export)",
    "bad_record": "one record of the file is malformed (a broken JSON line, CSV row)",
    "duplicate_key": "a second record with the key of an earlier one in the same file",
    "too_deep": "an archive nested deeper than max_depth",
    "encrypted": "an encrypted archive member",
    "truncated": "the file or record is cut short (gzip stream, WARC record)",
    "unsplittable": "an export announces more articles than could be told apart in it",
}


class RejectError(Exception):
    """A file cannot be ingested; `reason` is one of REASONS."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reject reason {reason!r}; add it to REASONS")
        super().__init__(message)
        self.reason = reason
        self.message = message


class AccountingError(RuntimeError):
    """Some discovered file has no outcome: the run is not committed."""
