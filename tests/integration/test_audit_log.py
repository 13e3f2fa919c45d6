"""The audit log viewer: newest first, paginated, filtered by action, in her time zone."""

from datetime import UTC, datetime, timedelta

import pytest

from consult.admin.audit import changes
from consult.audit import AuditEntry
from consult.extensions import db

PAGE = "/en/admin/audit/"


def add_entries(app, user_id, count, action="booking.cancel", start=None):
    start = start or datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
    with app.app_context():
        for number in range(count):
            db.session.add(
                AuditEntry(
                    at=start + timedelta(minutes=number),
                    user_id=user_id,
                    action=action,
                    target_type="booking",
                    target_id=str(number),
                    before={"status": "confirmed", "notes": "same"},
                    after={"status": "cancelled", "notes": "same"},
                )
            )
        db.session.commit()


def test_entries_show_who_when_in_her_time_zone_and_what_changed(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 1)

    page = client.get(PAGE).text

    assert "America/Montreal" in page
    assert "2026-01-15, 10:00\u202fa.m. EST" in page  # 15:00 UTC in Montréal's winter time
    assert user.email in page
    assert "booking.cancel" in page
    assert "<del>confirmed</del>" in page and "<ins>cancelled</ins>" in page
    assert "<dt>notes</dt>" not in page  # unchanged fields are not listed


def test_newest_first_and_fifty_a_page(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 60)

    first = client.get(PAGE).text
    second = client.get(PAGE + "?page=2").text

    assert first.index("booking 59") < first.index("booking 58")
    assert first.count("<tr>") - 1 == 50
    assert "booking 9<" in second and "booking 10<" not in second
    assert "Page 2 of 2" in second


def test_filter_by_action(app, client, auth):
    user = auth.login()
    add_entries(app, user.id, 2, action="booking.cancel")
    add_entries(app, user.id, 1, action="payment.refund")

    page = client.get(PAGE + "?action=payment.refund").text

    assert page.count("<code>payment.refund</code>") == 1
    assert "<code>booking.cancel</code>" not in page
    assert '<option value="booking.cancel">' in page  # still offered in the filter


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
    assert "auth.password_change" in client.get(PAGE).text


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
