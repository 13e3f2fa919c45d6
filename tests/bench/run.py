"""`make bench`: the public pages against the bare-Flask ceiling, the reservation burst, and
how slot computation, the export, the ledger and newsletter sending grow. Bounded (a few
minutes), loopback only.

    python -m tests.bench.run            # BENCH_SECONDS=3 BENCH_ROUNDS=3 by default

The site runs under gunicorn (2 sync workers, DEBUG off, demo data on a fresh SQLite file,
the page cache on, in Redis when one answers on 127.0.0.1:6379, as in production), beside a
bare Flask app returning a fixed string under the same gunicorn settings. A load generator
in its own process (wrk when installed, else tests/bench/loadgen.py) drives each target in
turn, in interleaved rounds whose order rotates, so the machine's drift hits all alike:
each page runs right after a run of the ceiling, and its figure is the median over the
rounds of its requests per second divided by that ceiling run's. Prints a table, then
one `name=value` line per figure.
"""

import json
import logging
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
WORKERS = 2
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

#: name -> path on the demo site ("ceiling" is the bare app).
PAGES = {
    "home": "/en/",
    "article": "/en/articles/outsourcing-social-media-what-to-keep",
    "article_list": "/en/articles/",
    "tag": "/en/articles/tag/outsourcing",
    "speaker": "/en/speaker/",
    "feed": "/en/feed.xml",
    "slot_page": "/en/book/social-media-strategy",
}
TARGETS = {"public": 0.6, "slot_page": 0.4}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url):
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def site_environment(workdir, port):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CONSULT_") or key == "CONSULT_TEST_DB"
    }
    env.update(
        CONSULT_DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        CONSULT_SITE_URL=f"http://127.0.0.1:{port}",
        CONSULT_SECRET_KEY=secrets.token_urlsafe(32),
        CONSULT_WEB_WORKERS=str(WORKERS),
        CONSULT_RATELIMIT_STORAGE_URI="memory://",
        # Every client is 127.0.0.1: the per-address limits would stop the burst at once.
        CONSULT_RESERVE_RATE_LIMIT="1000000 per hour",
        CONSULT_MAX_LIVE_HOLDS_PER_ADDRESS="1000000",
        CONSULT_MAX_LIVE_HOLDS_PER_EMAIL="1000000",
        CONSULT_PAGE_CACHE="true",
    )
    if redis_answers(REDIS_URL):
        env["CONSULT_PAGE_CACHE_URL"] = REDIS_URL
    return env


