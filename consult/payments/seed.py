"""Demo payments: three past sessions paid through the demo gateway, one of them half refunded,
so the ledger, the receipts and the tax summary have something to show."""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from ..booking.models import COMPLETED, CONFIRMED, Booking, Offer
from . import service, taxes
from .gateways import DemoGateway

#: (reference, days ago, local hour, client name, client email, share refunded).
DEMO_PAYMENTS = [
    ("DEMO0001", 21, 10, "Julie Gagnon", "julie.gagnon@example.org", None),
    ("DEMO0002", 14, 14, "Marc-André Roy", "marc-andre.roy@example.org", 2),
    ("DEMO0003", 6, 11, "Sophie Lavoie", "sophie.lavoie@example.org", None),
]
FLAGSHIP_SLUG = "strategie-medias-sociaux"


def seed(session, now):
    offer = session.scalar(sa.select(Offer).where(Offer.slug == FLAGSHIP_SLUG))
    if offer is None:
        return
    config = current_app.config
    zone = ZoneInfo(config["TIME_ZONE"])
    profile = taxes.profile_from_settings(config["TAXES"])
    for reference, days_ago, hour, name, email, refund_share in DEMO_PAYMENTS:
        if session.scalar(sa.select(Booking.id).where(Booking.reference == reference)):
            continue
        day = (now - timedelta(days=days_ago)).astimezone(zone).date()
        starts_at = datetime.combine(day, time(hour), zone).astimezone(UTC)
        paid_at = starts_at - timedelta(days=3)
        breakdown = taxes.compute(offer.price_cents, profile, offer.taxable)
        booking = Booking(
            reference=reference,
            offer=offer,
            status=CONFIRMED,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=offer.duration_minutes),
            busy_starts_at=starts_at,
            busy_ends_at=starts_at + timedelta(minutes=offer.duration_minutes),
            client_name=name,
            client_email=email,
            organisation="Démo",
            lang="fr",
            time_zone=config["TIME_ZONE"],
            ics_uid=f"{uuid.uuid4()}@consult",
            subtotal_cents=breakdown.subtotal_cents,
            tax_lines=[line.as_dict() for line in breakdown.lines],
            total_cents=breakdown.total_cents,
            currency=offer.currency,
            gateway="demo",
            gateway_session_id=f"cs_demo_seed_{reference.lower()}",
            created_at=paid_at,
            confirmed_at=paid_at,
        )
        booking.transition(COMPLETED)
        session.add(booking)
        session.flush()
        intent = f"pi_demo_seed_{reference.lower()}"
        details = DemoGateway(config).details_for(intent, breakdown.total_cents)
        payment = service.record_payment(
            session,
            booking,
            method="demo",
            total_cents=breakdown.total_cents,
            occurred_at=paid_at,
            stripe_checkout_session=booking.gateway_session_id,
            stripe_payment_intent=intent,
            stripe_charge=details.charge,
            stripe_balance_transaction=details.balance_transaction,
            fee_cents=details.fee_cents,
            net_cents=details.net_cents,
            time_zone=config["TIME_ZONE"],
        )
        if refund_share:
            # Made through the demo gateway long ago: only its record is seeded.
            service.record_refund(
                session,
                payment,
                payment.total_cents // refund_share,
                reason="Séance écourtée : la moitié remboursée",
                now=starts_at + timedelta(days=1),
                gateway_refund_id=f"re_demo_seed_{reference.lower()}",
            )
    session.flush()
