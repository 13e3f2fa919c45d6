"""Calendar sync: busy times in from her calendar, confirmed sessions out to CalDAV.

Network first, database after: what the sync needs is read, the session released, then
each source is read completely outside any write before its busy times are replaced in
one short write, so a calendar that cannot be reached leaves the last known busy times in
place (and its error on the admin page). Running it twice changes nothing.
"""

import logging
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import caldav
import icalendar
import sqlalchemy as sa
from caldav.elements import dav

from ..booking.models import CANCELLED, AvailabilityRules, Booking, ExternalBusy
from ..database import outside_write, write
from . import addresses, ics
from .busy import busy_times
from .models import find_settings, get_settings
from .service import CALENDAR_STATUSES

logger = logging.getLogger(__name__)

#: An ICS file larger than this is refused rather than read into memory.
MAX_ICS_BYTES = 10 * 1024 * 1024
#: Used when the availability rules are not set yet.
DEFAULT_HORIZON_DAYS = 60


#: Why a sync failed, stored with the technical detail; the admin page words each one.
UNREACHABLE = "unreachable"
NOT_A_CALENDAR = "not_calendar"
TOO_LARGE = "too_large"
BAD_ADDRESS = "bad_address"
NO_CALENDAR = "no_calendar"
PRIVATE_ADDRESS = "private_address"
WRITE_FAILED = "write_failed"
#: The server's certificate was not one the site trusts (see CALENDAR_CA_BUNDLE).
TLS_FAILED = "tls"
#: Several calendars on the account and none named: she chooses (settings.caldav_choices).
CHOOSE_CALENDAR = "choose_calendar"

#: A CalDAV collection's resource type when it is a calendar (RFC 4791, 4.2).
CALDAV_CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"


class CalendarUnreachable(Exception):
    """Her calendar could not be read; `kind` says why in one word, the message in detail.

    `answered`: the server did answer (an HTTP error), so another scheme is not worth a try.
    """

    def __init__(self, kind, message, answered=False):
        super().__init__(message)
        self.kind = kind
        self.answered = answered


class ChooseCalendar(CalendarUnreachable):
    """The account holds several calendars and she has not said which: `choices` lists
    them as [{"url": ..., "name": ...}] in the server's order."""

    def __init__(self, choices):
        super().__init__(
            CHOOSE_CALENDAR, f"{len(choices)} calendars on this account: choose the one to use"
        )
        self.choices = choices


@dataclass
class SyncResult:
    source: str
    ok: bool
    busy: int = 0
    written: int = 0
    removed: int = 0
    error: str = ""


@dataclass
class Window:
    start: datetime
    end: datetime
    zone: ZoneInfo


@dataclass
class PlannedSession:
    uid: str
    starts_at: datetime
    ends_at: datetime
    ical: str


@dataclass
class CaldavPlan:
    sessions: list = field(default_factory=list)
    cancelled_uids: set = field(default_factory=set)


def sync_window(session, now, zone):
    """From the start of her local today (in `zone`) to the end of the booking horizon."""
    horizon = session.scalar(sa.select(AvailabilityRules.horizon_days).limit(1))
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), zone)
    end = start + timedelta(days=(horizon or DEFAULT_HORIZON_DAYS) + 2)
    return Window(start.astimezone(now.tzinfo), end.astimezone(now.tzinfo), zone)


