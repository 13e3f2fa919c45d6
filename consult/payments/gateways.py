"""The payment gateways behind one interface: Stripe Checkout, manual (Interac, invoice), demo.

A gateway starts a checkout for a held booking, gives money back, and reports what a
payment cost in fees. Which one serves new bookings is the PAYMENT_GATEWAY setting; a
refund always goes back through the gateway that took the payment (the ledger row's method).
"""

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

import stripe

from .. import formatting
from ..database import outside_write
from . import taxes

log = logging.getLogger(__name__)

#: Stripe refuses a Checkout Session that expires sooner than 30 minutes or later than 24 hours.
STRIPE_MIN_EXPIRY = timedelta(minutes=31)
STRIPE_MAX_EXPIRY = timedelta(hours=23, minutes=59)
#: Expiry times are rounded up to this step, so that a retry a few seconds later sends the
#: same parameters under the same idempotency key and gets the same Checkout Session back.
EXPIRY_STEP_SECONDS = 300


class GatewayError(RuntimeError):
    """The gateway could not be reached or refused the request; nothing was charged or refunded."""


@dataclass(frozen=True)
class Checkout:
    url: str
    session_id: str


@dataclass(frozen=True)
class PaymentDetails:
    """What the gateway says about a payment once it went through."""

    charge: str | None = None
    balance_transaction: str | None = None
    fee_cents: int | None = None
    net_cents: int | None = None
    #: Refunds the gateway already knows of (made in its dashboard before we heard of the
    #: payment), as Stripe-shaped refund dicts.
    refunds: list = field(default_factory=list)


def checkout_lines(booking):
    """(name, cents) for each line of the checkout: the session, then each tax on its own."""
    lines = [(booking.offer.title(booking.lang), booking.subtotal_cents)]
    for line in taxes.lines_from_dicts(booking.tax_lines):
        if line.cents:
            lines.append((f"{line.name} {formatting.percent(line.rate, booking.lang)}", line.cents))
    return lines


def _on_this_site(url):
    """The path of one of our own absolute links: a local checkout page is on this site,
    whatever address the browser reached it by."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _params_digest(params):
    """A short fingerprint of a request's parameters, for its idempotency key."""
    encoded = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


#: The longest message Stripe shows above the Pay button (custom_text.submit.message).
STRIPE_MESSAGE_MAX = 1200


