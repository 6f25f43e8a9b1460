"""The default of every setting that a step also needs outside a run, in one place.

`wirehouse/settings.py` builds its `Settings` fields from these, and the steps' own
keyword defaults (for a caller outside a run: a test, a benchmark, a notebook) are the
same names, so a default is written once. Nothing here imports anything.
"""

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # max_file_bytes: a plain file, or one document
MAX_EXPANDED_BYTES = 2 * 1024**3  # all members of an archive, decompressed
MAX_MEMBERS = 100_000  # members of one archive
MAX_DEPTH = 3  # archives inside archives
LANGUAGE_MIN_LETTERS = 20  # fewer letters: language NULL
LANGUAGE_SEED = 0  # langdetect's seed, so answers are repeatable
