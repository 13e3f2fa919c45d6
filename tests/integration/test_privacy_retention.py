"""Retention: inquiries, intake answers and mail bodies past the owner's periods are
anonymised by the command and the worker's job; what is within its period and the ledger stay."""

from datetime import date, timedelta

import sqlalchemy as sa

from consult.booking.models import Booking
from consult.content.models import SpeakingInquiry
from consult.extensions import db, utcnow
from consult.mail.models import OutboxMessage
from consult.mail.outbox import queue
from consult.payments.models import LedgerEntry
from consult.privacy.cli import retention_job, run_retention
from consult.privacy.models import PrivacySettings
from consult.worker import JOBS
from tests.factories import make_booking, make_payment, sign_in


def inquiry(session, name, updated_at):
    item = SpeakingInquiry(
        name=name,
        email=f"{name.lower()}@example.org",
        organisation="Colloque",
        event_date=date(2030, 5, 1),
        city="Laval",
        audience_size=50,
        budget_range="unknown",
        message=f"Message de {name}",
        created_at=updated_at,
        updated_at=updated_at,
    )
    session.add(item)
    return item


def message(session, to, written_at, status="sent"):
    row = queue(to, "Sujet", f"Corps pour {to}", "<p>corps</p>")
    row.created_at = written_at
    row.status = status
    return row


def seed(session, now):
    """Each kind twice: one a day past its default period, one a day within it."""
    inquiry(session, "Ancienne", now - timedelta(days=731))
    inquiry(session, "Recente", now - timedelta(days=729))
    old = make_booking(
        session,
        starts_at=now - timedelta(days=367),
        client_phone="+1 514 555 0100",
        intake_goal="Ancien objectif",
        organisation="Vieille org",
        organisation_size="2-10",
    )
    make_payment(session, old, now - timedelta(days=368))
    make_booking(session, starts_at=now - timedelta(days=300), intake_goal="Objectif récent")
    message(session, "vieux@example.org", now - timedelta(days=91))
    message(session, "neuf@example.org", now - timedelta(days=89))
    message(session, "attente@example.org", now - timedelta(days=91), status="queued")
    session.commit()


def state(session):
    inquiries = {i.message for i in session.scalars(sa.select(SpeakingInquiry))}
    goals = {b.intake_goal for b in session.scalars(sa.select(Booking))}
    bodies = {m.to: m.text_body for m in session.scalars(sa.select(OutboxMessage))}
    return inquiries, goals, bodies


def test_retention_anonymises_only_what_is_past_its_period(app):
    now = utcnow()
    with app.app_context():
        seed(db.session, now)
        ledger_before = db.session.execute(
            sa.select(LedgerEntry.number, LedgerEntry.total_cents, LedgerEntry.client_name)
        ).all()
        counts = run_retention(now)
        assert counts == {"inquiries": 1, "intake_answers": 1, "messages": 1, "sign_ups": 0}
        inquiries, goals, bodies = state(db.session)
        assert inquiries == {"[anonymised]", "Message de Recente"}
        assert goals == {"", "Objectif récent"}
        assert bodies["vieux@example.org"] == "[anonymised]"
        assert bodies["neuf@example.org"] == "Corps pour neuf@example.org"
        # A message still waiting to go out keeps its body, whatever its age.
        assert bodies["attente@example.org"] == "Corps pour attente@example.org"
        old = db.session.scalar(sa.select(Booking).where(Booking.intake_goal == ""))
        assert (old.client_phone, old.organisation, old.organisation_size) == ("", "", "")
        # The ledger and the names receipts need stay six years.
        after = db.session.execute(
            sa.select(LedgerEntry.number, LedgerEntry.total_cents, LedgerEntry.client_name)
        ).all()
        assert after == ledger_before
        old_inquiry = db.session.scalar(
            sa.select(SpeakingInquiry).where(SpeakingInquiry.message == "[anonymised]")
        )
        assert "ancienne" not in old_inquiry.email
        # Run again: nothing more to do.
        assert run_retention(now) == {
            "inquiries": 0,
            "intake_answers": 0,
            "messages": 0,
            "sign_ups": 0,
        }


def test_the_owners_periods_replace_the_defaults(app, client):
    now = utcnow()
    with app.app_context():
        seed(db.session, now)
        db.session.add(
            PrivacySettings(
                id=1,
                inquiry_retention_days=5000,
                intake_retention_days=30,
                outbox_retention_days=5000,
            )
        )
        db.session.commit()
        assert run_retention(now) == {
            "inquiries": 0,
            "intake_answers": 2,
            "messages": 0,
            "sign_ups": 0,
        }


def test_the_command_and_the_worker_job_run_it(app, runner):
    now = utcnow()
    with app.app_context():
        seed(db.session, now)
    result = runner.invoke(args=["consult", "privacy-retention"])
    assert result.exit_code == 0, result.output
    assert "1 inquiries, 1 intake answers, 1 message bodies" in result.output
    assert "privacy-retention" in {job.name for job in JOBS}
    with app.app_context():
        inquiry(db.session, "Autre", now - timedelta(days=800))
        db.session.commit()
        retention_job()
        assert "Message de Autre" not in state(db.session)[0]


def test_the_public_policy_states_the_periods_in_force(app, client):
    sign_in(app, client, "owner")
    client.post(
        "/en/admin/privacy/settings",
        data={
            "officer_name": "Camille Lavoie",
            "officer_email": "owner@example.com",
            "inquiry_retention_days": "180",
            "intake_retention_days": "90",
            "outbox_retention_days": "30",
        },
    )
    page = client.get("/en/privacy").text
    assert "90 days after the session" in page
    assert "Speaking inquiries: 180 days" in page
