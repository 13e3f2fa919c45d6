"""The prospect's path: offers, free slots in her zone, intake, hold, status, her own link."""

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from babel.dates import get_timezone_name
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import business, navigation
from ..auth.access import public
from ..extensions import db, limiter, utcnow
from ..formatting import current_locale, format_money, format_when
from ..i18n import LANGUAGES, current_lang
from ..payments.service import HoldLapsed, PaymentUnavailable, hold_minutes, start_checkout
from ..payments.taxes import compute
from ..security import client_address_key, client_network
from . import display, invitation, policy, service, slot_cache, slots
from .forms import (
    DRAFT_FIELDS,
    ActionForm,
    IntakeForm,
    RescheduleForm,
    organisation_size_label,
    site_path,
)
from .models import CONFIRMED, EXPIRED, HELD, Booking, Offer

bp = Blueprint("booking", __name__, url_prefix="/<lang:lang>")

#: A sentence per refused rule, in the reader's language.
RULE_MESSAGES = {
    policy.STARTED: _l("The session has already started."),
    policy.NOT_ACTIVE: _l("This booking can no longer be changed."),
    policy.MAX_RESCHEDULES: _l("This session has already been moved as many times as allowed."),
    service.NOT_OFFERED: _l("This time is not open for booking."),
    service.OFFER_INACTIVE: _l("This offer is no longer available."),
}


#: Why a new hold was refused, by what is limited.
HOLD_LIMIT_MESSAGES = {
    "email": _l(
        "This email address already holds as many unpaid times as allowed. Pay for one of "
        "them, or wait until a hold ends, then choose a time again."
    ),
    "address": _l(
        "Too many unpaid times are held from your connection. Pay for one of them, or wait "
        "until a hold ends, then choose a time again."
    ),
    "rate": _l(
        "Too many booking requests from your connection. Please wait a little, then try again."
    ),
}


@bp.record_once
def setup(state):
    app = state.app
    navigation.add_public(app, "booking.offers", _l("Book a session"), 30)
    app.jinja_env.globals["picker_state"] = picker_state
    app.jinja_env.globals["how_to_meet"] = how_to_meet
    app.jinja_env.globals["calendar_links"] = calendar_links
    app.jinja_env.globals["organisation_size_label"] = organisation_size_label


def how_to_meet(offer, booking=None):
    """How a session of `offer` (or `booking`) happens, in the current language."""
    return service.meeting_of(offer, business.current().owner_name, booking)


def calendar_links(booking):
    """Add-to-calendar links for a confirmed booking: plain links, so no script (CSP)."""
    session_invitation = service.booking_invitation(booking, business.current())
    return {
        "google": invitation.google_calendar_url(session_invitation),
        "outlook": invitation.outlook_calendar_url(session_invitation),
        "ics": url_for("booking.session_ics", token=booking.manage_token),
    }


def picker_state():
    """What `_picker` computed for this request, for the picker macros."""
    return g.get("picker")


@cache
def known_zones():
    return frozenset(available_timezones())


@cache
def time_zones():
    """The zones the list offers, by name; legacy aliases left out."""
    return sorted(
        zone
        for zone in known_zones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "Canada/"))
    ) + ["UTC"]


@cache
def zone_names(locale):
    """{zone: "heure du Pacifique — Vancouver (America/Vancouver)"} in a Babel locale: the
    generic name people know, the city, and the key, so typing any of them finds it."""
    names = {"UTC": "UTC"}
    for zone in time_zones():
        if zone == "UTC":
            continue
        generic = get_timezone_name(zone, "long", zone_variant="generic", locale=locale)
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        names[zone] = f"{generic} — {city} ({zone.replace('_', ' ')})"
    return names


def zone_choices(zone):
    """The list, with the visitor's own zone in it even when it is an alias ("Etc/UTC")."""
    return time_zones() if zone in time_zones() else sorted([*time_zones(), zone])


def reader_zone():
    """The zone the visitor asked for (?tz=), else the consultant's."""
    asked = request.values.get("tz", "")
    if asked in known_zones():
        return asked
    return owner_zone()


def unknown_zone():
    """The zone asked for in the address when it is no zone at all ("Mars/Olympus")."""
    asked = request.values.get("tz", "")
    return asked if asked and asked not in known_zones() else ""


def owner_zone():
    """The consultant's zone, read once per request."""
    return business.current().time_zone


