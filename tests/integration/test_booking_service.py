"""Booking services against the real database: holds, payment, expiry, cancel, move, remind."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar

from consult.booking import service
from consult.booking.models import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    Booking,
    Offer,
    WeeklyHours,
)
from consult.business import current as current_business
from consult.extensions import db
from consult.mail.models import OutboxMessage
from consult.payments.models import LedgerEntry
from consult.payments.service import record_payment
from tests.factories import INTAKE, open_every_day

#: A Monday at 8:00 in Montréal (EDT, UTC-4): "now" for these tests.
NOW = datetime(2027, 6, 7, 12, tzinfo=UTC)
#: Tuesday 2027-06-15, 10:00 in Montréal: eight days ahead, inside every window.
SLOT = datetime(2027, 6, 15, 14, tzinfo=UTC)


def cancel(booking, now, **changes):
    """The booking service's cancel with the app's settings."""
    return service.cancel(
        db.session, booking, now, business=current_business(), config=current_app.config, **changes
    )


def reschedule(booking, new_starts_at, now, **changes):
    """The booking service's reschedule with the app's settings."""
    return service.reschedule(
        db.session, booking, new_starts_at, now, business=current_business(), **changes
    )


def hold(app, offer, starts_at=SLOT, now=NOW, **overrides):
    values = {
        "offer": offer,
        "starts_at": starts_at,
        "intake": INTAKE,
        "lang": "en",
        "time_zone": "Europe/Paris",
        "gateway": "demo",
        "hold_minutes": 30,
        "business": current_business(),
        "now": now,
    }
    values.update(overrides)
    return service.reserve(db.session, **values)


def confirmed(app, offer, starts_at=SLOT, now=NOW):
    """A paid, confirmed booking, as the payment event leaves it."""
    booking = hold(app, offer, starts_at, now)
    record_payment(
        db.session,
        booking,
        method="demo",
        total_cents=booking.total_cents,
        occurred_at=now,
        time_zone="America/Montreal",
    )
    service.confirm_paid(db.session, booking, now, business=current_business())
    db.session.commit()
    return booking


def mails(topic_prefix):
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.topic.startswith(topic_prefix))
        .order_by(OutboxMessage.id)
    ).all()


def invitation_of(message):
    (item,) = [a for a in message.attachments if a["content_type"].startswith("text/calendar")]
    calendar = Calendar.from_ical(item["content"])
    return calendar, calendar.walk("VEVENT")[0]


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app, open_every_day(db.session)


# ----------------------------------------------------------------------------- holds


def test_a_reservation_holds_the_slot_with_a_deadline_and_a_tax_snapshot(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    assert booking.status == HELD
    assert booking.hold_expires_at == NOW + timedelta(minutes=30)
    assert booking.ends_at == SLOT + timedelta(hours=1)
    assert booking.busy_ends_at == SLOT + timedelta(minutes=75)  # the buffer after
    assert booking.subtotal_cents == 25000
    assert [(line["code"], line["cents"]) for line in booking.tax_lines] == [
        ("GST", 1250),
        ("QST", 2494),
    ]
    assert booking.total_cents == 28744
    assert booking.ics_uid.endswith("@consult")
    assert booking.client_name == "Ana Prospect" and booking.intake_goal.startswith("Whether")


def test_a_held_slot_is_taken_and_the_answer_offers_the_next_ones(ctx):
    app, offer = ctx
    hold(app, offer)
    with pytest.raises(service.SlotTaken) as taken:
        hold(app, offer, intake={**INTAKE, "email": "bea@example.org"})
    assert taken.value.next_slots
    assert all(slot.starts_at > SLOT for slot in taken.value.next_slots)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_buffers_make_a_neighbouring_slot_taken(ctx):
    app, offer = ctx
    hold(app, offer, starts_at=SLOT)
    # 11:00 starts when the 10:00 session's buffer still runs (until 11:15).
    with pytest.raises(service.SlotTaken):
        hold(app, offer, starts_at=SLOT + timedelta(hours=1))


def test_a_time_never_offered_is_outside_the_policy(ctx):
    app, offer = ctx
    with pytest.raises(service.OutsidePolicy) as refused:
        hold(app, offer, starts_at=SLOT.replace(hour=4))  # midnight in Montréal
    assert refused.value.rule == service.NOT_OFFERED


def test_a_hold_past_its_deadline_frees_the_slot_without_anyone_acting(ctx):
    app, offer = ctx
    first = hold(app, offer)
    later = NOW + timedelta(minutes=31)
    free = service.find_open_slots(db.session, offer, later, current_business())
    assert SLOT in [slot.starts_at for slot in free]
    second = hold(app, offer, now=later, intake={**INTAKE, "email": "bea@example.org"})
    assert second.status == HELD
    db.session.refresh(first)
    assert first.status == EXPIRED


def test_a_live_hold_still_blocks_the_slot(ctx):
    app, offer = ctx
    hold(app, offer)
    free = service.find_open_slots(
        db.session, offer, NOW + timedelta(minutes=29), current_business()
    )
    assert SLOT not in [slot.starts_at for slot in free]


def test_release_expired_holds_is_idempotent(ctx):
    app, offer = ctx
    stale = hold(app, offer)
    live = hold(app, offer, starts_at=SLOT + timedelta(days=1), now=NOW + timedelta(minutes=20))
    later = NOW + timedelta(minutes=35)
    assert service.release_expired_holds(db.session, later) == 1
    assert service.release_expired_holds(db.session, later) == 0
    db.session.refresh(stale)
    db.session.refresh(live)
    assert (stale.status, live.status) == (EXPIRED, HELD)


def stored_booking(offer, starts_at, **fields):
    """A booking row as the services leave it, at a time relative to the real clock."""
    values = {
        "offer": offer,
        "status": CONFIRMED,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "busy_starts_at": starts_at,
        "busy_ends_at": starts_at + timedelta(hours=1),
        "client_name": "Ana Prospect",
        "client_email": "ana@example.org",
        "ics_uid": f"{starts_at:%Y%m%d%H%M}@consult",
    }
    values.update(fields)
    booking = Booking(**values)
    db.session.add(booking)
    db.session.commit()
    return booking


def test_the_release_holds_command_is_cron_safe(ctx, runner):
    app, offer = ctx
    now = datetime.now(UTC)
    booking = stored_booking(
        offer, now + timedelta(days=3), status=HELD, hold_expires_at=now - timedelta(minutes=1)
    )
    first = runner.invoke(args=["consult", "release-holds"])
    again = runner.invoke(args=["consult", "release-holds"])
    assert "Released 1 expired hold(s)." in first.output
    assert "Released 0 expired hold(s)." in again.output
    db.session.refresh(booking)
    assert booking.status == EXPIRED
    for command in ("release-holds", "send-reminders"):
        assert "Usage:" in runner.invoke(args=["consult", command, "--help"]).output


# ----------------------------------------------------------------------------- payment


def test_a_payment_confirms_and_mails_the_invitation_and_the_owner(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    assert booking.status == CONFIRMED and booking.confirmed_at == NOW
    (to_client,) = mails("booking_confirmed")
    assert to_client.to == "ana@example.org"
    assert "Europe/Paris" in to_client.text_body  # her zone, stated
    assert f"/en/booking/{booking.manage_token}" in to_client.text_body
    calendar, event = invitation_of(to_client)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == booking.ics_uid and event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == SLOT
    (to_owner,) = mails("booking_owner_confirmed")
    assert to_owner.to == app.config["OWNER_EMAIL"]
    assert "America/Montreal" in to_owner.text_body
    assert "Boulangerie Ana" in to_owner.text_body


def test_confirming_twice_changes_nothing_the_second_time(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    service.confirm_paid(
        db.session, booking, NOW + timedelta(minutes=1), business=current_business()
    )
    db.session.commit()
    assert booking.confirmed_at == NOW
    assert len(mails("booking_confirmed")) == 1


def test_a_late_payment_for_a_free_slot_still_confirms(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    later = NOW + timedelta(hours=2)
    service.release_expired_holds(db.session, later)
    service.confirm_paid(db.session, booking, later, business=current_business())
    db.session.commit()
    assert booking.status == CONFIRMED


def test_a_payment_just_past_the_deadline_confirms_a_hold_nobody_released(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    service.confirm_paid(
        db.session, booking, NOW + timedelta(minutes=31), business=current_business()
    )
    db.session.commit()
    db.session.refresh(booking)
    assert booking.status == CONFIRMED


def test_a_late_payment_whose_slot_was_retaken_is_refused(ctx):
    app, offer = ctx
    late = hold(app, offer)
    later = NOW + timedelta(hours=2)
    other = hold(app, offer, now=later, intake={**INTAKE, "email": "bea@example.org"})
    with pytest.raises(service.SlotNoLongerAvailable):
        service.confirm_paid(db.session, late, later, business=current_business())
    db.session.commit()
    db.session.refresh(late)
    db.session.refresh(other)
    assert (late.status, other.status) == (EXPIRED, HELD)
    assert mails("booking_confirmed") == []


def test_a_late_payment_is_refused_when_other_sessions_filled_its_day(app):
    with app.app_context():
        offer = open_every_day(db.session, daily_max_sessions=1)
        late = hold(app, offer)
        later = NOW + timedelta(hours=2)
        # Another prospect takes the day's only place, at another hour, while it lapses.
        other = confirmed(app, offer, starts_at=SLOT + timedelta(hours=2), now=later)
        with pytest.raises(service.SlotNoLongerAvailable, match="day is now full"):
            service.confirm_paid(db.session, late, later, business=current_business())
        db.session.commit()
        db.session.refresh(late)
        assert (late.status, other.status) == (HELD, CONFIRMED)


def test_a_late_payment_confirms_when_its_day_still_has_room(app):
    with app.app_context():
        offer = open_every_day(db.session, daily_max_sessions=2)
        late = hold(app, offer)
        later = NOW + timedelta(hours=2)
        confirmed(app, offer, starts_at=SLOT + timedelta(hours=2), now=later)
        service.confirm_paid(db.session, late, later, business=current_business())
        db.session.commit()
        assert late.status == CONFIRMED


def test_a_payment_for_a_cancelled_booking_is_refused(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    cancel(booking, NOW)
    with pytest.raises(service.SlotNoLongerAvailable):
        service.confirm_paid(db.session, booking, NOW, business=current_business())


def test_release_hold_ends_a_live_hold_and_ignores_others(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    service.release_hold(db.session, booking, NOW)
    db.session.commit()
    assert booking.status == EXPIRED
    service.release_hold(db.session, booking, NOW)
    assert booking.status == EXPIRED


# ----------------------------------------------------------------------------- cancel


def refunds(booking):
    return db.session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.booking_id == booking.id, LedgerEntry.kind == "refund"
        )
    ).all()


def test_cancelling_inside_the_free_window_refunds_in_full(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    result = cancel(booking, SLOT - timedelta(hours=49))
    assert booking.status == CANCELLED
    assert result.refunded_cents == booking.total_cents
    (refund,) = refunds(booking)
    assert refund.total_cents == -booking.total_cents
    (to_client,) = mails("booking_cancelled")
    calendar, event = invitation_of(to_client)
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == booking.ics_uid and event["SEQUENCE"] == 1
    assert "refunded" in to_client.text_body
    assert mails("booking_owner_cancelled")


def test_cancelling_after_the_free_window_refunds_nothing(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    result = cancel(booking, SLOT - timedelta(hours=47))
    assert booking.status == CANCELLED
    assert result.refunded_cents == 0
    assert refunds(booking) == []
    assert "no refund" in mails("booking_cancelled")[0].text_body


def test_a_started_session_cannot_be_cancelled_by_the_prospect(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    with pytest.raises(service.OutsidePolicy) as refused:
        cancel(booking, SLOT + timedelta(minutes=5))
    assert refused.value.rule == "started"
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == CONFIRMED


def test_the_owner_may_cancel_late_and_still_refund(ctx, make_user):
    app, offer = ctx
    owner = make_user(role="owner")
    booking = confirmed(app, offer)
    result = cancel(booking, SLOT - timedelta(hours=2), by=owner, reason="Sick")
    assert result.refunded_cents == booking.total_cents
    assert booking.cancel_reason == "Sick"
    assert "had to be cancelled" in mails("booking_cancelled")[0].text_body


def test_a_cancelled_slot_is_free_again(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    cancel(booking, NOW)
    assert SLOT in [
        s.starts_at for s in service.find_open_slots(db.session, offer, NOW, current_business())
    ]


# ----------------------------------------------------------------------------- reschedule


def test_rescheduling_moves_the_booking_in_one_step_and_updates_the_invitation(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    new_start = SLOT + timedelta(days=1)
    reschedule(booking, new_start, NOW)
    assert (booking.starts_at, booking.reschedule_count, booking.ics_sequence) == (new_start, 1, 1)
    assert booking.busy_ends_at == new_start + timedelta(minutes=75)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    free = [
        s.starts_at for s in service.find_open_slots(db.session, offer, NOW, current_business())
    ]
    assert SLOT in free and new_start not in free
    (message,) = mails("booking_rescheduled")
    calendar, event = invitation_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == booking.ics_uid and event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == new_start
    assert mails("booking_owner_rescheduled")


def test_a_session_can_move_to_an_overlapping_time_of_its_own(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    reschedule(booking, SLOT + timedelta(hours=1), NOW)
    assert booking.starts_at == SLOT + timedelta(hours=1)


def test_a_second_move_is_outside_the_policy(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    reschedule(booking, SLOT + timedelta(days=1), NOW)
    with pytest.raises(service.OutsidePolicy) as refused:
        reschedule(booking, SLOT + timedelta(days=2), NOW)
    assert refused.value.rule == "max_reschedules"


def test_moving_less_than_24_hours_ahead_is_outside_the_policy(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    with pytest.raises(service.OutsidePolicy) as refused:
        reschedule(booking, SLOT + timedelta(days=1), SLOT - timedelta(hours=23))
    assert refused.value.rule == "reschedule_notice"


def test_the_owner_may_move_a_session_past_the_policy(ctx, make_user):
    app, offer = ctx
    owner = make_user(role="owner")
    booking = confirmed(app, offer)
    reschedule(booking, SLOT + timedelta(days=1), NOW)
    reschedule(booking, SLOT + timedelta(days=2), SLOT - timedelta(hours=2), by=owner)
    assert booking.starts_at == SLOT + timedelta(days=2)
    assert booking.reschedule_count == 1  # her moves do not use up the client's


def test_moving_onto_a_taken_slot_is_refused_and_keeps_the_old_one(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    taken = SLOT + timedelta(days=1)
    hold(app, offer, starts_at=taken, intake={**INTAKE, "email": "bea@example.org"})
    with pytest.raises(service.SlotTaken):
        reschedule(booking, taken, NOW)
    db.session.rollback()
    stored = db.session.get(Booking, booking.id)
    assert (stored.starts_at, stored.reschedule_count) == (SLOT, 0)


# ----------------------------------------------------------------------------- reminders


def test_reminders_go_out_once_for_sessions_within_24_hours(ctx):
    app, offer = ctx
    booking = confirmed(app, offer)
    far = confirmed(app, offer, starts_at=SLOT + timedelta(days=3))
    day_before = SLOT - timedelta(hours=23)
    assert service.send_due_reminders(db.session, day_before, app.config, current_business()) == 1
    assert service.send_due_reminders(db.session, day_before, app.config, current_business()) == 0
    (reminder,) = mails("booking_reminder")
    assert reminder.topic == f"booking_reminder:{booking.id}"
    db.session.refresh(far)
    assert far.reminder_sent_at is None


def test_the_send_reminders_command_never_reminds_twice(ctx, runner):
    app, offer = ctx
    stored_booking(offer, datetime.now(UTC) + timedelta(hours=3))
    first = runner.invoke(args=["consult", "send-reminders"])
    again = runner.invoke(args=["consult", "send-reminders"])
    assert "Queued 1 reminder(s)" in first.output
    assert "Queued 0 reminder(s)" in again.output


# ----------------------------------------------------------------------------- database


@pytest.mark.postgres_only
def test_postgresql_itself_refuses_two_overlapping_live_bookings(ctx):
    app, offer = ctx
    booking = hold(app, offer)
    twin = Booking(
        offer=offer,
        status=CONFIRMED,
        starts_at=SLOT,
        ends_at=booking.ends_at,
        busy_starts_at=SLOT,
        busy_ends_at=booking.ends_at,
        client_name="Bea",
        client_email="bea@example.org",
        ics_uid="twin@consult",
    )
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError, match="bookings_no_overlap"):
        db.session.commit()
    db.session.rollback()


def test_the_demo_seed_adds_hours_and_offers_once(app):
    from consult.booking.seed import seed

    with app.app_context():
        seed(db.session, NOW)
        seed(db.session, NOW)
        db.session.commit()
        slugs = db.session.scalars(sa.select(Offer.slug).order_by(Offer.position)).all()
        assert slugs == ["diagnostic", "strategie-medias-sociaux", "atelier-equipe"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WeeklyHours)) == 10
        flagship = db.session.scalar(sa.select(Offer).where(Offer.flagship))
        assert (flagship.slug, flagship.duration_minutes, flagship.price_cents) == (
            "strategie-medias-sociaux",
            60,
            25000,
        )
