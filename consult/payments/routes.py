"""The payment webhook, the demo checkout page and the manual-payment instructions."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import business
from ..auth.access import public
from ..booking.models import HELD, Booking
from ..extensions import csrf, db, utcnow
from ..i18n import current_lang
from . import settlement
from .gateways import GatewayError
from .service import booking_breakdown

bp = Blueprint("payments", __name__)

#: Where Stripe Checkout lives: forms (and their redirects) may go there when Stripe is on.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
#: The buttons of the demo checkout page.
DEMO_ACTIONS = ("pay", "decline", "expire")


@bp.record_once
def setup(state):
    app = state.app
    if app.config["PAYMENT_GATEWAY"] == "stripe":
        app.config["CSP_FORM_ACTION_EXTRA"] = STRIPE_CHECKOUT_ORIGIN


@bp.route("/webhooks/stripe", methods=["POST"])
@public
@csrf.exempt
def stripe_webhook():
    """Payment events, signed by Stripe (or by the demo checkout page)."""
    cap = current_app.config["WEBHOOK_MAX_BYTES"]
    if (request.content_length or 0) > cap:
        return {"error": "payload too large"}, 413
    payload = request.get_data(cache=False)
    if len(payload) > cap:
        return {"error": "payload too large"}, 413
    try:
        outcome = settlement.process_signed(
            db.session,
            payload,
            request.headers.get("Stripe-Signature"),
            config=current_app.config,
            business=business.current(),
            now=utcnow(),
        )
    except settlement.InvalidSignature as error:
        current_app.logger.warning("webhook refused: %s", error)
        return {"error": "invalid signature"}, 400
    except settlement.MalformedEvent as error:
        current_app.logger.warning("webhook refused, signed but malformed: %s", error)
        return {"error": "malformed event"}, 400
    except GatewayError as error:
        # Nothing was applied; Stripe sends the event again later.
        current_app.logger.warning("webhook deferred, the gateway did not answer: %s", error)
        return {"error": "gateway unavailable"}, 503, {"Retry-After": "60"}
    return {"received": True, "outcome": outcome}


def _booking_or_404(token, gateway):
    """The booking behind a private link, paid through `gateway`."""
    booking = db.session.scalar(sa.select(Booking).where(Booking.manage_token == token))
    if booking is None or booking.gateway != gateway:
        abort(404)
    return booking


def _demo_booking_or_404(token):
    """The demo checkout exists only while the demo gateway is on (never in production)."""
    if current_app.config["PAYMENT_GATEWAY"] != "demo":
        abort(404)
    return _booking_or_404(token, "demo")


def _private_page(template, **context):
    """A page reached by a private link: never stored by a cache, never indexed."""
    response = make_response(render_template(template, **context))
    response.cache_control.no_store = True
    response.cache_control.private = True
    # The token is in the address: never hand it to another site through the Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/<lang:lang>/pay/demo/<token>")
@public
def demo_checkout(token):
    """The demo gateway's checkout page: Pay, Decline or Let it expire."""
    booking = _demo_booking_or_404(token)
    return _private_page(
        "payments/demo_checkout.html",
        booking=booking,
        breakdown=booking_breakdown(booking),
        open=booking.status == HELD,
    )


@bp.route("/<lang:lang>/pay/demo/<token>/<any(pay, decline, expire):action>", methods=["POST"])
@public
def demo_action(token, action):
    """Send the event Stripe would send for this button to our own webhook code."""
    booking = _demo_booking_or_404(token)
    if booking.status != HELD or not booking.gateway_session_id:
        flash(_("This checkout is closed."), "warning")
        return redirect(url_for(".demo_checkout", token=token))
    config = current_app.config
    now = utcnow()
    if action == "pay":
        suffix = booking.gateway_session_id.removeprefix("cs_demo_")
        checkout = settlement.demo_checkout_object(
            booking,
            now,
            payment_intent=f"pi_demo_{suffix}",
            payment_status="paid",
            status="complete",
        )
        event = settlement.demo_event("checkout.session.completed", checkout, now)
        destination = url_for("booking.status", token=token)
    elif action == "decline":
        intent = {
            "id": f"pi_demo_{booking.gateway_session_id.removeprefix('cs_demo_')}",
            "object": "payment_intent",
            "amount": booking.total_cents,
            "currency": booking.currency.lower(),
            "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "decline_code": "generic_decline"},
            "metadata": {"booking_id": str(booking.id)},
        }
        event = settlement.demo_event("payment_intent.payment_failed", intent, now)
        destination = url_for("booking.status", token=token)
    else:
        checkout = settlement.demo_checkout_object(booking, now, status="expired")
        event = settlement.demo_event("checkout.session.expired", checkout, now)
        flash(_("The checkout expired (demo): the time slot is free again."), "warning")
        destination = url_for(
            "booking.offer", slug=booking.offer.slug_in(current_lang()), tz=booking.time_zone
        )
    settlement.send_demo_event(
        db.session, event, config=config, business=business.current(), now=now
    )
    return redirect(destination)


@bp.route("/<lang:lang>/pay/manual/<token>")
@public
def manual_instructions(token):
    """How to pay by Interac e-Transfer or invoice: the amount, the reference, the deadline."""
    booking = _booking_or_404(token, "manual")
    return _private_page(
        "payments/manual.html",
        booking=booking,
        breakdown=booking_breakdown(booking),
        instructions=current_app.config["MANUAL_PAYMENT_INSTRUCTIONS"],
    )
