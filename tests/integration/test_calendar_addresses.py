"""Her calendar addresses cannot reach inside: loopback, private and link-local hosts are
refused outside development (in the form, at each fetch and after a redirect), and a
failed sync names the failure without echoing what the address returned."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consult.calendar import addresses, sync
from consult.calendar.cli import run_sync
from consult.calendar.models import find_settings, get_settings
from consult.database import write
from consult.extensions import db

ADMIN = "/en/admin/calendar-apps"
INSIDE = [
    "http://127.0.0.1/cal.ics",
    "https://10.1.2.3/cal.ics",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/cal.ics",
    "webcal://localhost/cal.ics",
    "http://[::ffff:192.168.0.1]/cal.ics",
]
SECRET = b"root:x:0:0:do-not-echo-me"


@pytest.fixture
def app_config():
    return {"CALENDAR_ALLOW_PRIVATE_ADDRESSES": False}


@pytest.fixture
def server():
    """Local HTTP that records each request; `server.routes[path]` = (status, headers, body)."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            server.seen.append((self.command, self.path))
            status, headers, body = server.routes.get(self.path, (404, {}, b"missing"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PROPFIND = do_REPORT = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.routes, server.seen = {}, []
    server.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def loopback_is_public(monkeypatch):
    """Treat 127.0.0.1 (the test server) as a public host, so a redirect from it can be
    tried; every other address keeps the real check."""
    real = addresses.is_public
    monkeypatch.setattr(addresses, "is_public", lambda ip: ip == "127.0.0.1" or real(ip))


def configure(app, **values):
    with app.app_context(), write(db.session) as tx:
        settings = get_settings(tx)
        for key, value in values.items():
            setattr(settings, key, value)


def saved(app):
    with app.app_context():
        settings = find_settings(db.session)
        return (settings.ics_url, settings.caldav_url) if settings else ("", "")


@pytest.mark.parametrize("address", INSIDE)
def test_the_form_refuses_an_address_inside_the_network(app, client, auth, address):
    auth.login()
    for field in ("ics_url", "caldav_url"):
        if field == "caldav_url" and address.startswith("webcal"):
            continue
        response = client.post(ADMIN, data={field: address})
        assert response.status_code == 400
        assert "leads inside a private network" in response.text
    assert saved(app) == ("", "")


def test_the_form_says_it_in_french(client, auth):
    auth.login()
    response = client.post("/fr/admin/calendar-apps", data={"ics_url": INSIDE[2]})
    assert response.status_code == 400 and "réseau privé" in response.text


@pytest.mark.parametrize("address", INSIDE)
def test_the_sync_refuses_an_inside_address_saved_earlier(app, address):
    # Saved before the rule existed, or while the name still resolved to a public address.
    configure(app, ics_url=address)
    with app.app_context():
        [result] = run_sync()
        settings = find_settings(db.session)
        assert not result.ok
        assert settings.ics_error_kind == sync.PRIVATE_ADDRESS


def test_the_sync_never_connects_to_a_loopback_server(app, server):
    server.routes["/cal.ics"] = (200, {"Content-Type": "text/calendar"}, b"BEGIN:VCALENDAR")
    configure(app, ics_url=server.url + "/cal.ics", caldav_url=server.url + "/dav/")
    with app.app_context():
        results = run_sync()
        settings = find_settings(db.session)
        assert [r.ok for r in results] == [False, False]
        assert settings.ics_error_kind == settings.caldav_error_kind == sync.PRIVATE_ADDRESS
    assert server.seen == []


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/", "http://[::1]:9/", "/x"])
def test_a_redirect_to_an_inside_address_is_refused(app, server, loopback_is_public, target):
    if target == "/x":  # a relative redirect stays on the (public) host: allowed, then 404
        server.routes["/cal.ics"] = (302, {"Location": "/x"}, b"")
    else:
        server.routes["/cal.ics"] = (302, {"Location": target}, b"")
    configure(app, ics_url=server.url + "/cal.ics")
    with app.app_context():
        [result] = run_sync()
        settings = find_settings(db.session)
    if target == "/x":
        assert settings.ics_error_kind == sync.UNREACHABLE
        assert server.seen == [("GET", "/cal.ics"), ("GET", "/x")]
    else:
        assert not result.ok and settings.ics_error_kind == sync.PRIVATE_ADDRESS
        assert server.seen == [("GET", "/cal.ics")]


def test_a_caldav_redirect_to_an_inside_address_is_refused(app, server, loopback_is_public):
    server.routes["/dav/"] = (301, {"Location": "http://10.0.0.5/dav/"}, b"")
    configure(app, caldav_url=server.url + "/dav/", caldav_username="u", caldav_password="p")
    with app.app_context():
        [result] = run_sync()
        settings = find_settings(db.session)
    assert not result.ok and settings.caldav_error_kind == sync.PRIVATE_ADDRESS
    assert all(path == "/dav/" for _method, path in server.seen)


@pytest.mark.parametrize(
    "route",
    [
        (200, {"Content-Type": "text/calendar"}, SECRET + b"\r\nnot a calendar"),
        (500, {}, SECRET),
        (403, {}, SECRET),
    ],
)
def test_a_failed_sync_never_echoes_what_the_address_returned(app, server, client, auth, route):
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = True  # reach the test server itself
    server.routes["/cal.ics"] = route
    server.routes["/dav/"] = route
    configure(app, ics_url=server.url + "/cal.ics", caldav_url=server.url + "/dav/")
    with app.app_context():
        results = run_sync()
        settings = find_settings(db.session)
        assert [r.ok for r in results] == [False, False]
        stored = settings.ics_last_error + settings.caldav_last_error
    assert b"do-not-echo-me" not in stored.encode()
    assert all("do-not-echo-me" not in r.error for r in results)
    auth.login()
    assert "do-not-echo-me" not in client.get(ADMIN).text


def test_public_addresses_pass_and_inside_ones_do_not():
    assert addresses.is_public("93.184.215.14")
    assert addresses.is_public("2606:4700::1111")
    for inside in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                   "::1", "fe80::1", "fc00::1", "0.0.0.0", "224.0.0.1", "100.64.0.1",
                   "::ffff:127.0.0.1"):  # fmt: skip
        assert not addresses.is_public(inside), inside