def gunicorn(module, port, env, log):
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def drive(url, seconds=SECONDS):
    """(requests per second, non-2xx/3xx count) for `url` over `seconds`."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds:g}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
        return rate, int(bad.group(1)) if bad else 0, int(errors.group(1)) if errors else 0
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.loadgen", url, str(CONNECTIONS), str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals = json.loads(out)
    return totals["requests"] / totals["seconds"], totals["non_2xx"], totals["errors"]


# The reservation burst --------------------------------------------------------------------


def free_starts(base, slug, wanted):
    """Slot starts (2027-01-05T14:00Z) read from the slot pages, day after day."""
    page = urllib.request.urlopen(f"{base}/en/book/{slug}?tz=UTC", timeout=10).read().decode()
    days = list(dict.fromkeys(re.findall(r'data-day="([\d-]+)"', page)))
    starts = []
    for day in days:
        url = f"{base}/en/book/{slug}?tz=UTC&day={day}"
        text = urllib.request.urlopen(url, timeout=10).read().decode().replace("%3A", ":")
        for start in dict.fromkeys(re.findall(r"start=(\d{4}-\d\d-\d\dT\d\d:\d\dZ)", text)):
            # Three hours apart: a session and its buffers never overlap the next one.
            moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
            if not starts or moment - starts[-1][1] >= timedelta(hours=3):
                starts.append((start, moment))
        if len(starts) >= wanted:
            break
    return [start for start, _moment in starts[:wanted]]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def prepare_reservation(base, slug, start, number):
    """Her browser after the intake form: a session cookie, a CSRF token, the form filled."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect
    )
    form_url = f"{base}/en/book/{slug}/reserve?start={start}&tz=UTC"
    form = opener.open(form_url, timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    fields = {
        "csrf_token": token.group(1) if token else "",
        "start": start,
        "tz": "UTC",
        "name": f"Prospect {number}",
        "email": f"prospect{number}@example.org",
        "phone": "+1 514 555 0100",
        "organisation": "Bench",
        "organisation_size": "2-10",
        "goal": "Whether an agency should run our Instagram.",
        "email_lang": "en",
        "consent": "y",
        "accept_no_refund": "y",
    }
    return opener, urllib.parse.urlencode(fields).encode()


def post_reservation(base, slug, opener, body, barrier):
    """The POST alone, timed; every prospect's starts at the same moment."""
    barrier.wait()
    started = time.perf_counter()
    try:
        with opener.open(f"{base}/en/book/{slug}/reserve", data=body, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def reservation_burst(base, slug, distinct=20, racing=10):
    """`distinct` prospects on their own slots and `racing` more on the first one, at once."""
    starts = free_starts(base, slug, distinct)
    plan = starts + [starts[0]] * racing
    prepared = [prepare_reservation(base, slug, start, n) for n, start in enumerate(plan)]
    barrier = threading.Barrier(len(prepared))
    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        results = list(
            pool.map(lambda item: post_reservation(base, slug, *item, barrier), prepared)
        )
    latencies = sorted(ms for _status, ms in results)
    statuses = [status for status, _ms in results]
    return {
        "requests": len(results),
        "held": sum(status in (302, 303) for status in statuses),
        "5xx": sum(status >= 500 for status in statuses),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "statuses": sorted(set(statuses)),
    }


# The pure benchmarks ----------------------------------------------------------------------


def slot_costs(counts=(100, 1_000, 10_000), repeat=5):
    """ms to compute a 90-day horizon's free slots, best of `repeat`, per booking count."""
    from consult.booking.slots import open_slots
    from tests.bench.bench_booking_slots import HOURS, NOW, RULES, bookings

    costs = {}
    for count in counts:
        busy = bookings(count)
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            open_slots(RULES, HOURS, (), (), busy, 60, NOW)
            runs.append((time.perf_counter() - started) * 1000)
        costs[count] = min(runs)
    return costs


def books_costs(workdir):
    """The export's memory and the ledger page's time at 10,000 and 100,000 rows."""
    from consult import create_app
    from consult.extensions import db
    from tests.bench.bench_accounting_export import NOVEMBER, add_rows, peak_while_downloading
    from tests.conftest import make_test_config
    from tests.factories import make_booking, make_payment, montreal, sign_in

    # The request log would print each of these requests; the figures are what matters here.
    logging.getLogger("consult.request").setLevel(logging.WARNING)
    app = create_app(
        make_test_config(
            f"sqlite:///{workdir}/books.sqlite3", Path(workdir) / "books-instance", TESTING=False
        )
    )
    with app.app_context():
        db.create_all()
        make_payment(
            db.session,
            make_booking(db.session),
            montreal(2026, 11, 1, 0, 30),
            subtotal_cents=15_000,
        )
        db.session.commit()
    client = app.test_client()
    sign_in(app, client)

    def ledger_ms(where):
        # The first page, or the last: the page before a cursor past every row.
        query = NOVEMBER if where == "first" else {**NOVEMBER, "before": f"{10**16}-1"}
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get("/en/accounting/", query_string=query)
            runs.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            assert response.text.count('class="row-') >= 50, "a page of rows"
        return statistics.median(runs)

    figures = {}
    add_rows(app, 1, 9_999)
    figures["export_10000_peak_mb"] = peak_while_downloading(client)[0] / 1e6
    figures["ledger_10000_first_ms"] = ledger_ms("first")
    figures["ledger_10000_last_ms"] = ledger_ms("last")
    add_rows(app, 10_000, 90_000)
    peak, _size, lines = peak_while_downloading(client)
    assert lines == 1 + 100_000, lines
    figures["export_100000_peak_mb"] = peak / 1e6
    figures["ledger_100000_first_ms"] = ledger_ms("first")
    figures["ledger_100000_last_ms"] = ledger_ms("last")
    with app.app_context():
        db.engine.dispose()
    return figures


def newsletter_figures():
    """Sending 1,000 then 10,000 issues to a loopback SMTP sink (tests/bench/newsletter.py)."""
    from tests.bench.newsletter import newsletter_costs, scratch_folder

    with scratch_folder() as folder:
        return newsletter_costs(folder)


def newsletter_summary(figures):
    from tests.bench.newsletter import summary

    return summary(figures)


# The run ---------------------------------------------------------------------------------


def main():
    began = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="consult-bench-")
    site_port, bare_port = free_port(), free_port()
    env = site_environment(workdir, site_port)
    flask = [str(BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["consult", "seed-demo"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(Path(workdir) / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    site = gunicorn("app:app", site_port, env, log)
    bare = gunicorn("tests.bench.bare:app", bare_port, env, log)
    base = f"http://127.0.0.1:{site_port}"
    figures = {}
    try:
        wait_until_up(f"{base}/healthz", site)
        wait_until_up(f"http://127.0.0.1:{bare_port}/", bare)
        urls = {"ceiling": f"http://127.0.0.1:{bare_port}/"}
        urls.update({name: base + path for name, path in PAGES.items()})
        for url in urls.values():  # warm: imports, templates, the cache
            drive(url, 1)
        rates = {name: [] for name in urls}
        ratios = {name: [] for name in PAGES}
        bad = dict.fromkeys(urls, 0)
        names = list(PAGES)
        for number in range(ROUNDS):
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                # Each page right after its own ceiling run: the drift between them is small.
                ceiling, wrong, _timeouts = drive(urls["ceiling"])
                rates["ceiling"].append(ceiling)
                bad["ceiling"] += wrong
                rate, wrong, _timeouts = drive(urls[name])
                rates[name].append(rate)
                ratios[name].append(rate / ceiling)
                bad[name] += wrong
        burst = reservation_burst(base, "social-media-strategy")
    finally:
        for process in (site, bare):
            process.terminate()
        for process in (site, bare):
            process.wait(timeout=30)
        log.close()

    slots = slot_costs()
    books = books_costs(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    letters = newsletter_figures()

    figures["ceiling_rps"] = statistics.median(rates["ceiling"])
    for name in PAGES:
        figures[f"{name}_rps"] = statistics.median(rates[name])
        figures[f"{name}_vs_ceiling"] = statistics.median(ratios[name])
    figures["reserve_p50_ms"] = burst["p50_ms"]
    figures["reserve_p95_ms"] = burst["p95_ms"]
    figures["reserve_5xx"] = burst["5xx"]
    figures["reserve_held"] = burst["held"]
    for count, ms in slots.items():
        figures[f"slots_{count}_ms"] = ms
    figures["slots_10000_vs_1000"] = slots[10_000] / slots[1_000]
    figures.update(books)
    figures["export_peak_ratio"] = books["export_100000_peak_mb"] / books["export_10000_peak_mb"]
    figures.update(letters)
    figures["non_2xx"] = sum(bad.values())
    figures["bench_seconds"] = time.monotonic() - began

    generator = f"wrk -t2 -c{CONNECTIONS}" if shutil.which("wrk") else "tests/bench/loadgen.py"
    cache = "Redis" if "CONSULT_PAGE_CACHE_URL" in env else "in-process (no Redis answered)"
    print(
        f"\nconsult bench: {os.cpu_count()} CPUs, gunicorn {WORKERS} sync workers, SQLite, "
        f"page cache {cache}, load by {generator}, {ROUNDS} rounds x {SECONDS:g} s\n"
    )
    print(f"| {'page':<14} | {'requests/s':>10} | {'vs ceiling':>10} | {'target':>6} |")
    print(f"| {'-' * 14} | {'-' * 10} | {'-' * 10} | {'-' * 6} |")
    print(f"| {'bare Flask':<14} | {figures['ceiling_rps']:>10.0f} | {'1.00':>10} | {'':>6} |")
    for name in PAGES:
        target = TARGETS.get(name, TARGETS["public"])
        print(
            f"| {name.replace('_', ' '):<14} | {figures[name + '_rps']:>10.0f} | "
            f"{figures[name + '_vs_ceiling']:>10.2f} | {target:>6.1f} |"
        )
    print(
        f"\nreservation burst: {burst['requests']} POSTs at once ({burst['held']} held, the "
        f"rest refused as taken), p50 {burst['p50_ms']:.0f} ms, p95 {burst['p95_ms']:.0f} ms, "
        f"{burst['5xx']} 5xx, statuses {burst['statuses']}"
    )
    print(
        "slots over 90 days: "
        + ", ".join(f"{count:,} bookings {ms:.1f} ms" for count, ms in slots.items())
        + f" (10,000 / 1,000 = {figures['slots_10000_vs_1000']:.1f}; linear would be 10)"
    )
    print(
        f"export: tracemalloc peak {books['export_10000_peak_mb']:.2f} MB at 10,000 rows, "
        f"{books['export_100000_peak_mb']:.2f} MB at 100,000"
    )
    print(
        f"ledger page: first {books['ledger_10000_first_ms']:.1f} / "
        f"{books['ledger_100000_first_ms']:.1f} ms, last {books['ledger_10000_last_ms']:.1f} / "
        f"{books['ledger_100000_last_ms']:.1f} ms at 10,000 / 100,000 rows"
    )
    print(newsletter_summary(letters) + "\n")
    for name, value in figures.items():
        print(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}")
    if burst["5xx"] or figures["non_2xx"]:
        raise SystemExit("bench: a request failed (5xx or non-2xx)")


if __name__ == "__main__":
    main()