def sync_calendars(session, business, now, timeout, allow_private=False, ca_bundle=""):
    """Sync every configured source; one result per source (none when nothing is set up).

    `business` gives her zone (the window's days), language (her sessions' titles) and
    name and address (their organizer); `timeout` bounds each call to her calendar's
    server, in seconds; `allow_private` lets her addresses reach loopback and private
    networks (development and tests only); `ca_bundle`, a PEM file of certificate
    authorities to trust instead of the system's (CALENDAR_CA_BUNDLE).
    """
    outside_write("calendar sync")
    settings = find_settings(session)
    if settings is None:
        return []
    sources = {
        "ics": settings.ics_url,
        "caldav": settings.caldav_url,
    }
    caldav_access = {
        "url": settings.caldav_url,
        "username": settings.caldav_username,
        "password": settings.caldav_password,
        "calendar": settings.caldav_calendar,
        "ca_bundle": ca_bundle,
    }
    window = sync_window(session, now, business.zone)
    own_uids = set(
        session.scalars(sa.select(Booking.ics_uid).where(Booking.busy_ends_at >= window.start))
    )
    plan = caldav_plan(session, window, now, business.locale) if sources["caldav"] else None
    # Everything needed is in plain values now: hold no connection while the network is slow.
    session.close()

    results = []
    if sources["ics"]:
        try:
            body = fetch_ics(sources["ics"], timeout, allow_private, ca_bundle)
            calendars = [parse_ics(body)]
        except CalendarUnreachable as error:
            results.append(record_failure(session, "ics", now, error.kind, str(error)))
        else:
            busy = busy_times(calendars, window.start, window.end, window.zone, own_uids)
            results.append(replace_busy(session, "ics", busy, now))
    if sources["caldav"]:
        results.append(
            sync_caldav(session, caldav_access, plan, window, own_uids, now, timeout, allow_private)
        )
    return results


def fetch_ics(url, timeout, allow_private=False, ca_bundle=""):
    """The body at an http(s) or webcal address on the public internet; anything else is
    refused. Errors name the failure, never what the address returned.

    A webcal address is tried over https first, then over http when no https server
    answers there (webcal names no scheme; many servers on her own network speak http only).
    An https server whose certificate is not trusted is reported, never read over http.
    """
    outside_write("calendar")
    if url.startswith("webcal://"):
        rest = url.removeprefix("webcal://")
        try:
            return _fetch(f"https://{rest}", timeout, allow_private, ca_bundle)
        except CalendarUnreachable as error:
            if error.answered or error.kind != UNREACHABLE:
                raise
        return _fetch(f"http://{rest}", timeout, allow_private, ca_bundle)
    return _fetch(url, timeout, allow_private, ca_bundle)


def _fetch(url, timeout, allow_private, ca_bundle):
    if urlsplit(url).scheme not in ("http", "https"):
        raise CalendarUnreachable(BAD_ADDRESS, "only http, https and webcal addresses can be read")
    request = urllib.request.Request(url, headers={"User-Agent": "consult-calendar-sync"})
    opener = addresses.guarded_opener(allow_private, tls_context(ca_bundle))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_ICS_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        raise CalendarUnreachable(
            UNREACHABLE, f"the calendar address answered HTTP {error.code}", answered=True
        ) from error
    except (OSError, ValueError) as error:  # URLError and timeouts are OSErrors
        reason = getattr(error, "reason", error)
        if isinstance(reason, addresses.PrivateAddress):
            raise CalendarUnreachable(PRIVATE_ADDRESS, str(reason)) from error
        tls = _tls_cause(error)
        if isinstance(tls, ssl.SSLCertVerificationError):
            raise CalendarUnreachable(TLS_FAILED, TLS_DETAIL) from error
        if tls is not None:  # no TLS server there (an http-only server on port 443, say)
            raise CalendarUnreachable(
                UNREACHABLE, "cannot read the calendar address (no secure connection)"
            ) from error
        raise CalendarUnreachable(
            UNREACHABLE, f"cannot read the calendar address ({_failure_name(reason)})"
        ) from error
    if len(body) > MAX_ICS_BYTES:
        raise CalendarUnreachable(TOO_LARGE, "the calendar file is larger than 10 MB")
    return body


#: What a failed certificate check is recorded as (the library's text names OpenSSL codes).
TLS_DETAIL = "the server's certificate could not be verified"


def tls_context(ca_bundle=""):
    """The TLS settings of every calendar connection: the system's authorities, or hers."""
    return ssl.create_default_context(cafile=ca_bundle or None)


