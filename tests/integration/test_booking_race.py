"""No double booking, ever: many prospects race for one slot over real HTTP; one wins."""

import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking
from consult.extensions import db
from tests.integration.test_booking_views import FORM, free_slots, key, open_every_day

RACERS = 24


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(url, data):
    opener = urllib.request.build_opener(NoRedirect)
    body = urllib.parse.urlencode(data).encode()
    try:
        with opener.open(url, body, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def race(app, live_server):
    with app.app_context():
        open_every_day(db.session)
    slot = free_slots(app, "strategie")[0]
    url = f"{live_server.url}/en/book/strategie/reserve"
    start = threading.Barrier(RACERS)

    def one(index):
        data = {
            **FORM,
            "email": f"racer{index}@example.org",
            "start": key(slot),
            "tz": "Europe/Paris",
        }
        start.wait()
        return post(url, data)

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(one, range(RACERS)))
    return slot, results


def check_exactly_one_won(app, slot, results):
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [409] * (RACERS - 1), statuses
    for status, body in results:
        if status == 409:
            assert "This time was just taken" in body
            assert "The next free times" in body
    with app.app_context():
        rows = db.session.scalars(sa.select(Booking)).all()
    # No orphan rows: one booking, the winner's, for the raced slot.
    assert len(rows) == 1
    assert rows[0].starts_at == slot.starts_at


@pytest.mark.postgres_only
@pytest.mark.slow
def test_racing_prospects_on_postgresql_get_one_booking_and_clear_answers(app, live_server):
    slot, results = race(app, live_server)
    check_exactly_one_won(app, slot, results)


def test_racing_prospects_on_sqlite_get_one_booking_and_clear_answers(app, live_server):
    slot, results = race(app, live_server)
    check_exactly_one_won(app, slot, results)
