"""Calendar sync against a real Radicale server and an ICS file served over local HTTP."""

import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import caldav
import pytest
import sqlalchemy as sa

from consult.booking.models import Booking, ExternalBusy
from consult.calendar.cli import run_sync as sync_now
from consult.calendar.models import find_settings, get_settings
from consult.database import NetworkInsideWrite, write
from consult.extensions import db, utcnow
from tests.factories import days_ahead, make_booking

RADICALE_USER = ("camille", "radicale-test-pass")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_port_url(path="/"):
    """An address where nothing listens: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}{path}"


def soon(days, hour):
    """`days` from today at `hour`:00 UTC, inside the sync window: the sync reads the real
    clock, so these tests place their events from it."""
    return days_ahead(utcnow(), days, hour)


def add_booking(status="confirmed", starts_at=None, **fields):
    """A committed booking (call inside an app context)."""
    booking = make_booking(
        db.session, starts_at=starts_at or soon(3, 15), status=status, now=utcnow(), **fields
    )
    db.session.commit()
    return booking


def event(uid, start, end, extra=""):
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Private\r\n{extra}"
        "END:VEVENT\r\n"
    )


def vcalendar(*events):
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + "".join(events)
        + ("END:VCALENDAR\r\n")
    )


def stamp(moment):
    return moment.strftime("%Y%m%dT%H%M%SZ")


def busy_rows(source):
    return db.session.execute(
        sa.select(ExternalBusy.uid, ExternalBusy.starts_at, ExternalBusy.ends_at)
        .where(ExternalBusy.source == source)
        .order_by(ExternalBusy.starts_at)
    ).all()


# ---------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A real CalDAV server on loopback, with one account (htpasswd, plain)."""
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"{RADICALE_USER[0]}:{RADICALE_USER[1]}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            f"--storage-filesystem-folder={folder / 'collections'}",
            f"--server-hosts=127.0.0.1:{port}",
            "--auth-type=htpasswd",
            f"--auth-htpasswd-filename={users}",
            "--auth-htpasswd-encryption=plain",
            "--auth-delay=0",
            "--logging-level=warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("Radicale did not start")
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def caldav_calendar(radicale):
    """A fresh calendar on the Radicale server for this test: (its path, a client handle)."""
    client = caldav.DAVClient(
        url=radicale, username=RADICALE_USER[0], password=RADICALE_USER[1], timeout=5
    )
    cal_id = uuid.uuid4().hex[:10]
    calendar = client.principal().make_calendar(name=f"Work {cal_id}", cal_id=cal_id)
    return f"/{RADICALE_USER[0]}/{cal_id}/", calendar