def _tls_cause(error):
    """The TLS failure a library wrapped (urllib, niquests, urllib3), if any.

    An https request to a server speaking plain http is a TLS failure too (the answer is
    not a TLS record): the webcal fallback then tries http.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ssl.SSLError) or type(error).__name__ == "SSLError":
            return error
        seen.add(id(error))
        reason = getattr(error, "reason", None)
        if isinstance(reason, BaseException) and id(reason) not in seen:
            error = reason
            continue
        error = error.__cause__ or error.__context__ or _first_arg_error(error)
    return None


def _first_arg_error(error):
    """Some HTTP libraries keep the underlying error as their first argument."""
    for argument in getattr(error, "args", ()):
        if isinstance(argument, BaseException):
            return argument
    return None


def parse_ics(body):
    try:
        return icalendar.Calendar.from_ical(body)
    except ValueError as error:
        # icalendar's message quotes the offending line: never show what was fetched.
        raise CalendarUnreachable(
            NOT_A_CALENDAR, "the address did not return a valid calendar"
        ) from error


def _failure_name(error):
    """What went wrong in a word or two: the exception's kind, or its text when it is ours
    or the system's (no text the remote server chose)."""
    if isinstance(error, addresses.UnknownHost | TimeoutError | ConnectionError):
        return str(error) or type(error).__name__
    return type(error).__name__


def caldav_plan(session, window, now, lang):
    """What her CalDAV calendar should hold: sessions in the window (titled in `lang`),
    cancelled ones out."""
    bookings = session.scalars(
        sa.select(Booking)
        .where(Booking.status.in_(CALENDAR_STATUSES), Booking.ends_at >= window.start)
        .order_by(Booking.starts_at)
    ).all()
    cancelled = session.scalars(
        sa.select(Booking.ics_uid).where(
            Booking.status == CANCELLED, Booking.ends_at >= window.start
        )
    ).all()
    return CaldavPlan(
        sessions=[
            PlannedSession(b.ics_uid, b.starts_at, b.ends_at, ics.session_calendar(b, lang))
            for b in bookings
        ],
        cancelled_uids=set(cancelled),
    )


def open_caldav_calendar(access, timeout, allow_private=False):
    """The calendar her settings name: the calendar field's path, address or name, else
    the server address itself when it is a calendar, else the account's only calendar.
    Several and none named: ChooseCalendar, never the first in the server's order."""
    outside_write("calendar")
    # caldav connects through its own HTTP session: check the host here, and every redirect
    # before it is followed.
    addresses.check_url(access["url"], allow_private)
    client = caldav.DAVClient(
        url=access["url"],
        username=access["username"] or None,
        password=access["password"] or None,
        timeout=timeout,
        enable_rfc6764=False,
        ssl_verify_cert=access.get("ca_bundle") or True,
    )
    client.session.hooks["response"].append(addresses.redirect_guard(allow_private))
    try:
        return _find_calendar(client, access)
    except BaseException:
        client.close()
        raise


def _find_calendar(client, access):
    target = access["calendar"].strip()
    if target.startswith("/") or "://" in target:
        return client.calendar(url=urljoin(access["url"], target))
    if not target:
        # A calendar's own address pasted as the server's: that calendar, as given.
        pasted = client.calendar(url=access["url"])
        if is_calendar(pasted):
            return pasted
    principal = client.principal()
    if target:
        return principal.calendar(name=target)
    calendars = principal.calendars()
    if not calendars:
        raise CalendarUnreachable(NO_CALENDAR, "the CalDAV account has no calendar")
    if len(calendars) > 1:
        raise ChooseCalendar(
            [
                {"url": str(calendar.url), "name": calendar.get_display_name() or ""}
                for calendar in calendars
            ]
        )
    return calendars[0]


def is_calendar(collection):
    """Whether a CalDAV address is a calendar (not the server's root or a principal)."""
    found = collection.get_properties([dav.ResourceType()]).get("{DAV:}resourcetype")
    if isinstance(found, str):
        found = [found]
    return CALDAV_CALENDAR_TYPE in (found or [])


def sync_caldav(session, access, plan, window, own_uids, now, timeout, allow_private=False):
    """Read busy times, then write sessions and remove cancelled ones (UID = ics_uid)."""
    opened = []
    try:
        return _sync_caldav(
            session, access, plan, window, own_uids, now, timeout, allow_private, opened
        )
    finally:
        for calendar in opened:  # its connections, not left to the garbage collector
            calendar.client.close()


