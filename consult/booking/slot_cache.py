"""An offer's free slots for the slot pages, computed once per offer and horizon against the
versions of offers, availability and bookings the page cache keeps (consult/page_cache.py).

Every zone and every month of the picker reads the same list (slots are UTC instants; the
picker sorts them into the visitor's local days), so a visitor with a session, whose pages
are never stored, or a new ?day= or ?tz=, costs no query while nothing changed. A write to
a booking, the rules or the offer gives a new version: the next page computes again.

The clock: a list is reused within one PAGE_CACHE_SLOT_SECONDS window of `now`, with the
slots that have fallen inside the notice since dropped; a hold that lapses inside the
window frees its slot at the next window. The reservation itself never reads this: it
checks its slot against the database (service._check_slot), so a list a few seconds old
can at worst offer a time that is then refused as taken.
"""

from datetime import timedelta

from flask import current_app

from .. import page_cache
from . import service

#: Where a backend keeps the lists this process computed, and how many at most.
MEMO, MEMO_ENTRIES = "_consult_slot_lists", 64
#: What a list depends on besides the offer.
AREAS = (page_cache.OFFERS, page_cache.AVAILABILITY, page_cache.BOOKINGS)


def open_slots(session, offer, now, business, exclude_id=None):
    """service.find_open_slots for the slot pages, remembered while nothing changes."""
    backend = page_cache.backend_of(current_app)
    if backend is None:  # no shared versions to trust: compute every time
        return service.find_open_slots(session, offer, now, business, exclude_id=exclude_id)
    memo = backend.__dict__.setdefault(MEMO, {})
    window = max(int(current_app.config["PAGE_CACHE_SLOT_SECONDS"]), 1)
    key = (
        offer.id,
        offer.duration_minutes,
        exclude_id,
        int(now.timestamp()) // window,
        page_cache.versions(backend, AREAS),
    )
    found = memo.get(key)
    if found is None:
        availability = service.load_availability(session, business)
        free = service.find_open_slots(
            session, offer, now, business, exclude_id=exclude_id, availability=availability
        )
        notice = timedelta(hours=availability.rules.min_notice_hours)
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()  # crude but bounded; the next pages refill it
        memo[key] = found = (free, notice)
    free, notice = found
    earliest = now + notice
    return [slot for slot in free if slot.starts_at >= earliest]
