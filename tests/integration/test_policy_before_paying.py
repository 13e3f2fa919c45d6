"""Knowing the policy before paying: the rules, the deadlines, the no-refund acceptance."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from consult import formatting
from consult.audit import AuditEntry
from consult.booking import service
from consult.booking.models import Booking
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from tests.factories import RESERVATION_FORM, free_slots, open_every_day, slot_key


@pytest.fixture
def offer(app):
    with app.app_context():
        return open_every_day(db.session).slug


def refundable_slot(app, slug):
    """A slot far enough ahead that cancelling it is still refunded."""
    later = utcnow() + timedelta(hours=72)
    return next(slot for slot in free_slots(app, slug) if slot.starts_at > later)


def no_refund_slot(app, slug):
    """A slot inside the free-cancellation notice: paying for it means no refund."""
    return free_slots(app, slug)[0]


def intake_page(client, slug, slot, lang="en"):
    return client.get(f"/{lang}/book/{slug}/reserve?start={slot_key(slot)}&tz=America/Montreal")


def reserve(client, slug, slot, **changes):
    data = {**RESERVATION_FORM, "start": slot_key(slot), "tz": "America/Montreal", **changes}
    return client.post(f"/en/book/{slug}/reserve", data=data)


def test_the_offer_page_states_the_rules_in_plain_words(client, offer):
    page = client.get(f"/en/book/{offer}").text
    assert "Cancel up to 48 hours before the session and you are refunded in full." in page
    assert "You may move the session once, up to 24 hours before it starts." in page


def test_an_advertised_price_is_before_taxes_with_the_taxes_named(client, offer):
    assert "$250.00 + GST and QST" in client.get(f"/en/book/{offer}").text
    french = client.get(f"/fr/book/{offer}").text
    assert "250,00\u00a0$ + TPS et TVQ" in french
    assert "taxes incluses" not in french


def test_the_intake_form_gives_the_deadlines_of_the_chosen_time_in_her_zone(client, app, offer):
    slot = refundable_slot(app, offer)
    page = intake_page(client, offer, slot).text
    assert "Free cancellation until" in page
    assert "Moving is possible until" in page
    deadline = formatting.when(slot.starts_at - timedelta(hours=48), "America/Montreal", "en")
    assert deadline in page
    assert "cannot be refunded" not in page
    assert 'name="accept_no_refund"' not in page


def test_the_intake_form_shows_each_tax_and_the_total(client, app, offer):
    page = intake_page(client, offer, refundable_slot(app, offer)).text
    assert "$250.00" in page and "$12.50" in page and "$24.94" in page and "$287.44" in page


def test_a_time_inside_the_no_refund_window_warns_and_asks_for_acceptance(client, app, offer):
    page = intake_page(client, offer, no_refund_slot(app, offer)).text
    assert 'id="no-refund-warning"' in page
    assert "it cannot be refunded" in page
    assert 'name="accept_no_refund"' in page


def test_the_warning_reads_in_french(client, app, offer):
    page = intake_page(client, offer, no_refund_slot(app, offer), lang="fr").text
    assert "elle ne peut pas être remboursée" in page
    assert "Annulation gratuite jusqu’au" in page


def test_paying_inside_the_window_is_refused_until_she_accepts(client, app, offer):
    slot = no_refund_slot(app, offer)
    refused = reserve(client, offer, slot, accept_no_refund="")
    assert refused.status_code == 400
    assert "Please confirm that you understand this session cannot be refunded." in refused.text
    assert RESERVATION_FORM["goal"] in refused.text  # nothing she typed is lost
    with app.app_context():
        assert db.session.scalars(sa.select(Booking)).all() == []


def test_her_acceptance_is_recorded_with_the_booking(client, app, offer):
    assert reserve(client, offer, no_refund_slot(app, offer)).status_code == 302
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == service.NO_REFUND_ACCEPTED)
        )
        assert entry.target_id == str(booking.id)
        assert entry.after["accepted_at"]


def test_a_refundable_time_needs_no_acceptance_and_records_none(client, app, offer):
    response = reserve(client, offer, refundable_slot(app, offer), accept_no_refund="")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_the_checkout_repeats_the_terms_and_each_tax(client, app, offer):
    reserve(client, offer, no_refund_slot(app, offer))
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    page = client.get(f"/en/pay/demo/{token}").text
    assert "Cancel up to 48 hours before the session" in page
    assert "You accepted that this session cannot be refunded." in page
    assert "$12.50" in page and "$24.94" in page and "$287.44" in page


def test_the_confirmation_email_carries_a_copy_of_the_terms(client, app, offer):
    reserve(client, offer, refundable_slot(app, offer))
    with app.app_context():
        token = db.session.scalar(sa.select(Booking.manage_token))
    client.post(f"/en/pay/demo/{token}/pay", data={})
    with app.app_context():
        confirmed = [
            message
            for message in db.session.scalars(sa.select(OutboxMessage)).all()
            if "Free cancellation until" in message.text_body
        ]
    assert confirmed, "the confirmation carries the terms"
    body = confirmed[0].text_body
    assert "What you agreed to" in body
    assert "Total: $287.44" in body