class StripeGateway:
    """Stripe Checkout, through the official SDK; STRIPE_API_BASE points it elsewhere (tests).

    Every call has a connect and a read timeout and at most STRIPE_MAX_NETWORK_RETRIES
    retries (config.stripe_call_budget is the worst case), and refuses to run inside a
    write transaction: the caller calls Stripe before it, or after the commit.
    """

    name = "stripe"
    method = "stripe"

    def __init__(self, config):
        base = config.get("STRIPE_API_BASE")
        self.client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base} if base else None,
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(
                timeout=(
                    config["STRIPE_CONNECT_TIMEOUT_SECONDS"],
                    config["STRIPE_READ_TIMEOUT_SECONDS"],
                )
            ),
        )

    def start_checkout(
        self, booking, *, success_url, cancel_url, now, idempotency_key, business, terms=""
    ):
        outside_write("Stripe")
        deadline = booking.hold_expires_at or now
        expires_at = min(max(deadline, now + STRIPE_MIN_EXPIRY), now + STRIPE_MAX_EXPIRY)
        step = EXPIRY_STEP_SECONDS
        expires_at_seconds = -(-int(expires_at.timestamp()) // step) * step
        expires_at_seconds = min(expires_at_seconds, int((now + STRIPE_MAX_EXPIRY).timestamp()))
        metadata = {"booking_id": str(booking.id), "booking_reference": booking.reference}
        params = {
            "mode": "payment",
            "client_reference_id": str(booking.id),
            "metadata": metadata,
            "payment_intent_data": {
                "metadata": metadata,
                "description": f"{booking.reference} {booking.offer.title(booking.lang)}",
            },
            "customer_email": booking.client_email,
            "locale": "fr" if booking.lang == "fr" else "en",
            "expires_at": expires_at_seconds,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": booking.currency.lower(),
                        "unit_amount": cents,
                        "product_data": {"name": name},
                    },
                }
                for name, cents in checkout_lines(booking)
            ],
        }
        if terms:
            # Her terms, once more, right above Stripe's Pay button.
            params["custom_text"] = {"submit": {"message": terms[:STRIPE_MESSAGE_MAX]}}
        # The same checkout asked again (a retry after a timeout) is the same Session; one
        # asked with other details (she corrected her email) is a new one.
        key = f"{idempotency_key}-{_params_digest(params)}"
        try:
            created = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return Checkout(url=created.url, session_id=created.id)

    def abandon(self, session_id):
        """Close an older, unpaid Checkout Session, so that one booking is never paid twice."""
        outside_write("Stripe")
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.StripeError as error:
            # Already paid, expired or unknown: the webhook deals with whatever it became.
            log.info("checkout %s not expired: %s", session_id, error)

    def refund(self, entry, amount_cents, *, reason, idempotency_key):
        outside_write("Stripe")
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": entry.stripe_payment_intent,
                    "amount": amount_cents,
                    "reason": "requested_by_customer",
                    "metadata": {
                        "booking_id": str(entry.booking_id),
                        "receipt": entry.number,
                        "reason": reason[:500],
                    },
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return refund.to_dict()

    def payment_details(self, payment_intent, amount_cents):
        outside_write("Stripe")
        try:
            intent = self.client.v1.payment_intents.retrieve(
                payment_intent,
                params={"expand": ["latest_charge.balance_transaction", "latest_charge.refunds"]},
            ).to_dict()
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        charge = intent.get("latest_charge") or {}
        if isinstance(charge, str):
            return PaymentDetails(charge=charge)
        balance = charge.get("balance_transaction") or {}
        if isinstance(balance, str):
            balance = {"id": balance}
        return PaymentDetails(
            charge=charge.get("id"),
            balance_transaction=balance.get("id"),
            fee_cents=balance.get("fee"),
            net_cents=balance.get("net"),
            refunds=list((charge.get("refunds") or {}).get("data", [])),
        )

    def refunds_for(self, payment_intent):
        outside_write("Stripe")
        try:
            listed = self.client.v1.refunds.list(
                params={"payment_intent": payment_intent, "limit": 100}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return [refund.to_dict() for refund in listed.data]


class DemoGateway:
    """A local checkout page whose buttons send signed, Stripe-shaped events to our webhook."""

    name = "demo"
    method = "demo"
    #: Stripe Canada's domestic card fee, so demo ledgers show realistic fees and net amounts.
    FEE_RATE = Decimal("0.029")
    FEE_FIXED_CENTS = 30

    def __init__(self, config):
        self.config = config

    def start_checkout(
        self, booking, *, success_url, cancel_url, now, idempotency_key, business, terms=""
    ):
        outside_write("the demo gateway")
        return Checkout(
            url=_on_this_site(
                business.url(
                    "payments.demo_checkout", lang=booking.lang, token=booking.manage_token
                )
            ),
            session_id=f"cs_demo_{secrets.token_hex(12)}",
        )

    def abandon(self, session_id):
        """Nothing to close: an older local checkout simply stops counting."""
        outside_write("the demo gateway")

    def refund(self, entry, amount_cents, *, reason, idempotency_key):
        outside_write("the demo gateway")
        # Like Stripe, the same key gives the same refund back.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return {"id": f"re_demo_{digest}", "status": "succeeded"}

    def payment_details(self, payment_intent, amount_cents):
        outside_write("the demo gateway")
        return self.details_for(payment_intent, amount_cents)

    def details_for(self, payment_intent, amount_cents):
        """The fees a demo payment shows (no call: the seed uses it inside its write)."""
        fee = int(
            (Decimal(amount_cents) * self.FEE_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        fee += self.FEE_FIXED_CENTS
        suffix = payment_intent.removeprefix("pi_demo_")
        return PaymentDetails(
            charge=f"ch_demo_{suffix}",
            balance_transaction=f"txn_demo_{suffix}",
            fee_cents=fee,
            net_cents=amount_cents - fee,
        )

    def refunds_for(self, payment_intent):
        outside_write("the demo gateway")
        return []


class ManualGateway:
    """Interac e-Transfer or invoice: instructions and the amount; the owner marks it paid."""

    name = "manual"
    method = "interac"

    def __init__(self, config):
        self.config = config

    def start_checkout(
        self, booking, *, success_url, cancel_url, now, idempotency_key, business, terms=""
    ):
        outside_write("the manual gateway")
        return Checkout(
            url=_on_this_site(
                business.url(
                    "payments.manual_instructions", lang=booking.lang, token=booking.manage_token
                )
            ),
            session_id=f"manual_{secrets.token_hex(12)}",
        )

    def abandon(self, session_id):
        """Nothing to close: an older local checkout simply stops counting."""

    def refund(self, entry, amount_cents, *, reason, idempotency_key):
        outside_write("the manual gateway")
        # The owner sends the money back herself; the ledger records that she did.
        return None

    def payment_details(self, payment_intent, amount_cents):
        return PaymentDetails()

    def refunds_for(self, payment_intent):
        return []


GATEWAYS = {"stripe": StripeGateway, "demo": DemoGateway, "manual": ManualGateway}
#: Which gateway gives back the money of a ledger row, by its method.
GATEWAY_OF_METHOD = {"stripe": "stripe", "demo": "demo", "interac": "manual", "other": "manual"}


def gateway_for(config):
    """The gateway new bookings pay through (PAYMENT_GATEWAY)."""
    return GATEWAYS[config["PAYMENT_GATEWAY"]](config)


def gateway_for_method(method, config):
    """The gateway that took a payment recorded with `method`."""
    return GATEWAYS[GATEWAY_OF_METHOD[method]](config)
