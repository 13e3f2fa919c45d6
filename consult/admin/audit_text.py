"""The audit log in her words: each entry as a sentence, amounts and times in her formats.

"Refunded 50,00 $ on booking Y2ZTP5E8 (credit note CN-000003)". The targets a sentence names
(bookings, ledger rows, offers, inquiries) are loaded for a whole page at once.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape

from ..auth.models import User
from ..booking.models import Booking, Offer
from ..content.models import Article, SpeakingInquiry
from ..formatting import (
    current_locale,
    format_date,
    format_date_time,
    format_money,
    format_weekday_name,
)
from ..mail.models import OutboxMessage
from ..payments.models import LedgerEntry
from .display import STATUS_LABELS
from .inquiry_forms import status_labels as inquiry_status_labels

#: target_type (the model's class name, lower case) -> model, for the targets sentences name.
TARGET_MODELS = {
    "booking": Booking,
    "ledgerentry": LedgerEntry,
    "offer": Offer,
    "speakinginquiry": SpeakingInquiry,
    "article": Article,
    "outboxmessage": OutboxMessage,
    "user": User,
}
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: What the filter and the details call each action and field.
ACTION_LABELS = {
    "booking.cancel": _l("Cancellations"),
    "booking.reschedule": _l("Sessions moved"),
    "booking.completed": _l("Sessions marked completed"),
    "booking.no_show": _l("No-shows"),
    "booking.notes": _l("Notes on bookings"),
    "payment.refund": _l("Refunds"),
    "payment.record_manual": _l("Payments recorded by hand"),
    "availability.weekly_hours": _l("Weekly hours"),
    "availability.rules": _l("Booking rules"),
    "availability.override_add": _l("Dates with other hours added"),
    "availability.override_remove": _l("Dates with other hours removed"),
    "availability.time_off_add": _l("Time off added"),
    "availability.time_off_remove": _l("Time off removed"),
    "offer.create": _l("Offers created"),
    "offer.update": _l("Offers changed"),
    "inquiry.reply": _l("Replies to inquiries"),
    "inquiry.note": _l("Organisers’ answers kept"),
    "inquiry.status": _l("Inquiry statuses"),
    "mail.retry": _l("Mail sent again"),
    "article.create": _l("Articles created"),
    "article.update": _l("Articles changed"),
    "article.publish": _l("Articles published"),
    "article.unpublish": _l("Articles unpublished"),
    "article.restore": _l("Article versions restored"),
    "bio.update": _l("Bio changed"),
    "bio.restore": _l("Bio versions restored"),
    "upload.create": _l("Images uploaded"),
    "talk.create": _l("Talks added"),
    "talk.update": _l("Talks changed"),
    "talk.delete": _l("Talks removed"),
    "testimonial.create": _l("Testimonials added"),
    "testimonial.update": _l("Testimonials changed"),
    "testimonial.delete": _l("Testimonials removed"),
    "calendar.sources_update": _l("Calendar addresses"),
    "calendar.caldav_choose": _l("CalDAV calendar chosen"),
    "calendar.feed_token_regenerate": _l("New private calendar address"),
    "auth.password_change": _l("Password changed"),
    "auth.password_reset": _l("Password reset"),
    "auth.two_factor_enable": _l("Two-step sign-in turned on"),
    "auth.two_factor_disable": _l("Two-step sign-in turned off"),
    "auth.recovery_code_use": _l("Recovery codes used"),
    "auth.recovery_codes_replace": _l("Recovery codes replaced"),
    "auth.sign_in_link_use": _l("Sign-ins by emailed link"),
    "privacy.settings": _l("Privacy settings"),
    "privacy.consent_withdraw": _l("Consents marked withdrawn"),
    "privacy.request_confirm": _l("Privacy requests confirmed"),
    "privacy.request_answer": _l("Privacy requests answered"),
    "privacy.erase": _l("Personal information erased"),
    "privacy.retention": _l("Retention periods applied"),
    "privacy.incident": _l("Incidents recorded"),
    "newsletter.schedule": _l("Newsletter issues scheduled"),
    "newsletter.unschedule": _l("Newsletter issues back to draft"),
    "newsletter.import": _l("Newsletter readers imported"),
    "newsletter.confirm": _l("Newsletter subscriptions confirmed"),
    "newsletter.language": _l("Newsletter languages changed"),
    "newsletter.unsubscribe": _l("Newsletter unsubscriptions"),
}
FIELD_LABELS = {
    "status": _l("Status"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "reason": _l("Reason"),
    "refund": _l("Refund asked"),
    "refunded_cents": _l("Refunded"),
    "amount_cents": _l("Amount"),
    "price_cents": _l("Price before taxes"),
    "number": _l("Number"),
    "of": _l("Refund of"),
    "reference": _l("Reference"),
    "owner_notes": _l("Your notes"),
    "min_notice_hours": _l("Minimum notice (hours)"),
    "horizon_days": _l("Booking horizon (days)"),
    "slot_step_minutes": _l("Time between start times (minutes)"),
    "buffer_before_minutes": _l("Buffer before (minutes)"),
    "buffer_after_minutes": _l("Buffer after (minutes)"),
    "daily_max_sessions": _l("Most sessions a day"),
    "day": _l("Date"),
    "closed": _l("Closed"),
    "start": _l("From"),
    "end": _l("To"),
    "note": _l("Note"),
    "title_fr": _l("Title (French)"),
    "title_en": _l("Title (English)"),
    "duration_minutes": _l("Duration (minutes)"),
    "active": _l("Offered"),
    "flagship": _l("Flagship"),
    "title": _l("Title"),
    "message": _l("Message"),
}


def load_targets(session, entries):
    """{(target_type, target_id): row} for the entries' targets a sentence can name."""
    wanted = {}
    for entry in entries:
        if entry.target_type in TARGET_MODELS and entry.target_id.isdigit():
            wanted.setdefault(entry.target_type, set()).add(int(entry.target_id))
    found = {}
    for kind, ids in wanted.items():
        model = TARGET_MODELS[kind]
        for row in session.scalars(sa.select(model).where(model.id.in_(ids))):
            found[(kind, str(row.id))] = row
    # A ledger row's sentence names its booking: load them in the same pass.
    booking_ids = {
        row.booking_id
        for (kind, _id), row in found.items()
        if kind == "ledgerentry" and ("booking", str(row.booking_id)) not in found
    }
    if booking_ids:
        for row in session.scalars(sa.select(Booking).where(Booking.id.in_(booking_ids))):
            found[("booking", str(row.id))] = row
    return found


