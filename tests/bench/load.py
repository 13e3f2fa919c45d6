"""`make load`: the site under gunicorn (4 workers) on PostgreSQL, driven for a bounded time.

A fresh database is created, migrated and seeded with the demo content; gunicorn and the
worker start on loopback, mail goes to an SMTP sink in this process. For LOAD_SECONDS
(default 60) threads drive readers on articles, prospects on slot pages, and bursts of
prospects racing for the same slot, the winner paying through the demo gateway. Then it
prints requests per second, latency percentiles and the count of 5xx, and checks that no
two held or confirmed bookings overlap and that every queued message was delivered
exactly once. It exits 1 when any of those fail. Not part of the test suite.

Environment: LOAD_SECONDS, LOAD_PG_URL (an admin URL, default the local trust one),
LOAD_PORT (default a free one).
"""

import collections
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PG_ADMIN_URL = os.environ.get(
    "LOAD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
READERS, PROSPECTS, RACERS = 8, 8, 10
#: Pause between two bursts of racers.
BURST_EVERY = 1.0
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SLOT = re.compile(r'href="(/en/book/[^"/?]+/reserve\?start=[^"]+)"')
DAY = re.compile(r'href="(/en/book/[^"/?]+\?day=[^"]+)"')
ARTICLE = re.compile(r'href="(/en/articles/(?!tag/)[^"?#]+)"')
OFFER = re.compile(r'href="/en/book/([^"/?]+)"')
MESSAGE_ID = re.compile(r"<consult\.(\d+)\.")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An SMTP server that counts each delivery by the outbox row in its Message-ID."""

    def __init__(self):
        self.deliveries = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content.decode("utf-8", "replace"))
        with self.lock:
            self.deliveries[int(found.group(1)) if found else -1] += 1
        return "250 OK"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.statuses = collections.Counter()
        self.errors = collections.Counter()
        self.outcomes = collections.Counter()

    def record(self, response, started):
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[response.status_code] += 1


class Client:
    """One visitor: a cookie jar, and every request timed into `stats`."""

    def __init__(self, base, stats):
        self.base, self.stats = base, stats
        self.http = requests.Session()

    def request(self, method, path, **kwargs):
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, timeout=30, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            with self.stats.lock:
                self.stats.errors[type(error).__name__] += 1
            return None
        self.stats.record(response, started)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)


def unescape(href):
    return href.replace("&amp;", "&")


def reader(base, stats, stop):
    client = Client(base, stats)
    while not stop.is_set():
        listing = client.get("/en/articles/")
        articles = ARTICLE.findall(listing.text) if listing is not None else []
        for path in random.sample(articles, min(3, len(articles))):
            client.get(path)
        client.get("/")


def prospect(base, stats, stop, offers):
    client = Client(base, stats)
    while not stop.is_set():
        page = client.get(f"/en/book/{random.choice(offers)}")
        days = DAY.findall(page.text) if page is not None else []
        for path in random.sample(days, min(2, len(days))):
            client.get(unescape(path))


def race_for(base, stats, slot, results):
    """Reserve `slot` as a new prospect; pay if the hold is ours."""
    client = Client(base, stats)
    form = client.get(slot)
    token = CSRF.search(form.text) if form is not None and form.status_code == 200 else None
    if token is None:
        results.append("no form")
        return
    n = uuid.uuid4().hex[:10]
    reply = client.post(
        slot,
        data={
            "csrf_token": token.group(1),
            "name": f"Prospect {n}",
            "email": f"p{n}@example.org",
            "organisation": "Load test inc.",
            "organisation_size": "2-10",
            "goal": "Decide whether to outsource our social media.",
            "email_lang": random.choice(["fr", "en"]),
            "consent": "y",
        },
    )
    if reply is None:
        results.append("error")
        return
    if reply.status_code != 302 or "/pay/demo/" not in reply.headers.get("Location", ""):
        results.append(f"reserve {reply.status_code}")
        return
    checkout = reply.headers["Location"].removeprefix(base)
    page = client.get(checkout)
    token = CSRF.search(page.text) if page is not None else None
    paid = client.post(f"{checkout}/pay", data={"csrf_token": token.group(1) if token else ""})
    results.append("paid" if paid is not None and paid.status_code == 302 else "pay failed")


def bursts(base, stats, stop, offers):
    """Every BURST_EVERY seconds, RACERS prospects at once for one free slot."""
    scout = Client(base, stats)
    while not stop.is_set():
        page = scout.get(f"/en/book/{random.choice(offers)}")
        slots = SLOT.findall(page.text) if page is not None else []
        if slots:
            slot = unescape(random.choice(slots))
            results = []
            racers = [
                threading.Thread(target=race_for, args=(base, stats, slot, results))
                for _ in range(RACERS)
            ]
            for thread in racers:
                thread.start()
            for thread in racers:
                thread.join()
            with stats.lock:
                stats.outcomes.update(results)
                stats.outcomes["bursts"] += 1
                stats.outcomes["slots won"] += sum(r in ("paid", "pay failed") for r in results)
        stop.wait(BURST_EVERY)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


OVERLAPS = sa.text(
    """
    SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id
    WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')
      AND a.busy_starts_at < b.busy_ends_at AND b.busy_starts_at < a.busy_ends_at
    """
)


def wait_until(check, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def main():
    name = f"consult_load_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    engine = sa.create_engine(url)
    port = int(os.environ.get("LOAD_PORT") or free_port())
    base = f"http://127.0.0.1:{port}"
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    workdir = Path(tempfile.mkdtemp(prefix="consult-load-"))
    env = dict(
        os.environ,
        CONSULT_DATABASE_URL=url.render_as_string(hide_password=False),
        CONSULT_SITE_URL=base,
        CONSULT_SECRET_KEY=secrets.token_urlsafe(32),
        CONSULT_WEB_WORKERS="4",
        CONSULT_MAIL_TRANSPORT="smtp",
        CONSULT_SMTP_HOST="127.0.0.1",
        CONSULT_SMTP_PORT=str(controller.port),
        CONSULT_SMTP_STARTTLS="false",
        # Every visitor comes from 127.0.0.1 here: the anti-hoarding limits would refuse
        # the bursts (they have tests of their own).
        CONSULT_RESERVE_RATE_LIMIT="1000000 per hour",
        CONSULT_MAX_LIVE_HOLDS_PER_ADDRESS="1000000",
    )
    env.pop("CONSULT_ENV_NAME", None)  # the demo gateway runs in development only
    flask = [str(BIN / "flask"), "--app", "app"]
    processes = []
    ok = False
    try:
        for command in (["db", "upgrade"], ["consult", "seed-demo"]):
            subprocess.run(
                flask + command, cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
        log = open(workdir / "server.log", "w")  # noqa: SIM115 (closed with the processes)
        processes.append(
            subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "4", "--timeout", "30"]
                + ["--bind", f"127.0.0.1:{port}", "app:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )  # fmt: skip
        )
        processes.append(
            subprocess.Popen(
                flask + ["consult", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        )

        def up():
            try:
                return requests.get(base + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        if not wait_until(up, 30):
            print(f"the site did not start; see {workdir / 'server.log'}")
            return 1
        offers = OFFER.findall(requests.get(base + "/en/book/", timeout=10).text)
        offers = sorted({slug for slug in offers if slug not in ("status",)})

        stats, stop = Stats(), threading.Event()
        threads = [
            threading.Thread(target=reader, args=(base, stats, stop)) for _ in range(READERS)
        ]
        threads += [
            threading.Thread(target=prospect, args=(base, stats, stop, offers))
            for _ in range(PROSPECTS)
        ]
        threads.append(threading.Thread(target=bursts, args=(base, stats, stop, offers)))
        print(f"load: {SECONDS:g} s on {base}, gunicorn 4 workers, PostgreSQL {name}")
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        def outbox_drained():
            with engine.connect() as connection:
                return not connection.scalar(
                    sa.text("SELECT count(*) FROM outbox_messages WHERE status <> 'sent'")
                )

        drained = wait_until(outbox_drained, 60)
        time.sleep(1)  # a delivery after the last row was marked would show here
        with engine.connect() as connection:
            overlaps = connection.scalar(OVERLAPS)
            rows = dict(
                connection.execute(
                    sa.text("SELECT status, count(*) FROM outbox_messages GROUP BY status")
                ).all()
            )
            ids = set(connection.scalars(sa.text("SELECT id FROM outbox_messages")))
            bookings = dict(
                connection.execute(
                    sa.text("SELECT status, count(*) FROM bookings GROUP BY status")
                ).all()
            )
        with sink.lock:
            deliveries = dict(sink.deliveries)
        exactly_once = drained and set(deliveries) == ids and set(deliveries.values()) <= {1}

        latencies = sorted(stats.latencies)
        total = len(latencies)
        server_errors = sum(n for status, n in stats.statuses.items() if status >= 500)
        print(f"requests:        {total} in {elapsed:.1f} s = {total / elapsed:.1f} req/s")
        print(
            "latency:         "
            f"p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
        )
        print(f"statuses:        {dict(sorted(stats.statuses.items()))}")
        print(f"client errors:   {dict(stats.errors) or 'none'}")
        print(f"5xx:             {server_errors}")
        print(f"bursts:          {dict(sorted(stats.outcomes.items()))}")
        print(f"bookings:        {dict(sorted(bookings.items()))}")
        print(f"overlapping held or confirmed bookings: {overlaps}")
        print(
            f"outbox:          {dict(sorted(rows.items()))}; {sum(deliveries.values())} "
            f"deliveries for {len(ids)} messages; exactly once: {'yes' if exactly_once else 'NO'}"
        )
        ok = (
            server_errors == 0
            and not stats.errors
            and overlaps == 0
            and exactly_once
            and stats.outcomes["paid"] > 0
        )
        print("load: PASS" if ok else f"load: FAIL (server log: {workdir / 'server.log'})")
        return 0 if ok else 1
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        if ok:
            for path in workdir.iterdir():
                path.unlink()
            workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
