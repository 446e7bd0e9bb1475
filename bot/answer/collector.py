"""Building the search structures without the garbage collector walking them.

A load makes hundreds of thousands of small objects (word-list items, index postings),
none of them in a cycle. While they are made, the collector's passes would walk them again
and again as they grow: about a third of the time of a load.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
