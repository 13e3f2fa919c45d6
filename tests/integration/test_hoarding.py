"""Nobody can hoard the calendar: live holds per email and per address; reservations limited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult.booking.models import HELD, Booking
from consult.extensions import db, utcnow
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key

HOARDER = "203.0.113.7"
VISITOR = "198.51.100.20"


@pytest.fixture
def offer(app):
    with app.app_context():
        return open_every_day(db.session).slug


def reserve(client, slug, slot, address, lang="en", **changes):
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "America/Montreal", **changes}
    return client.post(
        f"/{lang}/book/{slug}/reserve", data=data, environ_base={"REMOTE_ADDR": address}
    )


def spaced_slots(app, slug):
    """Free slots two hours apart, so that no hold's buffer covers the next one."""
    return free_slots(app, slug)[::2]


def live_holds(app):
    with app.app_context():
        now = utcnow()
        return db.session.scalars(
            sa.select(Booking).where(Booking.status == HELD, Booking.hold_expires_at > now)
        ).all()


def test_after_a_hundred_reservations_from_one_address_another_visitor_still_books(
    app, client, offer
):
    slots = spaced_slots(app, offer)
    assert len(slots) > 100

    statuses = [
        reserve(client, offer, slot, HOARDER, email=f"bot{number}@example.org").status_code
        for number, slot in enumerate(slots[:100])
    ]

    assert statuses.count(302) == app.config["MAX_LIVE_HOLDS_PER_ADDRESS"] == 3
    assert set(statuses) == {302, 429}
    assert len(live_holds(app)) == 3
    visitor = app.test_client()
    page = visitor.get(f"/en/book/{offer}", environ_base={"REMOTE_ADDR": VISITOR})
    assert page.status_code == 200
    assert f"/en/book/{offer}/reserve?" in page.text  # free slots, offered to her
    still_free = free_slots(app, offer)
    held = {hold.starts_at for hold in live_holds(app)}
    assert len(still_free) > 100 and not held & {slot.starts_at for slot in still_free}
    answer = reserve(visitor, offer, still_free[0], VISITOR, email="real@example.org")
    assert answer.status_code == 302
    assert sorted(hold.client_email for hold in live_holds(app))[-1] == "real@example.org"


def test_the_hoarders_refusals_say_why_in_her_language(app, client, offer):
    slots = spaced_slots(app, offer)
    for number, slot in enumerate(slots[:3]):
        assert (
            reserve(client, offer, slot, HOARDER, email=f"b{number}@example.org").status_code == 302
        )

    english = reserve(client, offer, slots[3], HOARDER, email="b3@example.org")
    french = reserve(client, offer, slots[4], HOARDER, lang="fr", email="b4@example.org")

    assert english.status_code == french.status_code == 429
    assert "Too many unpaid times are held from your connection" in english.text
    assert "Trop de plages non payées sont retenues depuis votre connexion" in french.text
    assert len(live_holds(app)) == 3


def test_one_email_holds_at_most_two_times_whatever_the_address(app, offer):
    slots = spaced_slots(app, offer)
    answers = [
        reserve(app.test_client(), offer, slot, f"192.0.2.{number}", email="ana@example.org")
        for number, slot in enumerate(slots[:3])
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert "This email address already holds as many unpaid times" in answers[2].text
    assert len(live_holds(app)) == app.config["MAX_LIVE_HOLDS_PER_EMAIL"] == 2


def test_her_own_hold_submitted_again_at_the_limit_is_hers_updated(app, client, offer):
    slots = spaced_slots(app, offer)
    for number, slot in enumerate(slots[:3]):
        assert (
            reserve(client, offer, slot, HOARDER, email=f"h{number}@example.org").status_code == 302
        )

    again = reserve(
        client, offer, slots[0], HOARDER, email="h0@example.org", phone="+1 514 555 0199"
    )

    assert again.status_code == 302  # back to payment, not refused
    (hers,) = [hold for hold in live_holds(app) if hold.client_email == "h0@example.org"]
    assert hers.client_phone == "+1 514 555 0199"
    assert len(live_holds(app)) == 3


def test_holds_that_ended_no_longer_count(app, client, offer):
    slots = spaced_slots(app, offer)
    for number, slot in enumerate(slots[:3]):
        reserve(client, offer, slot, HOARDER, email=f"e{number}@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Booking).values(hold_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()

    answer = reserve(client, offer, slots[5], HOARDER, email="e9@example.org")

    assert answer.status_code == 302
    assert len(live_holds(app)) == 1


def test_the_address_is_kept_as_a_keyed_hash_never_in_clear(app, client, offer):
    reserve(client, offer, free_slots(app, offer)[0], HOARDER)
    (hold,) = live_holds(app)
    assert hold.client_address_hash and len(hold.client_address_hash) == 64
    assert HOARDER not in hold.client_address_hash


def test_one_ipv6_connection_is_one_address_whatever_its_last_64_bits(app, offer):
    slots = spaced_slots(app, offer)
    answers = [
        reserve(app.test_client(), offer, slot, f"2001:db8:1:2::{number}", email=f"v{number}@x.org")
        for number, slot in enumerate(slots[:4])
    ]
    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]


@pytest.mark.parametrize("app_config", [{"RESERVE_RATE_LIMIT": "2 per hour"}])
def test_reservations_are_rate_limited_per_address_with_a_clear_message(app, client, offer):
    slots = spaced_slots(app, offer)
    assert reserve(client, offer, slots[0], HOARDER, email="r0@example.org").status_code == 302
    assert reserve(client, offer, slots[1], HOARDER, email="r1@example.org").status_code == 302

    refused = reserve(client, offer, slots[2], HOARDER, lang="fr", email="r2@example.org")

    assert refused.status_code == 429
    assert "Trop de demandes de réservation depuis votre connexion" in refused.text
    assert "Retry-After" in refused.headers
    assert len(live_holds(app)) == 2
    # The form itself, and other addresses, are not limited.
    start = slot_key(slots[2])
    page = client.get(
        f"/en/book/{offer}/reserve?start={start}", environ_base={"REMOTE_ADDR": HOARDER}
    )
    assert page.status_code == 200
    assert reserve(client, offer, slots[2], VISITOR, email="r2@example.org").status_code == 302