def _offer_or_404(slug):
    """The active offer by its address name in either language.

    A page asked for with the other language's name moves (308) to this language's one,
    query included; the language switch leads to the offer's name in the other language.
    """
    offer = db.session.scalar(
        sa.select(Offer).where(sa.or_(Offer.slug == slug, Offer.slug_en == slug), Offer.active)
    )
    if offer is None:
        abort(404)
    lang = current_lang()
    if slug != offer.slug_in(lang) and request.method == "GET":
        here = url_for(
            request.endpoint, slug=offer.slug_in(lang), **request.args.to_dict(flat=False)
        )
        abort(redirect(here, 308))
    g.alternates = {
        other: url_for(request.endpoint, lang=other, slug=offer.slug_in(other))
        for other in LANGUAGES
    }
    return offer


def came_from():
    """The site's own page the prospect came from (`?from=`, carried by the booking links)."""
    return site_path(request.values.get("from"))


def _link_args(offer):
    """What every link of the booking path carries: the offer's name, and where she came from."""
    args = {"slug": offer.slug_in(current_lang())}
    if source := came_from():
        args["from"] = source
    return args


def _booking_or_404(token):
    """The booking behind a private link; any unknown or altered token is a plain 404."""
    booking = db.session.scalar(sa.select(Booking).where(Booking.manage_token == token))
    if booking is None:
        abort(404)
    return booking


def _parse_start(raw):
    """An ISO instant from a slot link, as aware UTC; None when it is not one."""
    try:
        moment = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _private(response_body, status=200):
    """Pages behind a private link: never cached, never leaked through the Referer."""
    response = current_app.make_response((response_body, status))
    response.cache_control.no_store = True
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _picker(offer, now, exclude_id=None, start_on=None):
    """The month of free days, the chosen day and its slots, in the reader's zone; with no
    day or month asked, the calendar opens on `start_on`'s day when given."""
    zone = reader_zone()
    asked_day = display.parse_day(request.args.get("day"))
    if asked_day is None and start_on is not None and not request.args.get("month"):
        asked_day = start_on.astimezone(ZoneInfo(zone)).date()
    free = slot_cache.open_slots(db.session, offer, now, business.current(), exclude_id=exclude_id)
    days = slots.by_local_day(free, zone)
    choice = display.choose(
        days,
        asked_day=asked_day,
        asked_month=display.parse_month(request.args.get("month")),
        today=now.astimezone(ZoneInfo(zone)).date(),
        first_weekday=FIRST_WEEKDAY,
    )
    day_slots = days.get(choice.day, [])
    g.picker = {
        "link_args": _link_args(offer),
        "zone": zone,
        "owner_zone": owner_zone(),
        "zones": zone_choices(zone),
        "unknown_zone": unknown_zone(),
        "zone_names": zone_names(current_locale()),
        "days": days,
        "day": choice.day,
        "day_slots": day_slots,
        "choice": choice,
        "weekdays": display.weekday_order(FIRST_WEEKDAY),
        "offsets_change": len(
            {slot.starts_at.astimezone(ZoneInfo(zone)).utcoffset() for slot in day_slots}
        )
        > 1,
    }
    return g.picker


#: Weeks start on Sunday, as calendars in Canada do, in both languages.
FIRST_WEEKDAY = 6


@bp.route("/book/")
@public
def offers():
    """The sessions on offer, with their price."""
    rows = db.session.scalars(
        sa.select(Offer).where(Offer.active).order_by(Offer.position, Offer.id)
    ).all()
    return render_template("booking/offers.html", offers=rows, prices=_prices(rows))


def _prices(offers):
    profile = business.current().taxes
    return {offer.id: compute(offer.price_cents, profile, offer.taxable) for offer in offers}


@bp.route("/book/<slug>")
@public
def offer(slug):
    """An offer's days with free slots, and the slots of one day, in the visitor's zone."""
    offer = _offer_or_404(slug)
    return render_template(
        "booking/offer.html",
        offer=offer,
        price=_prices([offer])[offer.id],
        rules=business.current().policy,
        **_picker(offer, utcnow()),
    )


@bp.route("/book/<slug>/times")
@public
def times(slug):
    """The offer's month and chosen day alone: what booking.js puts in place of the picker."""
    offer = _offer_or_404(slug)
    return render_template("booking/_times.html", offer=offer, **_picker(offer, utcnow()))


def reserve_rate_limit():
    return current_app.config["RESERVE_RATE_LIMIT"]


def hold_limits():
    config = current_app.config
    return service.HoldLimits(
        per_email=config["MAX_LIVE_HOLDS_PER_EMAIL"],
        per_address=config["MAX_LIVE_HOLDS_PER_ADDRESS"],
    )


@bp.errorhandler(429)
def too_many_requests(error):
    """RESERVE_RATE_LIMIT reached: a page that says so, in the visitor's language."""
    return _too_many("rate")


