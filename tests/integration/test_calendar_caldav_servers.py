"""Her CalDAV calendar, chosen as she means it, on two server implementations (Radicale and
Xandikos, each run on loopback), and over TLS with a certificate authority of her own."""

import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import caldav
import pytest

from consult.calendar.models import find_settings
from consult.extensions import db
from tests.integration.test_calendar_sync import (
    RADICALE_USER,
    add_booking,
    busy_rows,
    configure,
    event,
    free_port,
    soon,
    stamp,
    vcalendar,
)

ADMIN = "/en/admin/calendar-apps"


def wait_for_port(process, port, name):
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{name} did not start")
            time.sleep(0.05)


def start_radicale(folder, *extra):
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
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(process, port, "Radicale")
    return process, port


def start_xandikos(folder):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xandikos",
            "serve",
            "--directory",
            str(folder / "data"),
            "--state-dir",
            str(folder / "state"),
            "--autocreate",
            "--listen-address",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-detect-systemd",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(process, port, "Xandikos")
    return process, port


class Server:
    """A CalDAV server on loopback and the account the tests use on it."""

    def __init__(self, name, url, username="", password=""):
        self.name, self.url, self.username, self.password = name, url, username, password
        self.clients = []

    def client(self):
        client = caldav.DAVClient(
            url=self.url, username=self.username or None, password=self.password or None, timeout=5
        )
        self.clients.append(client)
        return client

    def close(self):
        while self.clients:
            self.clients.pop().close()

    def fresh_account(self, *names):
        """The account emptied of calendars, then holding calendars `names`, in order."""
        principal = self.client().principal()
        for calendar in principal.calendars():
            calendar.delete()
        return [principal.make_calendar(name=name, cal_id=uuid.uuid4().hex[:10]) for name in names]

    def settings(self, **overrides):
        return {
            "caldav_url": self.url,
            "caldav_username": self.username,
            "caldav_password": self.password,
            "caldav_calendar": "",
        } | overrides


@pytest.fixture
def dav(dav_server):
    """The server for one test; the test's own connections to it are closed after it."""
    yield dav_server
    dav_server.close()


@pytest.fixture(scope="module", params=["radicale", "xandikos"])
def dav_server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "radicale":
        process, port = start_radicale(folder)
        server = Server("radicale", f"http://127.0.0.1:{port}/", *RADICALE_USER)
    else:
        process, port = start_xandikos(folder)
        # Xandikos serves one user, without authentication over plain http.
        server = Server("xandikos", f"http://127.0.0.1:{port}/")
    yield server
    process.terminate()
    process.wait(timeout=10)


def uids_in(calendar):
    return {
        str(component["UID"])
        for item in calendar.events()
        for component in item.icalendar_instance.walk("VEVENT")
    }


def put_busy(calendar, uid, days, hour):
    start = soon(days, hour)
    calendar.add_event(
        vcalendar(event(uid, stamp(start), stamp(start + timedelta(hours=1)))),
        increase_seqno=False,
    )


def sync(app):
    from consult.calendar.cli import run_sync

    with app.app_context():
        return {result.source: result for result in run_sync()}


def test_with_several_calendars_and_none_named_she_chooses(app, client, auth, dav):
    work, home = dav.fresh_account("Work", "Home")
    put_busy(work, "work-meeting", 2, 14)
    put_busy(home, "dentist", 2, 16)
    with app.app_context():
        uid = add_booking(starts_at=soon(3, 15)).ics_uid
    configure(app, **dav.settings())

    result = sync(app)["caldav"]

    # Nothing was read from or written to either calendar: she has not said which.
    assert not result.ok
    assert uid not in uids_in(work) | uids_in(home)
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.caldav_error_kind == "choose_calendar"
        assert {choice["name"] for choice in settings.caldav_choices} == {"Work", "Home"}
        assert {choice["url"] for choice in settings.caldav_choices} == {
            str(work.url),
            str(home.url),
        }
        assert busy_rows("caldav") == []

    auth.login()
    page = client.get(ADMIN).text
    assert "There are several calendars in this CalDAV account" in page
    assert re.search(r'<input[^>]+name="calendar"[^>]+value="' + re.escape(str(home.url)), page)
    assert ">Work</label>" in page and ">Home</label>" in page
    chosen = client.post(ADMIN + "/calendar", data={"calendar": str(home.url)})
    assert chosen.status_code == 302
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.caldav_calendar == str(home.url)
        assert settings.caldav_choices is None

    # A calendar added to the account later never takes over.
    dav.client().principal().make_calendar(name="Newest", cal_id=uuid.uuid4().hex[:10])
    result = sync(app)["caldav"]
    assert result.ok, result.error
    assert uid in uids_in(home) and uid not in uids_in(work)
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["dentist"]