def _sync_caldav(session, access, plan, window, own_uids, now, timeout, allow_private, opened):
    try:
        calendar = open_caldav_calendar(access, timeout, allow_private)
        opened.append(calendar)
        objects = calendar.search(event=True, start=window.start, end=window.end)
        stored = {}
        calendars = []
        for item in objects:
            instance = item.icalendar_instance
            calendars.append(instance)
            for component in instance.walk("VEVENT"):
                stored.setdefault(str(component.get("UID", "")), (item, component))
    except ChooseCalendar as error:
        return record_failure(session, "caldav", now, error.kind, str(error), choices=error.choices)
    except CalendarUnreachable as error:
        return record_failure(session, "caldav", now, error.kind, str(error))
    except addresses.PrivateAddress as error:
        return record_failure(session, "caldav", now, PRIVATE_ADDRESS, str(error))
    except Exception as error:  # caldav raises its own, requests' and parsing errors alike
        # Their messages may quote the server's answer: name the failure only.
        logger.warning("CalDAV read failed: %s", type(error).__name__)
        private = _private_cause(error)
        if private is not None:
            return record_failure(session, "caldav", now, PRIVATE_ADDRESS, str(private))
        if _tls_cause(error) is not None:
            return record_failure(session, "caldav", now, TLS_FAILED, TLS_DETAIL)
        return record_failure(
            session,
            "caldav",
            now,
            UNREACHABLE,
            f"cannot read the CalDAV calendar ({_failure_name(error)})",
        )
    busy = busy_times(calendars, window.start, window.end, window.zone, own_uids)

    written = removed = 0
    write_error = ""
    outside_write("calendar")
    try:
        for planned in plan.sessions:
            present = stored.get(planned.uid)
            if present and _same_times(present[1], planned):
                continue
            if present:
                present[0].data = planned.ical
                present[0].save(increase_seqno=False)
            else:
                calendar.add_event(planned.ical, increase_seqno=False)
            written += 1
        for uid in sorted(plan.cancelled_uids & stored.keys()):
            stored[uid][0].delete()
            removed += 1
    except Exception as error:  # the busy times read above stay good; say what failed
        logger.warning("CalDAV write failed: %s", type(error).__name__)
        write_error = f"cannot write sessions to the CalDAV calendar ({_failure_name(error)})"
    result = replace_busy(
        session, "caldav", busy, now, WRITE_FAILED if write_error else "", write_error
    )
    result.written, result.removed = written, removed
    return result


def _private_cause(error):
    """The PrivateAddress a library wrapped in its own error (a refused redirect), if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, addresses.PrivateAddress):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _same_times(component, planned):
    try:
        start = component.decoded("DTSTART")
        end = component.decoded("DTEND")
    except KeyError:
        return False
    return start == planned.starts_at and end == planned.ends_at


def replace_busy(session, source, busy, now, error_kind="", error=""):
    """Swap the source's busy rows for `busy` and note the success, in one write.

    Two overlapping runs take turns on the settings row, so each replaces the rows whole.
    """
    with write(session) as tx:
        settings = get_settings(tx)
        session.execute(sa.delete(ExternalBusy).where(ExternalBusy.source == source))
        session.add_all(
            ExternalBusy(
                source=source, uid=item.uid, starts_at=item.starts_at, ends_at=item.ends_at
            )
            for item in busy
        )
        setattr(settings, f"{source}_last_attempt_at", now)
        setattr(settings, f"{source}_last_success_at", now)
        setattr(settings, f"{source}_error_kind", error_kind)
        setattr(settings, f"{source}_last_error", error)
        setattr(settings, f"{source}_busy_count", len(busy))
        if source == "caldav":
            settings.caldav_choices = None
    return SyncResult(source, ok=not error, busy=len(busy), error=error)


def record_failure(session, source, now, kind, message, choices=None):
    """Keep the last known busy times; note the attempt and why it failed (and, when she
    must choose a calendar, the account's calendars to choose from)."""
    with write(session) as tx:
        settings = get_settings(tx)
        setattr(settings, f"{source}_last_attempt_at", now)
        setattr(settings, f"{source}_error_kind", kind)
        setattr(settings, f"{source}_last_error", message[:2000])
        if source == "caldav":
            settings.caldav_choices = choices
    logger.warning("calendar sync %s failed: %s", source, message)
    return SyncResult(source, ok=False, error=message)
