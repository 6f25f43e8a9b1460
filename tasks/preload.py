"""What a batch worker pays once per process, paid before any worker exists.

The worker pool's forkserver (tasks/workers.py) imports this module before it forks its
first worker, so every worker starts with the batch step imported and its
once-per-process tables built. Measured cold, in one process, on the 10k benchmark
corpus: the date grammar from CLDR 1.8 s (Babel's locale data, the character classes,
the regular expressions), langdetect's profiles 0.8 s, imports 0.4 s; a first batch of
1,667 files ran 2.9 s slower than the next one in the same worker. Paid here, it is paid
once (not by each worker), on a core the starting command does not use while it imports
Prefect, and the pages are shared copy-on-write by every worker forked afterwards.

Importing this module does the work (a forkserver can only import: `preload` takes module
names). It reads no configuration: the tables depend on the installed libraries only.
The default outlet registry is built too (a run with an `outlets_file` builds its own).
"""

from __future__ import annotations

import gc
import os
from datetime import UTC, date, datetime

from wirehouse.tasks.workers import OWNER_VARIABLE, exit_with


def warm() -> None:
    """Build the batch step's lazy tables by running it on one small in-memory article
    (the real code path: nothing to keep in step with a list of caches)."""
    from wirehouse.tasks.article import EnrichOptions, FileVersion, build_document
    from wirehouse.tasks.quotes import extract_quotes
    from wirehouse.tasks.readers import Document  # every reader (trafilatura, fastwarc…)
    from wirehouse.tasks.sources import load_registry
    from wirehouse.tasks.stories import story_features

    text = (
        "Talks resume in Vienna\n\n"
        "MOSCOW, July 28. /TASS/. The foreign minister said on Monday that the talks "
        '"will go on as planned", according to a statement published in Vienna.'
    )
    origin = FileVersion("/", "warm-up.txt", 1, len(text), datetime.now(UTC), "0" * 64)
    row = build_document(
        Document(None, "text", raw=text.encode()),
        origin,
        EnrichOptions(latest_date=date.today()),
        load_registry(),
    )
    story_features(row.title, row.body or "")
    extract_quotes(row.body or "")
    import trafilatura.xml  # noqa: F401  (the HTML reader imports it where a page is read)


# The forkserver is told which process started it (tasks/workers.py `prestart`): if that
# one is killed while this still runs (seconds), this ends too, instead of finishing first.
if owner := os.environ.get(OWNER_VARIABLE):
    exit_with(int(owner))
warm()
# What is built so far lives as long as the workers: out of the collector's sight, so a
# worker's collections neither walk it nor touch (and so copy) its shared pages.
gc.freeze()