def test_a_choice_not_in_the_list_is_refused(app, client, auth, dav):
    dav.fresh_account("Work", "Home")
    configure(app, **dav.settings())
    sync(app)
    auth.login()
    refused = client.post(ADMIN + "/calendar", data={"calendar": dav.url + "other/"})
    assert refused.status_code == 302
    with app.app_context():
        assert find_settings(db.session).caldav_calendar == ""


def test_a_pasted_calendar_address_is_used_as_given(app, dav):
    first, second = dav.fresh_account("Work", "Home")
    put_busy(first, "work-meeting", 2, 14)
    put_busy(second, "dentist", 2, 16)
    with app.app_context():
        uid = add_booking(starts_at=soon(3, 15)).ics_uid
    # The second calendar's own address in the server field, the calendar field empty.
    configure(app, **dav.settings(caldav_url=str(second.url)))

    result = sync(app)["caldav"]

    assert result.ok, result.error
    assert uid in uids_in(second) and uid not in uids_in(first)
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["dentist"]


def test_a_calendar_path_in_the_calendar_field_is_used_as_given(app, dav):
    first, second = dav.fresh_account("Work", "Home")
    put_busy(second, "dentist", 2, 16)
    path = "/" + str(second.url).split("/", 3)[3]
    configure(app, **dav.settings(caldav_calendar=path))
    assert sync(app)["caldav"].ok
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["dentist"]


def test_an_account_with_one_calendar_needs_no_choice(app, dav):
    (only,) = dav.fresh_account("Work")
    put_busy(only, "work-meeting", 2, 14)
    configure(app, **dav.settings())
    assert sync(app)["caldav"].ok
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["work-meeting"]
        assert find_settings(db.session).caldav_choices is None


# ---------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def radicale_over_tls(tmp_path_factory):
    """Radicale over https with a certificate of its own authority (self-signed for
    127.0.0.1): (its address, the authority's PEM file)."""
    folder = tmp_path_factory.mktemp("radicale-tls")
    cert, key = folder / "ca.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    process, port = start_radicale(
        folder, "--server-ssl=True", f"--server-certificate={cert}", f"--server-key={key}"
    )
    yield f"https://127.0.0.1:{port}/", cert
    process.terminate()
    process.wait(timeout=10)


def test_a_certificate_she_does_not_trust_is_worded_for_a_person(
    app, client, auth, radicale_over_tls
):
    url, _authority = radicale_over_tls
    configure(app, **Server("radicale", url, *RADICALE_USER).settings(caldav_calendar="/x/"))

    result = sync(app)["caldav"]

    assert not result.ok
    with app.app_context():
        settings = find_settings(db.session)
        assert settings.caldav_error_kind == "tls"
        # Our words, not OpenSSL's.
        assert settings.caldav_last_error == "the server's certificate could not be verified"
        assert "CERTIFICATE_VERIFY_FAILED" not in settings.caldav_last_error
    auth.login()
    page = client.get(ADMIN).text
    assert "security certificate is not one this site trusts" in page
    assert "CONSULT_CALENDAR_CA_BUNDLE" in page
    french = client.get("/fr/admin/calendar-apps").text
    assert "certificat de sécurité" in french


def test_with_her_certificate_authority_set_the_server_is_trusted(app, radicale_over_tls):
    url, authority = radicale_over_tls
    server = Server("radicale", url, *RADICALE_USER)
    with caldav.DAVClient(
        url=url, username=server.username, password=server.password, ssl_verify_cert=str(authority)
    ) as client:
        calendar = client.principal().make_calendar(name="Secure", cal_id=uuid.uuid4().hex[:10])
        put_busy(calendar, "behind-tls", 2, 9)
    configure(app, **server.settings(caldav_url=str(calendar.url)))
    app.config["CALENDAR_CA_BUNDLE"] = str(authority)

    result = sync(app)["caldav"]

    assert result.ok, result.error
    with app.app_context():
        assert [row.uid for row in busy_rows("caldav")] == ["behind-tls"]


def test_the_ca_bundle_is_a_setting_read_from_the_environment():
    from consult.config import DEFAULTS, from_environment

    assert DEFAULTS["CALENDAR_CA_BUNDLE"] == ""
    path = str(Path("/etc/ssl/her-office-ca.pem"))
    assert from_environment({"CONSULT_CALENDAR_CA_BUNDLE": path}) == {"CALENDAR_CA_BUNDLE": path}