def _too_many(by):
    return render_template("booking/too_many_holds.html", reason=HOLD_LIMIT_MESSAGES[by]), 429


@bp.route("/book/<slug>/reserve", methods=["GET", "POST"])
@public
@limiter.limit(reserve_rate_limit, key_func=client_network, methods=["POST"])
def reserve(slug):
    """The intake form for one slot; submitting holds the slot and goes to payment."""
    offer = _offer_or_404(slug)
    starts_at = _parse_start(request.values.get("start"))
    if starts_at is None:
        flash(_("Please choose a time first."), "warning")
        return redirect(url_for(".offer", **_link_args(offer)))
    zone = reader_zone()
    now = utcnow()
    if request.method == "GET" and not _bookable(offer, starts_at, now):
        return _not_bookable(offer, starts_at, zone, now)
    form = IntakeForm(
        email_lang=current_lang(),
        start=starts_at.isoformat(),
        tz=zone,
        came_from=came_from(),
        **_draft(),
    )
    terms = policy.terms(business.current().policy, starts_at, now)
    if form.validate_on_submit() and _accepted(form, terms):
        config = current_app.config
        try:
            booking = service.reserve(
                db.session,
                offer=offer,
                starts_at=starts_at,
                intake=form.intake(),
                lang=form.email_lang.data,
                time_zone=zone,
                gateway=config["PAYMENT_GATEWAY"],
                hold_minutes=hold_minutes(config),
                business=business.current(),
                now=now,
                held_tokens=_held_here(),
                address_key=client_address_key(),
                hold_limits=hold_limits(),
            )
        except service.SlotTaken as taken:
            _keep_draft(form)
            return _slot_taken(offer, taken, zone)
        except service.TooManyHolds as refused:
            return _too_many(refused.by)
        except service.HeldForYou:
            return render_template("booking/held_elsewhere.html", offer=offer, zone=zone), 409
        except service.OutsidePolicy as refused:
            _keep_draft(form)
            flash(_rule_message(refused.rule), "error")
            return redirect(url_for(".offer", **_link_args(offer), tz=zone))
        if not terms.refundable:
            service.record_no_refund_accepted(
                db.session, booking, terms.free_cancellation_until, now
            )
        browser.pop(DRAFT, None)
        _remember_hold(booking)
        return _to_checkout(booking)
    status = 400 if form.errors else 200
    return render_template(
        "booking/intake.html",
        offer=offer,
        form=form,
        starts_at=starts_at,
        local_day=starts_at.astimezone(ZoneInfo(zone)).date(),
        zone=zone,
        owner_zone=owner_zone(),
        price=_prices([offer])[offer.id],
        rules=terms.policy,
        terms=terms,
    ), status


#: Where the signed session cookie keeps what she typed in a form that could not go through.
DRAFT = "intake_draft"


def _draft():
    """Her answers from a refused form, to fill the next one with."""
    kept = browser.get(DRAFT)
    if not isinstance(kept, dict):
        return {}
    return {name: str(value) for name, value in kept.items() if name in DRAFT_FIELDS}


def _keep_draft(form):
    browser[DRAFT] = form.draft()


def _accepted(form, terms):
    """Inside the no-refund window she must tick the box that says she knows it."""
    if terms.refundable or form.accept_no_refund.data:
        return True
    form.accept_no_refund.errors.append(
        _("Please confirm that you understand this session cannot be refunded.")
    )
    return False


def _her_hold(offer, starts_at, now):
    """Her own live hold of this slot, made from this browser, if any."""
    tokens = _held_here()
    if not tokens:
        return None
    booking = db.session.scalar(
        sa.select(Booking).where(
            Booking.manage_token.in_(tokens),
            Booking.offer_id == offer.id,
            Booking.starts_at == starts_at,
        )
    )
    return booking if booking is not None and booking.hold_is_live(now) else None


def _bookable(offer, starts_at, now, own=None):
    """Whether the intake form may open: an open slot, or one she holds herself."""
    own = own or _her_hold(offer, starts_at, now)
    free = service.find_open_slots(
        db.session,
        offer,
        now,
        business.current(),
        since=starts_at,
        until=starts_at,
        exclude_id=own.id if own else None,
    )
    return any(slot.starts_at == starts_at for slot in free)


