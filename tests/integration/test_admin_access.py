"""Every desk page is the owner's alone: the accountant gets 403, a visitor the sign-in page."""

import re
from datetime import date

import pytest

from consult.content.models import SpeakingInquiry
from consult.extensions import db
from tests.factories import make_booking

ADMIN_ENDPOINT_PREFIX = "admin."


def desk_urls(app, booking_id):
    """Every admin URL, with its methods, its parameters filled in."""
    values = {
        "booking_id": booking_id,
        "inquiry_id": booking_id,  # the fixture makes an inquiry with the same id
        "offer_id": 1,
        "override_id": 1,
        "time_off_id": 1,
        "message_id": 1,
        "status": "completed",
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(ADMIN_ENDPOINT_PREFIX) and rule.endpoint != "admin_root":
            continue
        path = re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda match: "fr" if match.group(1) == "lang" else str(values[match.group(1)]),
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.fixture
def booking_id(app):
    with app.app_context():
        booking = make_booking(db.session)
        db.session.flush()
        db.session.add(
            SpeakingInquiry(
                id=booking.id,
                name="Mireille Gagnon",
                email="mireille@example.org",
                organisation="",
                event_date=date(2030, 5, 1),
                city="Laval",
                audience_size=40,
                budget_range="unknown",
                message="Bonjour",
            )
        )
        db.session.commit()
        return booking.id


def test_the_desk_has_the_pages_the_owner_needs(app, booking_id):
    paths = {path for _method, path in desk_urls(app, booking_id)}
    for expected in (
        "/fr/admin/",
        "/fr/admin/calendar/week",
        "/fr/admin/calendar/month",
        "/fr/admin/bookings",
        f"/fr/admin/bookings/{booking_id}",
        "/fr/admin/availability",
        "/fr/admin/offers",
        "/fr/admin/offers/new",
        "/fr/admin/mail",
        "/fr/admin/inquiries/",
        f"/fr/admin/inquiries/{booking_id}",
    ):
        assert expected in paths


def test_a_visitor_is_sent_to_sign_in_from_every_desk_route(app, client, booking_id):
    for method, path in desk_urls(app, booking_id):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)


def test_the_accountant_is_refused_every_desk_route(app, client, auth, booking_id):
    auth.login(role="accountant")
    for method, path in desk_urls(app, booking_id):
        response = client.open(path, method=method)
        assert response.status_code == 403, (method, path)
        assert "Mireille" not in response.text


def test_the_owner_opens_every_desk_page(app, client, auth, booking_id):
    auth.login(role="owner")
    for method, path in desk_urls(app, booking_id):
        if method != "GET":
            continue
        response = client.get(path)
        assert response.status_code == (302 if path == "/admin" else 200), path
        assert response.headers["Cache-Control"].startswith(("no-store", "private")), path
