"""The audit log reads as sentences in her language: amounts formatted, times in her zone,
the booking named by its reference; newest first, paginated, filtered by kind of change."""

from datetime import UTC, datetime, timedelta

import pytest

from consult.admin.audit import changes
from consult.audit import AuditEntry
from consult.extensions import db
from tests.factories import make_booking, make_payment, make_refund

PAGE = "/en/admin/audit/"


def add_entries(app, user_id, count, action="booking.cancel", start=None, **fields):
    start = start or datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
    with app.app_context():
        for number in range(count):
            values = {
                "target_type": "booking",
                "target_id": str(number),
                "before": {"status": "confirmed", "notes": "same"},
                "after": {"status": "cancelled", "notes": "same"},
                **fields,
            }
            db.session.add(
                AuditEntry(
                    at=start + timedelta(minutes=number), user_id=user_id, action=action, **values
                )
            )
        db.session.commit()


def a_refunded_booking(app):
    """A booking paid 287,44 $ with 50,00 $ refunded as credit note CN-000003."""
    with app.app_context():
        booking = make_booking(db.session)
        payment = make_payment(db.session, booking, number="R-000007")
        refund = make_refund(
            db.session,
            payment,
            payment.occurred_at + timedelta(hours=1),
            total_cents=5000,
            number="CN-000003",
        )
        db.session.commit()
        return booking.id, booking.reference, refund.id


def test_a_refund_reads_as_a_sentence_with_the_amount_in_her_format(app, client, auth):
    user = auth.login()
    booking_id, reference, refund_id = a_refunded_booking(app)
    add_entries(
        app,
        user.id,
        1,
        action="payment.refund",
        target_type="ledgerentry",
        target_id=str(refund_id),
        before=None,
        after={"number": "CN-000003", "of": "R-000007", "amount_cents": 5000, "reason": "Geste"},
    )
    french = client.get("/fr/admin/audit/").text
    link = f'<a href="/fr/admin/bookings/{booking_id}">{reference}</a>'
    assert f"Remboursé 50,00\u00a0$ sur la réservation {link} (note de crédit CN-000003)." in french
    english = client.get(PAGE).text
    assert f'Refunded $50.00 on booking <a href="/en/admin/bookings/{booking_id}">' in english
    assert "5000" not in english.split("<main")[1]  # no cents left anywhere
    assert "<dt>Amount</dt>" in english and "<ins>$50.00</ins>" in english


def test_times_are_in_her_zone_and_a_move_names_both_times(app, client, auth):
    user = auth.login()
    booking_id, reference, _refund = a_refunded_booking(app)
    add_entries(
        app,
        user.id,
        1,
        action="booking.reschedule",
        target_id=str(booking_id),
        before={"starts_at": "2026-01-20T15:00:00+00:00"},
        after={"starts_at": "2026-01-21T19:30:00+00:00"},
    )
    page = client.get(PAGE).text
    assert "America/Montreal" in page
    assert "Jan 15, 2026, 10:00\u202fa.m." in page  # 15:00 UTC in Montréal's winter time
    assert (
        f'Moved booking <a href="/en/admin/bookings/{booking_id}">{reference}</a> to '
        "Jan 21, 2026, 2:30\u202fp.m. (it was Jan 20, 2026, 10:00\u202fa.m.)." in page
    )
    sentences = page.split('class="audit-entries"')[1]
    assert "+00:00<" not in sentences and "T15:00" not in sentences.split("</time>")[1]
    assert user.email in page


def test_a_cancellation_says_what_was_refunded_and_why(app, client, auth):
    user = auth.login()
    booking_id, reference, _refund = a_refunded_booking(app)
    add_entries(
        app,
        user.id,
        1,
        target_id=str(booking_id),
        before={"status": "confirmed"},
        after={"status": "cancelled", "refund": True, "refunded_cents": 28744, "reason": "Malade"},
    )
    page = client.get("/fr/admin/audit/").text
    assert f">{reference}</a> annulée et 287,44\u00a0$ remboursés." in page
    assert "Motif\u00a0: «\u202fMalade\u202f»." in page
    assert "<del>Confirmée</del>" in page and "<ins>Annulée</ins>" in page


def test_newest_first_and_fifty_a_page(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 60)

    first = client.get(PAGE).text
    second = client.get(PAGE + "?page=2").text

    assert first.count('class="audit-entry"') == 50
    assert first.index("booking 59 without") < first.index("booking 58 without")
    assert "booking 9 without" in second and "booking 10 without" not in second
    assert "Page 2 of 2" in second


def test_filter_by_kind_of_change_in_words(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 2, action="booking.cancel")
    add_entries(app, user.id, 1, action="payment.refund", after={"amount_cents": 100})

    page = client.get(PAGE + "?action=payment.refund").text

    assert page.count('class="audit-entry"') == 1
    assert "Refunded $1.00" in page
    assert '<option value="booking.cancel">Cancellations</option>' in page
    assert '<option value="payment.refund" selected>Refunds</option>' in page


def test_security_changes_appear_in_the_log(client, auth):
    user = auth.login()
    client.post(
        "/en/account/password",
        data={
            "current_password": user.password,
            "new_password": "another long password",
            "confirm_password": "another long password",
        },
    )
    assert "Changed the password; other sessions were signed out." in client.get(PAGE).text


def test_an_action_without_a_sentence_still_shows_what_it_was(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 1, action="something.new", target_type="widget", target_id="7")
    assert "something.new on widget 7." in client.get(PAGE).text


def test_changes_lists_only_fields_that_differ_in_a_stable_order():
    assert changes({"a": 1, "b": 2}, {"b": 3, "c": 4, "a": 1}) == [("b", 2, 3), ("c", None, 4)]
    assert changes(None, {"x": True}) == [("x", None, True)]
    assert changes({"x": 1}, None) == [("x", 1, None)]


def test_the_audit_log_is_the_owners_only(client, auth):
    assert client.get(PAGE).status_code == 302
    auth.login(role="accountant")
    assert client.get(PAGE).status_code == 403


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999"])
def test_odd_page_numbers_never_crash(client, auth, page):
    auth.login()
    assert client.get(f"{PAGE}?page={page}").status_code == 200


def test_her_newsletter_and_privacy_actions_read_as_sentences(app, client, auth):
    from consult.newsletter.models import DRAFT, WRITTEN, Issue

    auth.login()
    with app.app_context():
        issue = Issue(kind=WRITTEN, status=DRAFT, subject_fr="Nouvelles d’automne",
                      body_md_fr="Bonjour", body_html_fr="<p>Bonjour</p>")  # fmt: skip
        db.session.add(issue)
        db.session.commit()
        issue_id = issue.id
    response = client.post(
        f"/fr/admin/newsletter/issues/{issue_id}/schedule", data={"send_at": "2030-03-05T09:30"}
    )
    assert response.status_code == 302
    client.post(f"/fr/admin/newsletter/issues/{issue_id}/unschedule")
    french = client.get("/fr/admin/audit/").text
    # Her time, in her zone: 9 h 30 in Montréal.
    assert "Numéro de l’infolettre «\u00a0Nouvelles d’automne\u00a0» programmé pour le" in french
    assert "9 h 30" in french.split("programmé pour le", 1)[1].split("</", 1)[0]
    assert "remis en brouillon." in french
    with app.app_context():
        db.session.add(AuditEntry(action="privacy.erase", target_type="privacyrequest",
                                  target_id="4", after={"bookings": 1}))  # fmt: skip
        db.session.commit()
    english = client.get(PAGE).text
    assert "Erased what the site held on one person." in english
    assert "privacy.erase on" not in english and "newsletter.schedule on" not in english