@pytest.fixture
def ics_server():
    """Serves `ics_server.files[path]` as text/calendar over local HTTP."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = server.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.files = {}
    server.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def configure(app, **values):
    with app.app_context(), write(db.session) as tx:
        settings = get_settings(tx)
        for key, value in values.items():
            setattr(settings, key, value)


def run_sync(runner):
    return runner.invoke(args=["consult", "sync-calendar"])


# ---------------------------------------------------------------- ICS address


def test_busy_times_from_an_ics_address_replace_the_previous_ones(app, runner, ics_server):
    start = soon(2, 14)
    ics_server.files["/private/basic.ics"] = vcalendar(
        event("dentist", stamp(start), stamp(start + timedelta(hours=1))),
        event(
            "standup",
            stamp(start + timedelta(hours=3)),
            stamp(start + timedelta(hours=3, minutes=30)),
            "RRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
        event(
            "free-lunch", stamp(start), stamp(start + timedelta(hours=1)), "TRANSP:TRANSPARENT\r\n"
        ),
    ).encode()
    configure(app, ics_url=ics_server.url + "/private/basic.ics")
    with app.app_context():
        db.session.add(
            ExternalBusy(source="ics", uid="stale", starts_at=start, ends_at=start + timedelta(1))
        )
        db.session.add(
            ExternalBusy(
                source="caldav", uid="other", starts_at=start, ends_at=start + timedelta(1)
            )
        )
        db.session.commit()

    result = run_sync(runner)

    assert result.exit_code == 0, result.output
    assert "ics: 4 busy time(s)" in result.output
    with app.app_context():
        rows = busy_rows("ics")
        assert [row.uid for row in rows] == ["dentist", "standup", "standup", "standup"]
        assert rows[0].starts_at == start and rows[0].ends_at == start + timedelta(hours=1)
        assert [row.uid for row in busy_rows("caldav")] == ["other"]  # other source untouched
        settings = find_settings(db.session)
        assert settings.ics_last_success_at is not None
        assert settings.ics_last_error == ""
        assert settings.ics_busy_count == 4


def test_an_all_day_event_blocks_her_whole_local_day(app, runner, ics_server):
    day = soon(5, 12).date()
    ics_server.files["/day.ics"] = vcalendar(
        "BEGIN:VEVENT\r\nUID:conference\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nSUMMARY:Conference\r\nEND:VEVENT\r\n"
    ).encode()
    configure(app, ics_url=ics_server.url + "/day.ics")

    assert run_sync(runner).exit_code == 0

    from zoneinfo import ZoneInfo

    montreal = ZoneInfo("America/Montreal")
    with app.app_context():
        (row,) = busy_rows("ics")
        assert row.starts_at == datetime(day.year, day.month, day.day, tzinfo=montreal)
        assert row.starts_at.astimezone(montreal).hour == 0
        next_day = day + timedelta(days=1)
        assert row.ends_at == datetime(next_day.year, next_day.month, next_day.day, tzinfo=montreal)


def test_running_the_sync_twice_gives_the_same_busy_times(app, runner, ics_server):
    start = soon(1, 13)
    ics_server.files["/twice.ics"] = vcalendar(
        event("weekly", stamp(start), stamp(start + timedelta(hours=2)), "RRULE:FREQ=WEEKLY\r\n")
    ).encode()
    configure(app, ics_url=ics_server.url + "/twice.ics")

    assert run_sync(runner).exit_code == 0
    with app.app_context():
        first = busy_rows("ics")
    assert run_sync(runner).exit_code == 0
    with app.app_context():
        assert busy_rows("ics") == first
        assert 8 <= len(first) <= 10  # weekly over the default 60-day horizon


def test_her_own_sessions_in_her_calendar_do_not_block_themselves(app, runner, ics_server):
    with app.app_context():
        booking = add_booking(starts_at=soon(4, 15))
        uid, starts, ends = booking.ics_uid, booking.starts_at, booking.ends_at
    ics_server.files["/own.ics"] = vcalendar(
        event(uid, stamp(starts), stamp(ends)),
        event("real", stamp(starts + timedelta(days=1)), stamp(ends + timedelta(days=1))),
    ).encode()
    configure(app, ics_url=ics_server.url + "/own.ics")

    assert run_sync(runner).exit_code == 0
    with app.app_context():
        assert [row.uid for row in busy_rows("ics")] == ["real"]


def test_two_syncs_at_once_leave_one_copy_of_each_busy_time(app, ics_server):
    start = soon(1, 13)
    ics_server.files["/race.ics"] = vcalendar(
        event("daily", stamp(start), stamp(start + timedelta(hours=1)), "RRULE:FREQ=DAILY\r\n")
    ).encode()
    configure(app, ics_url=ics_server.url + "/race.ics")
    outcomes = []

    def one_run():
        with app.app_context():
            outcomes.extend(sync_now())
            db.session.remove()

    runs = [threading.Thread(target=one_run) for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)

    assert [outcome.ok for outcome in outcomes] == [True, True, True]
    with app.app_context():
        rows = busy_rows("ics")
        assert len(rows) == len(set(rows)) == outcomes[0].busy


def test_an_unreachable_ics_address_keeps_the_last_known_busy_times(app, runner):
    start = soon(2, 14)
    configure(app, ics_url=closed_port_url("/gone.ics"))
    with app.app_context():
        db.session.add(
            ExternalBusy(source="ics", uid="known", starts_at=start, ends_at=start + timedelta(1))
        )
        db.session.commit()

    result = run_sync(runner)

    assert result.exit_code == 1
    assert "ics: FAILED" in result.output
    with app.app_context():
        assert [row.uid for row in busy_rows("ics")] == ["known"]
        settings = find_settings(db.session)
        assert settings.ics_error_kind == "unreachable"
        assert "cannot read the calendar address" in settings.ics_last_error
        assert settings.ics_last_attempt_at is not None
        assert settings.ics_last_success_at is None


def test_an_address_that_is_not_a_calendar_keeps_the_busy_times(app, runner, ics_server):
    ics_server.files["/html"] = b"<html>Sign in to Google</html>"
    configure(app, ics_url=ics_server.url + "/html", ics_busy_count=0)
    assert run_sync(runner).exit_code == 1
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.ics_error_kind == "not_calendar"
        assert "not return a valid calendar" in settings.ics_last_error


def test_without_any_calendar_the_command_does_nothing(runner):
    result = run_sync(runner)
    assert result.exit_code == 0
    assert "nothing to sync" in result.output


# ---------------------------------------------------------------- CalDAV


def caldav_settings(radicale, path):
    return {
        "caldav_url": radicale,
        "caldav_username": RADICALE_USER[0],
        "caldav_password": RADICALE_USER[1],
        "caldav_calendar": path,
    }


def stored_events(calendar):
    events = {}
    for item in calendar.events():
        for component in item.icalendar_instance.walk("VEVENT"):
            events[str(component["UID"])] = component
    return events


def test_caldav_sync_reads_busy_times_and_writes_her_sessions(
    app, runner, radicale, caldav_calendar
):
    path, calendar = caldav_calendar
    outside = soon(2, 17)
    calendar.add_event(
        vcalendar(
            event(
                "yoga",
                stamp(outside),
                stamp(outside + timedelta(hours=1)),
                "RRULE:FREQ=DAILY;COUNT=2\r\n",
            )
        ),
        increase_seqno=False,
    )
    with app.app_context():
        confirmed = add_booking(starts_at=soon(3, 15), client_name="Léa Roy")
        completed = add_booking("completed", starts_at=soon(1, 15))
        held = add_booking("held", starts_at=soon(5, 15))
        cancelled = add_booking("cancelled", starts_at=soon(6, 15))
        uids = {b.status: b.ics_uid for b in (confirmed, completed, held, cancelled)}
        confirmed_times = (confirmed.starts_at, confirmed.ends_at)
    # The cancelled session was written to her calendar by an earlier sync.
    calendar.add_event(
        vcalendar(event(uids["cancelled"], stamp(outside), stamp(outside + timedelta(hours=1)))),
        increase_seqno=False,
    )
    configure(app, **caldav_settings(radicale, path))

    result = run_sync(runner)

    assert result.exit_code == 0, result.output
    assert "caldav: 2 busy time(s); 2 session(s) written, 1 removed." in result.output
    events = stored_events(calendar)
    assert set(events) == {"yoga", uids["confirmed"], uids["completed"]}
    written = events[uids["confirmed"]]
    assert (written.decoded("DTSTART"), written.decoded("DTEND")) == confirmed_times
    assert "Léa Roy" in str(written["SUMMARY"])
    with app.app_context():
        rows = busy_rows("caldav")
        assert [row.uid for row in rows] == ["yoga", "yoga"]  # her sessions are not busy times
        assert rows[0].starts_at == outside
        assert find_settings(db.session).caldav_error_kind == ""

    again = run_sync(runner)
    assert "caldav: 2 busy time(s); 0 session(s) written, 0 removed." in again.output


def test_a_rescheduled_or_cancelled_session_follows_in_caldav(
    app, runner, radicale, caldav_calendar
):
    path, calendar = caldav_calendar
    configure(app, **caldav_settings(radicale, path))
    with app.app_context():
        booking = add_booking(starts_at=soon(3, 15))
        booking_id, uid = booking.id, booking.ics_uid
    assert run_sync(runner).exit_code == 0
    new_start = soon(4, 18)
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        booking.starts_at = booking.busy_starts_at = new_start
        booking.ends_at = new_start + timedelta(hours=1)
        booking.busy_ends_at = new_start + timedelta(hours=1, minutes=15)
        db.session.commit()

    assert "1 session(s) written" in run_sync(runner).output
    assert stored_events(calendar)[uid].decoded("DTSTART") == new_start

    with app.app_context():
        db.session.get(Booking, booking_id).status = "cancelled"
        db.session.commit()
    assert "1 removed" in run_sync(runner).output
    assert uid not in stored_events(calendar)


def test_a_calendar_found_by_its_name(app, runner, radicale, caldav_calendar):
    path, calendar = caldav_calendar
    start = soon(2, 12)
    calendar.add_event(
        vcalendar(event("by-name", stamp(start), stamp(start + timedelta(hours=1)))),
        increase_seqno=False,
    )
    configure(app, **caldav_settings(radicale, calendar.get_display_name()))
    assert run_sync(runner).exit_code == 0
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["by-name"]


def test_a_caldav_server_that_is_down_keeps_the_last_known_busy_times(app, runner):
    start = soon(2, 14)
    configure(app, **caldav_settings(closed_port_url(), "/camille/work/"))
    with app.app_context():
        db.session.add(
            ExternalBusy(source="caldav", uid="kept", starts_at=start, ends_at=start + timedelta(1))
        )
        add_booking(starts_at=soon(3, 15))

    result = run_sync(runner)

    assert result.exit_code == 1
    assert "caldav: FAILED" in result.output
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["kept"]
        settings = find_settings(db.session)
        assert settings.caldav_error_kind == "unreachable"
        assert "cannot read the CalDAV calendar" in settings.caldav_last_error
        assert settings.caldav_last_success_at is None


def test_a_wrong_caldav_password_is_reported_not_raised(app, radicale, caldav_calendar):
    path, _calendar = caldav_calendar
    configure(app, **caldav_settings(radicale, path) | {"caldav_password": "wrong"})
    with app.app_context():
        (result,) = sync_now()
        assert not result.ok
        assert find_settings(db.session).caldav_last_error


def test_the_admin_page_shows_a_failed_sync(app, client, auth, runner):
    configure(app, ics_url=closed_port_url("/gone.ics"))
    run_sync(runner)
    auth.login()
    page = client.get("/en/admin/calendar-apps").text
    assert "Your calendar could not be reached." in page
    assert "cannot read the calendar address" in page
    assert "The last known busy times are kept." in page
    french = client.get("/fr/admin/calendar-apps").text
    assert "Votre calendrier est injoignable." in french


def test_the_sync_refuses_to_run_inside_a_write(app, ics_server):
    configure(app, ics_url=ics_server.url + "/never-read.ics")
    with app.app_context(), write(db.session), pytest.raises(NetworkInsideWrite):
        sync_now()
    with app.app_context():
        assert find_settings(db.session).ics_last_attempt_at is None


# ---------------------------------------------------------------- webcal and TLS


def test_a_webcal_address_works_with_an_http_only_server(app, runner, ics_server):
    start = soon(2, 14)
    ics_server.files["/home.ics"] = vcalendar(
        event("piano", stamp(start), stamp(start + timedelta(hours=1)))
    ).encode()
    address = "webcal://" + ics_server.url.removeprefix("http://") + "/home.ics"
    configure(app, ics_url=address)

    result = run_sync(runner)

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert [row.uid for row in busy_rows("ics")] == ["piano"]


def test_a_webcal_address_that_answers_not_found_is_not_tried_again(app, runner, ics_server):
    configure(app, ics_url="webcal://" + ics_server.url.removeprefix("http://") + "/gone.ics")
    assert run_sync(runner).exit_code == 1
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.ics_error_kind == "unreachable"
        assert "HTTP 404" in settings.ics_last_error


def test_an_ics_server_whose_certificate_is_not_trusted_is_a_tls_failure(app, tmp_path):
    """A local https server with a self-signed certificate: refused, in our words; trusted
    once the CA bundle setting names its certificate."""
    import ssl

    from consult.calendar.sync import CalendarUnreachable, fetch_ics

    cert, key = tmp_path / "ca.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    body = vcalendar(event("secure", "20270101T100000Z", "20270101T110000Z")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/cal.ics"
        with pytest.raises(CalendarUnreachable) as refused:
            fetch_ics(url, 5, allow_private=True)
        assert refused.value.kind == "tls"
        assert str(refused.value) == "the server's certificate could not be verified"
        assert fetch_ics(url, 5, allow_private=True, ca_bundle=str(cert)) == body
        # A webcal address to it is not read over http instead: the refusal stands.
        with pytest.raises(CalendarUnreachable) as webcal:
            fetch_ics(url.replace("https://", "webcal://"), 5, allow_private=True)
        assert webcal.value.kind == "tls"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
