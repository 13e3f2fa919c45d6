"""The dashboard lists the speaking inquiries she has not answered yet."""

from datetime import date

from consult.content.models import ANSWERED, BUDGET_RANGES, SpeakingInquiry
from consult.extensions import db


def add_inquiry(app, name, status="new"):
    with app.app_context():
        db.session.add(
            SpeakingInquiry(
                name=name,
                email="organiser@example.org",
                organisation="Festival du numérique",
                event_date=date(2027, 3, 4),
                city="Québec",
                audience_size=200,
                budget_range=BUDGET_RANGES[0],
                message="Would you open our day?",
                status=status,
            )
        )
        db.session.commit()


def test_new_inquiries_appear_on_the_dashboard_and_answered_ones_do_not(app, client, auth):
    add_inquiry(app, "Léa Gagnon")
    add_inquiry(app, "Old Request", status=ANSWERED)
    auth.login()
    page = client.get("/en/admin/").text
    assert "1 inquiry to answer" in page
    assert "Léa Gagnon" in page
    assert "Old Request" not in page


def test_without_new_inquiries_the_card_says_so(client, auth):
    auth.login()
    assert "No inquiry is waiting for an answer." in client.get("/en/admin/").text
