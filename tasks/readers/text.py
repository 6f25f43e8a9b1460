"""Plain text: the whole file is one article, decoded later by tasks/decode.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from wirehouse.tasks.readers.base import Document, Item, ReadOptions


class TextReader:
    name = "text"
    description = "a plain text file (any encoding) is one article"
    fields: tuple[str, ...] = ()

    def sniff(self, head: bytes, filename: str) -> int:
        return 1  # whatever no other reader claims

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        yield Document(record_key=None, format=self.name, raw=stream.read())


READER = TextReader()