def _instant(value, zone):
    """An ISO instant as her zone's date and time; anything else as it is."""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return format_date_time(moment, zone, style="medium")
    return value


def _day(value):
    try:
        return format_date(datetime.fromisoformat(value).date(), "full")
    except (TypeError, ValueError):
        return value or ""


def shown(key, value, zone, currency):
    """A recorded value as she reads it: money, times in her zone, words for codes."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key.endswith("_cents") and isinstance(value, int):
        return format_money(value, currency)
    if key == "status" and value in STATUS_LABELS:
        return str(STATUS_LABELS[value])
    if key == "status" and value in inquiry_status_labels():
        return str(inquiry_status_labels()[value])
    if key == "day":
        return _day(value)
    if isinstance(value, list):
        return ", ".join(str(item).replace("-", "–") for item in value) or _("closed")
    return str(_instant(value, zone))


def field_label(key):
    if key in WEEKDAY_KEYS:
        return format_weekday_name(WEEKDAY_KEYS.index(key)).capitalize()
    return str(FIELD_LABELS.get(key, key.replace("_", " ")))


def _link(text, endpoint, **values):
    return Markup('<a href="{0}">{1}</a>').format(url_for(endpoint, **values), text)


def _booking(row):
    if row is None:
        return None
    return _link(row.reference, "admin.booking", booking_id=row.id)


def sentence(entry, targets, zone, currency):
    """The entry as one sentence (Markup: it may link its booking)."""
    before, after = entry.before or {}, entry.after or {}
    target = targets.get((entry.target_type, entry.target_id))
    money = lambda cents: format_money(cents or 0, currency)  # noqa: E731
    booking = None
    if isinstance(target, Booking):
        booking = _booking(target)
    elif isinstance(target, LedgerEntry):
        booking = _booking(targets.get(("booking", str(target.booking_id))))
    booking = booking or escape(entry.target_id)
    action = entry.action

    def say(text, **values):
        return Markup(escape(text)) % {
            name: value if isinstance(value, Markup) else escape(value)
            for name, value in values.items()
        }

    if action == "payment.refund":
        return say(
            _("Refunded %(amount)s on booking %(booking)s (credit note %(number)s)."),
            amount=money(after.get("amount_cents")),
            booking=booking,
            number=after.get("number", ""),
        )
    if action == "payment.record_manual":
        return say(
            _("Recorded a payment of %(amount)s on booking %(booking)s (receipt %(number)s)."),
            amount=money(after.get("amount_cents")),
            booking=booking,
            number=after.get("number", ""),
        )
    if action == "booking.cancel":
        if after.get("refunded_cents"):
            text = say(
                _("Cancelled booking %(booking)s and refunded %(amount)s."),
                booking=booking,
                amount=money(after["refunded_cents"]),
            )
        else:
            text = say(_("Cancelled booking %(booking)s without a refund."), booking=booking)
        if after.get("reason"):
            text += " " + say(_("Reason: “%(reason)s”."), reason=after["reason"])
        return text
    if action == "booking.reschedule":
        return say(
            _("Moved booking %(booking)s to %(after)s (it was %(before)s)."),
            booking=booking,
            before=_instant(before.get("starts_at"), zone),
            after=_instant(after.get("starts_at"), zone),
        )
    if action == "booking.completed":
        return say(_("Marked booking %(booking)s completed."), booking=booking)
    if action == "booking.no_show":
        return say(_("Marked booking %(booking)s as a no-show."), booking=booking)
    if action == "booking.notes":
        return say(_("Changed your notes on booking %(booking)s."), booking=booking)
    if action == "availability.weekly_hours":
        return say(_("Changed the weekly hours."))
    if action == "availability.rules":
        return say(_("Changed the booking rules."))
    if action in ("availability.override_add", "availability.override_remove"):
        values = after if action.endswith("_add") else before
        day = _day(values.get("day"))
        if action.endswith("_remove"):
            return say(_("Removed the other hours of %(day)s."), day=day)
        if values.get("closed"):
            return say(_("Closed %(day)s."), day=day)
        return say(
            _("Set other hours on %(day)s: %(start)s to %(end)s."),
            day=day,
            start=values.get("start") or "",
            end=values.get("end") or "",
        )
    if action in ("availability.time_off_add", "availability.time_off_remove"):
        values = after if action.endswith("_add") else before
        text = (
            _("Added time off (%(start)s to %(end)s).")
            if action.endswith("_add")
            else _("Removed time off (%(start)s to %(end)s).")
        )
        return say(
            text,
            start=_instant(values.get("starts_at"), zone),
            end=_instant(values.get("ends_at"), zone),
        )
    if action in ("offer.create", "offer.update"):
        french = current_locale().startswith("fr")
        source = target if isinstance(target, Offer) else None
        title = (
            (source.title_fr if french else source.title_en)
            if source
            else after.get("title_fr" if french else "title_en")
        )
        text = (
            _("Created the offer “%(title)s”.")
            if action == "offer.create"
            else _("Changed the offer “%(title)s”.")
        )
        return say(text, title=title or entry.target_id)
    if action.startswith("inquiry."):
        name = target.name if isinstance(target, SpeakingInquiry) else entry.target_id
        if action == "inquiry.reply":
            return say(
                _("Replied to the inquiry from %(name)s; it is “%(status)s”."),
                name=name,
                status=shown("status", after.get("status"), zone, currency),
            )
        if action == "inquiry.note":
            return say(_("Kept %(name)s’s answer on the inquiry’s thread."), name=name)
        return say(
            _("Marked the inquiry from %(name)s “%(status)s”."),
            name=name,
            status=shown("status", after.get("status"), zone, currency),
        )
    if action == "mail.retry":
        to = target.to if isinstance(target, OutboxMessage) else entry.target_id
        return say(_("Sent again the message to %(to)s."), to=to)
    if action.startswith("article."):
        title = after.get("title") or before.get("title") or entry.target_id
        texts = {
            "article.create": _("Created the article “%(title)s”."),
            "article.update": _("Changed the article “%(title)s”."),
            "article.publish": _("Published the article “%(title)s”."),
            "article.unpublish": _("Took the article “%(title)s” offline."),
            "article.restore": _("Restored an earlier version of the article “%(title)s”."),
        }
        if action in texts:
            return say(texts[action], title=title)
    plain = {
        "bio.update": _("Changed the bio."),
        "bio.restore": _("Restored an earlier version of the bio."),
        "upload.create": _("Uploaded an image."),
        "talk.create": _("Added a talk."),
        "talk.update": _("Changed a talk."),
        "talk.delete": _("Removed a talk."),
        "testimonial.create": _("Added a testimonial."),
        "testimonial.update": _("Changed a testimonial."),
        "testimonial.delete": _("Removed a testimonial."),
        "calendar.sources_update": _("Changed where your busy times come from."),
        "calendar.caldav_choose": _("Chose the CalDAV calendar to read."),
        "calendar.feed_token_regenerate": _("Made a new private calendar address."),
        "auth.password_change": _("Changed the password; other sessions were signed out."),
        "auth.password_reset": _("Reset the password by email."),
        "auth.two_factor_enable": _("Turned on two-step sign-in."),
        "auth.two_factor_disable": _("Turned off two-step sign-in."),
        "auth.recovery_code_use": _("Signed in with a recovery code."),
        "auth.recovery_codes_replace": _("Replaced the recovery codes."),
        "auth.sign_in_link_use": _("Signed in with an emailed link."),
    }
    if action in plain:
        return say(plain[action])
    if action.startswith(("privacy.", "newsletter.")):
        return _records_sentence(say, action, before, after, zone)
    return say(
        _("%(action)s on %(target)s %(id)s."),
        action=action,
        target=entry.target_type,
        id=entry.target_id,
    )


def _records_sentence(say, action, before, after, zone):
    """The privacy records' and the newsletter's entries."""
    subject = after.get("subject") or before.get("subject") or ""
    if action == "newsletter.schedule":
        return say(
            _("Scheduled the newsletter issue “%(subject)s” for %(time)s."),
            subject=subject,
            time=_instant(after.get("scheduled_at"), zone),
        )
    if action == "newsletter.unschedule":
        return say(_("Put the newsletter issue “%(subject)s” back to draft."), subject=subject)
    if action == "newsletter.import":
        return escape(
            ngettext(
                "Imported %(num)d newsletter reader (lines set aside: %(refused)s).",
                "Imported %(num)d newsletter readers (lines set aside: %(refused)s).",
                int(after.get("added", 0)),
                refused=int(after.get("refused", 0)),
            )
        )
    if action == "privacy.incident":
        return say(_("Recorded the incident “%(title)s”."), title=after.get("title", ""))
    texts = {
        "privacy.settings": _("Changed the privacy settings."),
        "privacy.consent_withdraw": _("Marked a consent withdrawn."),
        "privacy.request_confirm": _("A privacy request was confirmed by its emailed link."),
        "privacy.request_answer": _("Answered a privacy request."),
        "privacy.erase": _("Erased what the site held on one person."),
        "privacy.retention": _("Anonymised what was past its retention period."),
        "newsletter.confirm": _("A reader confirmed her newsletter subscription."),
        "newsletter.language": _("A reader changed the language of her newsletter."),
        "newsletter.unsubscribe": _("A reader unsubscribed from the newsletter."),
    }
    return say(texts.get(action, action))


def details(entry, zone, currency):
    """(field, before, after) as she reads them, for each field that changed."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [
        (
            field_label(key),
            shown(key, before.get(key), zone, currency),
            shown(key, after.get(key), zone, currency),
        )
        for key in keys
        if before.get(key) != after.get(key)
    ]


def action_label(action):
    return str(ACTION_LABELS.get(action, action))