def _not_bookable(offer, starts_at, zone, now):
    """Back to the calendar, on the day of the nearest free time, saying why."""
    nearest = service.next_free_slots(db.session, offer, starts_at, now, business.current())
    if nearest:
        flash(
            _(
                "This time cannot be booked any more. The nearest free time is %(moment)s.",
                moment=format_when(nearest[0].starts_at, zone),
            ),
            "warning",
        )
        day = nearest[0].starts_at.astimezone(ZoneInfo(zone)).date().isoformat()
        return redirect(url_for(".offer", **_link_args(offer), tz=zone, day=day))
    flash(_("This time cannot be booked any more. Please choose another one."), "warning")
    return redirect(url_for(".offer", **_link_args(offer), tz=zone))


@bp.app_context_processor
def booking_terms_context():
    """`booking_terms(booking)`: the terms she agreed to, for pages and emails;
    `hold_is_live(booking)`: whether her hold still lasts now."""
    return {"booking_terms": booking_terms, "hold_is_live": _hold_is_live}


def _hold_is_live(booking):
    return booking.hold_is_live(utcnow())


def booking_terms(booking):
    """The terms of a booking as they stood when she reserved it."""
    return policy.terms(business.current().policy, booking.starts_at, booking.created_at)


#: Where the signed session cookie keeps the holds this browser made (their manage tokens).
HELD_HERE = "held_bookings"
#: How many of them it remembers.
HELD_HERE_MAX = 5


def _held_here():
    """The manage tokens of the holds this browser made: proof that a hold is hers."""
    tokens = browser.get(HELD_HERE, [])
    return tuple(tokens) if isinstance(tokens, list) else ()


def _remember_hold(booking):
    kept = [token for token in _held_here() if token != booking.manage_token]
    browser[HELD_HERE] = [*kept[-(HELD_HERE_MAX - 1) :], booking.manage_token]


def _slot_taken(offer, taken, zone, booking=None):
    """409: the slot was just taken; here are the next free ones."""
    return render_template(
        "booking/slot_taken.html",
        offer=offer,
        next_slots=taken.next_slots,
        zone=zone,
        booking=booking,
    ), 409


def _to_checkout(booking):
    """Hand the held booking over to the payment gateway; her hold stays if it fails."""
    try:
        url = start_checkout(
            db.session,
            booking,
            business=business.current(),
            config=current_app.config,
            now=utcnow(),
        )
    except PaymentUnavailable:
        flash(
            _("The payment service did not answer. Your time is still held: please try again."),
            "error",
        )
        return redirect(url_for(".status", token=booking.manage_token))
    except HoldLapsed:
        flash(_("Your hold on this time has ended: please choose a time again."), "warning")
        return redirect(url_for(".status", token=booking.manage_token))
    return redirect(url)


@bp.route("/book/status/<token>/pay", methods=["POST"])
@public
def pay(token):
    """Go (back) to the payment page while the hold lasts."""
    booking = _booking_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not booking.hold_is_live(utcnow()):
        return redirect(url_for(".status", token=token))
    return _to_checkout(booking)


@bp.route("/book/status/<token>/hold-again", methods=["POST"])
@public
@limiter.limit(reserve_rate_limit, key_func=client_network)
def hold_again(token):
    """Her hold ended unpaid: hold the same time again while it is free, then pay."""
    booking = _booking_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    zone = booking.time_zone
    try:
        service.hold_again(
            db.session,
            booking,
            utcnow(),
            hold_minutes=hold_minutes(current_app.config),
            business=business.current(),
            address_key=client_address_key(),
            limits=hold_limits(),
        )
    except service.SlotTaken as taken:
        return _slot_taken(booking.offer, taken, zone)
    except service.TooManyHolds as refused:
        return _too_many(refused.by)
    except service.OutsidePolicy:
        flash(_("This time cannot be booked any more. Please choose another one."), "warning")
        return redirect(url_for(".offer", slug=booking.offer.slug_in(current_lang()), tz=zone))
    _remember_hold(booking)
    return _to_checkout(booking)


@bp.route("/book/status/<token>/choose-again", methods=["POST"])
@public
def choose_again(token):
    """She gives up her held time to choose another: it is free again at once."""
    booking = _booking_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.give_up_hold(db.session, booking, utcnow())
    # Her answers fill the next form: she chooses a time, not her details, again.
    browser[DRAFT] = {
        name: getattr(booking, column)
        for name, column in service.INTAKE_FIELDS.items()
        if name in DRAFT_FIELDS and getattr(booking, column)
    }
    zone = booking.time_zone
    day = booking.starts_at.astimezone(ZoneInfo(zone)).date().isoformat()
    flash(_("Your held time is free again. Choose the time that suits you."), "success")
    return redirect(url_for(".offer", slug=booking.offer.slug_in(current_lang()), tz=zone, day=day))


