"""A value per Unicode code point, worked out when the code point first shows up.

Several steps map each character of a text through a function of the character alone
(langdetect's normalization, the search index's accent folding and pre-splitting, which
characters are word characters). `str.translate` looks every character up in a dict;
`CodePointTable` keeps the values in an array over all code points (4.5 MB as uint32) and
looks a whole text up at once, asking the function only about code points it has not
seen: after a few texts, none.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CODE_POINTS = 0x110000


def code_points(text: str) -> np.ndarray:
    """The text's code points (uint32); lone surrogates (from surrogateescape) included."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class CodePointTable:
    """`compute(code)` for every code point, filled in as code points are looked up;
    `unset` marks the ones not asked yet (a value `compute` never returns)."""

    def __init__(
        self, compute: Callable[[int], int], dtype: type = np.uint32, unset: int = 0xFFFFFFFF
    ) -> None:
        self.compute = compute
        self.unset = unset
        self.values = np.full(CODE_POINTS, unset, dtype=dtype)

    def __getitem__(self, codes: np.ndarray) -> np.ndarray:
        """The values of an array of code points."""
        found = self.values[codes]
        missing = found == self.unset
        if missing.any():
            for code in np.unique(codes[missing]).tolist():
                self.values[code] = self.compute(code)
            found = self.values[codes]
        return found
