"""The catch-up policy, the same on every platform.

A message that arrived while the bot was down is answered once when the bot is back,
if it is younger than the configured age; older ones are not answered, because a late
answer to a stale question confuses more than it helps.
"""

from __future__ import annotations

import datetime as dt


def is_fresh(sent_at: dt.datetime, max_age_minutes: int, now: dt.datetime | None = None) -> bool:
    """True if a message sent at ``sent_at`` (timezone-aware) should still be answered."""
    now = now or dt.datetime.now(dt.UTC)
    return now - sent_at <= dt.timedelta(minutes=max_age_minutes)
