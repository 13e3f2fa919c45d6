"""No double booking, ever: many prospects race for one slot over real HTTP; one wins."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from consult.booking.models import Booking
from consult.extensions import db
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key

RACERS = 24
#: Every racer comes from this machine's one address: the hoarding limits (proven in
#: test_hoarding.py) are lifted here, so what is raced is the slot alone.
UNLIMITED = {"RESERVE_RATE_LIMIT": "1000 per minute", "MAX_LIVE_HOLDS_PER_ADDRESS": 1000}


@pytest.fixture
def app_config():
    return dict(UNLIMITED)


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


def race(base_url, starts):
    """One request per start time in `starts`, all released at the same instant."""
    url = f"{base_url}/en/book/strategie/reserve"
    gate = threading.Barrier(len(starts))

    def one(index):
        data = {**RESERVATION_FORM, "email": f"racer{index}@example.org", "start": starts[index]}
        gate.wait()
        return post(url, {**data, "tz": "Europe/Paris"})

    with ThreadPoolExecutor(len(starts)) as pool:
        return list(pool.map(one, range(len(starts))))


def check_exactly_one_won(app, results):
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [409] * (len(results) - 1), statuses
    for status, body in results:
        if status == 409:
            assert "This time was just taken" in body
            assert "The next free times" in body
    with app.app_context():
        # No orphan rows: the winner's booking and nothing else.
        return db.session.scalars(sa.select(Booking)).all()


def race_for_one_slot(app, base_url):
    with app.app_context():
        open_every_day(db.session)
    slot = free_slots(app, "strategie")[0]
    results = race(base_url, [slot_key(slot)] * RACERS)
    (winner,) = check_exactly_one_won(app, results)
    assert winner.starts_at == slot.starts_at


def test_racing_prospects_on_sqlite_get_one_booking_and_clear_answers(app, live_server):
    race_for_one_slot(app, live_server.url)


@pytest.mark.postgres_only
def test_racing_prospects_on_postgresql_get_one_booking_and_clear_answers(app, live_server):
    race_for_one_slot(app, live_server.url)


@pytest.mark.postgres_only
def test_racing_for_the_last_place_of_a_capped_day_lets_one_in(app, live_server):
    with app.app_context():
        open_every_day(db.session, daily_max_sessions=1)
    day = free_slots(app, "strategie")[0].starts_at.date()
    same_day = [slot for slot in free_slots(app, "strategie") if slot.starts_at.date() == day]
    starts = [slot_key(slot) for slot in same_day][:4] * 5
    (winner,) = check_exactly_one_won(app, race(live_server.url, starts))
    assert winner.starts_at.date() == day


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    """The app under gunicorn, four worker processes of two threads, on the test database."""
    port = free_port()
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(tmp_path / "gunicorn"),
        "SECRET_KEY": "race-secret",
        "WTF_CSRF_ENABLED": False,
        "SITE_URL": f"http://127.0.0.1:{port}",
        **UNLIMITED,
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers=4",
        "--threads=2",
        "--preload",
        f"--bind=127.0.0.1:{port}",
        f"consult:create_app({settings!r})",
    ]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                os.killpg(server.pid, signal.SIGKILL)
                pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
    yield base_url
    # The race is over and nothing is left to finish: stop the master and its workers now.
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_racing_prospects_across_gunicorn_workers_get_one_booking(app, gunicorn):
    race_for_one_slot(app, gunicorn)