@bp.route("/book/status/<token>")
@public
def status(token):
    """Where the payment page sends the browser back: waits for the payment event, then
    shows the confirmation."""
    booking = _booking_or_404(token)
    now = utcnow()
    waiting = booking.status == HELD
    live_hold = booking.hold_is_live(now)
    ended = booking.status == EXPIRED or (waiting and not live_hold)
    return _private(
        render_template(
            "booking/status.html",
            booking=booking,
            waiting=waiting,
            live_hold=live_hold,
            # An ended hold whose time is still free may be held again at once.
            still_free=ended and _bookable(booking.offer, booking.starts_at, now, booking),
            form=ActionForm(),
        )
    )


@bp.route("/booking/<token>/session.ics")
@public
def session_ics(token):
    """Her confirmed session as an .ics file, for Apple Calendar and the others."""
    booking = _booking_or_404(token)
    if booking.status != CONFIRMED:
        abort(404)
    session_invitation = service.booking_invitation(booking, business.current())
    response = _private(invitation.ics_text(session_invitation, invitation.PUBLISH, utcnow()))
    response.content_type = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="session.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/booking/<token>")
@public
def manage(token):
    """The prospect's own page: her booking, and what she may still change."""
    booking = _booking_or_404(token)
    now = utcnow()
    rules = business.current().policy
    move = service.move_decision(booking, rules, now)
    return _private(
        render_template(
            "booking/manage.html",
            booking=booking,
            cancel=policy.can_cancel(
                rules, status=booking.status, starts_at=booking.starts_at, now=now
            ),
            move=move,
            live_hold=booking.hold_is_live(now),
            move_refusal=_rule_message(move.broken_rule) if move.broken_rule else "",
            free_until=policy.free_cancellation_until(rules, booking.starts_at),
            move_until=policy.reschedule_until(rules, booking.starts_at),
            form=ActionForm(),
        )
    )


@bp.route("/booking/<token>/cancel", methods=["POST"])
@public
def cancel(token):
    """Cancel within the policy; refunded in full inside the free window."""
    booking = _booking_or_404(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = service.cancel(
            db.session,
            booking,
            utcnow(),
            business=business.current(),
            config=current_app.config,
        )
    except service.OutsidePolicy as refused:
        flash(_rule_message(refused.rule), "error")
        return redirect(url_for(".manage", token=token))
    if result.refunded_cents:
        flash(
            _(
                "Your session is cancelled. %(amount)s will be refunded to your card.",
                amount=format_money(result.refunded_cents, booking.currency),
            ),
            "success",
        )
    else:
        flash(_("Your session is cancelled."), "success")
    return redirect(url_for(".manage", token=token))


@bp.route("/booking/<token>/reschedule", methods=["GET", "POST"])
@public
def reschedule(token):
    """Choose another slot for a confirmed session, then confirm the move."""
    booking = _booking_or_404(token)
    now = utcnow()
    decision = service.move_decision(booking, business.current().policy, now)
    if not decision.allowed:
        flash(_rule_message(decision.broken_rule), "error")
        return redirect(url_for(".manage", token=token))
    form = RescheduleForm()
    if form.validate_on_submit():
        new_start = _parse_start(form.start.data)
        if new_start is None:
            abort(400)
        if new_start == booking.starts_at:
            flash(_("This is already your time: please choose another one."), "warning")
            return redirect(url_for(".reschedule", token=token, tz=reader_zone()))
        try:
            service.reschedule(db.session, booking, new_start, now, business=business.current())
        except service.SlotTaken as taken:
            return _slot_taken(booking.offer, taken, reader_zone(), booking=booking)
        except service.OutsidePolicy as refused:
            flash(_rule_message(refused.rule), "error")
            return redirect(url_for(".reschedule", token=token, tz=reader_zone()))
        flash(_("Your session has moved. A new invitation is on its way."), "success")
        return redirect(url_for(".manage", token=token))
    chosen = _parse_start(request.args.get("start"))
    if chosen == booking.starts_at:
        chosen = None  # her own time is not a move
    return _private(
        render_template(
            "booking/reschedule.html",
            booking=booking,
            chosen=chosen,
            form=RescheduleForm(start=chosen.isoformat() if chosen else "", tz=reader_zone()),
            **_picker(booking.offer, now, exclude_id=booking.id, start_on=booking.starts_at),
        )
    )


def _rule_message(rule):
    if rule == policy.RESCHEDULE_NOTICE:
        return _(
            "Sessions can be moved only up to %(hours)s hours before they start.",
            hours=current_app.config["RESCHEDULE_NOTICE_HOURS"],
        )
    return str(RULE_MESSAGES[rule])
