"""Money arrives as offered: a payment event confirms its booking only if its amount,
currency and checkout are the ones the booking was offered; anything else is an anomaly,
in the ledger as money received, refunded in full, shown to the owner, confirming nothing."""

import sqlalchemy as sa

from consult.booking.models import CONFIRMED, HELD, Booking
from consult.extensions import db
from consult.payments.models import PAYMENT, REFUND, LedgerEntry, PaymentAnomaly
from tests.payments_support import DEMO_WEBHOOK_SECRET, checkout_session, event, post_event

SECRET = DEMO_WEBHOOK_SECRET


def paid(booking, **fields):
    return event("checkout.session.completed", checkout_session(booking, **fields))


def ledger(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                LedgerEntry.kind, LedgerEntry.number, LedgerEntry.total_cents, LedgerEntry.currency
            ).order_by(LedgerEntry.id)
        )
        return [tuple(row) for row in rows]


def status_of(app, booking_id):
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def anomalies(app):
    with app.app_context():
        return db.session.scalars(sa.select(PaymentAnomaly).order_by(PaymentAnomaly.id)).all()


def test_one_cent_for_a_booking_offered_at_287_44_confirms_nothing_and_is_refunded(
    app, client, held
):
    response = post_event(client, paid(held, amount_total=1), SECRET)

    assert response.status_code == 200
    assert response.json["outcome"] == "anomaly refunded"
    assert status_of(app, held.id) == HELD
    assert ledger(app) == [(PAYMENT, "R-000001", 1, "CAD"), (REFUND, "CN-000001", -1, "CAD")]
    (anomaly,) = anomalies(app)
    assert anomaly.mismatch == "amount"
    assert (anomaly.expected_cents, anomaly.received_cents) == (28_744, 1)
    assert anomaly.booking_id == held.id and anomaly.payment_id is not None


def test_the_right_amount_in_another_currency_is_an_anomaly(app, client, held):
    response = post_event(client, paid(held, currency="usd"), SECRET)

    assert response.json["outcome"] == "anomaly refunded"
    assert status_of(app, held.id) == HELD
    # The ledger says what arrived, in the currency it arrived in.
    assert ledger(app) == [
        (PAYMENT, "R-000001", 28_744, "USD"),
        (REFUND, "CN-000001", -28_744, "USD"),
    ]
    assert anomalies(app)[0].mismatch == "currency"


def test_a_payment_through_another_checkout_is_an_anomaly(app, client, held):
    response = post_event(
        client, paid(held, id="cs_demo_someone_elses", payment_intent="pi_other"), SECRET
    )

    assert response.json["outcome"] == "anomaly refunded"
    assert status_of(app, held.id) == HELD
    (anomaly,) = anomalies(app)
    assert anomaly.mismatch == "checkout"
    assert anomaly.received_checkout == "cs_demo_someone_elses"
    assert anomaly.expected_checkout == held.gateway_session_id


def test_every_difference_is_named(app, client, held):
    post_event(client, paid(held, amount_total=2, currency="eur", id="cs_x"), SECRET)
    assert anomalies(app)[0].mismatch == "amount,currency,checkout"


def test_a_zero_amount_is_recorded_as_an_anomaly_with_no_money_to_return(app, client, held):
    response = post_event(client, paid(held, amount_total=0), SECRET)

    assert response.json["outcome"] == "anomaly refunded"
    assert status_of(app, held.id) == HELD
    assert ledger(app) == []
    (anomaly,) = anomalies(app)
    assert anomaly.payment_id is None and anomaly.received_cents == 0


def test_the_right_payment_after_an_anomaly_still_confirms(app, client, held):
    post_event(client, paid(held, amount_total=1, payment_intent="pi_one_cent"), SECRET)

    response = post_event(client, paid(held), SECRET)

    assert response.json["outcome"] == "confirmed"
    assert status_of(app, held.id) == CONFIRMED
    assert [row[:3] for row in ledger(app)] == [
        (PAYMENT, "R-000001", 1),
        (REFUND, "CN-000001", -1),
        (PAYMENT, "R-000002", 28_744),
    ]


def test_an_anomaly_on_a_confirmed_booking_leaves_it_confirmed_and_is_refunded(app, client, held):
    post_event(client, paid(held), SECRET)
    response = post_event(client, paid(held, amount_total=500, payment_intent="pi_x"), SECRET)

    assert response.json["outcome"] == "anomaly refunded"
    assert status_of(app, held.id) == CONFIRMED
    assert [row[:3] for row in ledger(app)][1:] == [
        (PAYMENT, "R-000002", 500),
        (REFUND, "CN-000001", -500),
    ]


def test_an_anomalous_event_delivered_twice_is_recorded_once(app, client, held):
    anomalous = paid(held, amount_total=1)
    post_event(client, anomalous, SECRET)
    again = post_event(client, anomalous, SECRET)

    assert again.json["outcome"] == "duplicate"
    assert len(anomalies(app)) == 1
    assert len(ledger(app)) == 2


def test_the_owner_sees_the_anomaly_on_the_booking_and_on_her_dashboard(app, client, auth, held):
    post_event(client, paid(held, amount_total=1), SECRET)
    auth.login()

    booking_page = client.get(f"/en/admin/bookings/{held.id}").text
    dashboard = client.get("/en/admin/").text
    french = client.get(f"/fr/admin/bookings/{held.id}").text

    assert "Payments that did not match this booking" in booking_page
    assert "$0.01 received for checkout" in booking_page
    assert "$287.44" in booking_page
    assert "Payments that did not match their booking" in dashboard
    assert held.reference in dashboard
    assert "Paiements qui ne correspondaient pas à cette réservation" in french
