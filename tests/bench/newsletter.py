"""The newsletter's sending speed and memory: 1,000 then 10,000 readers queued in one
statement, sent with no rate cap to an SMTP sink on loopback (aiosmtpd in its own process,
so its work is not counted here), on a fresh SQLite file, with tracemalloc on. Memory must
stay flat: the peak of the 10,000-reader run is about that of the 1,000-reader one.

Each delivery commits one short write (it is marked `sending` before it goes): on a disk
that is one fsync a message, which would be the figure. The file lives in /dev/shm when
there is one, so what is measured is the code's own cost; a real disk adds its fsync.

    python -m tests.bench.newsletter        # `make bench` runs it too (tests/bench/run.py)
"""

import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

SIZES = (1_000, 10_000)
#: A first small run, not counted: templates compiled, statements cached, imports done, so
#: the 1,000-reader peak is the run's own and not the process warming up.
WARM_UP = 100


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_sink(port):
    """aiosmtpd's discarding Sink handler, in a process of its own."""
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise RuntimeError("the SMTP sink did not start")


def _add_readers(first, count):
    from consult.extensions import db, utcnow
    from consult.newsletter.models import ACTIVE, Subscriber

    now = utcnow()
    langs = ("fr", "en", "both")
    db.session.execute(
        sa.insert(Subscriber),
        [
            {
                "email": f"reader{n}@example.org",
                "email_key": f"reader{n}@example.org",
                "lang": langs[n % 3],
                "status": ACTIVE,
                "source": "bench",
                "notices_today": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(first, first + count)
        ],
    )
    db.session.commit()


def _one_run(size):
    """(seconds to queue, seconds to send, messages sent, tracemalloc peak in bytes)."""
    from consult.database import write
    from consult.extensions import db, utcnow
    from consult.newsletter import sending
    from tests.newsletter_support import make_issue

    with write(db.session):
        issue = make_issue(db.session)
    started = time.perf_counter()
    queued = sending.queue_issue(db.session, issue, utcnow())
    queue_seconds = time.perf_counter() - started
    assert queued == size, queued
    db.session.remove()
    tracemalloc.start()
    started = time.perf_counter()
    run = sending.send_due()
    send_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (run.sent, run.failed, run.deferred) == (size, 0, 0), run
    return queue_seconds, send_seconds, run.sent, peak


def newsletter_costs(workdir):
    """The figures `make bench` prints: messages a second, and peaks at 1,000 and 10,000."""
    import logging

    from consult import create_app
    from consult.extensions import db
    from tests.conftest import make_test_config
    from tests.newsletter_support import smtp_settings

    logging.getLogger("consult").setLevel(logging.WARNING)
    port = _free_port()
    sink = _start_sink(port)
    try:
        app = create_app(
            make_test_config(
                f"sqlite:///{workdir}/newsletter.sqlite3",
                Path(workdir) / "newsletter-instance",
                TESTING=False,
                SITE_URL="https://camille.example.com",
                NEWSLETTER_RATE_PER_SECOND=0,
                **smtp_settings(port),
            )
        )
        figures = {}
        with app.app_context():
            db.create_all()
            _add_readers(0, WARM_UP)
            _one_run(WARM_UP)
            added = WARM_UP
            for size in SIZES:
                _add_readers(added, size - added)
                added = size
                queue_s, send_s, sent, peak = _one_run(size)
                figures[f"newsletter_queue_{size}_ms"] = queue_s * 1000
                figures[f"newsletter_peak_mb_{size}"] = peak / 1e6
                figures[f"newsletter_msgs_per_s_{size}"] = sent / send_s
            db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    figures["newsletter_msgs_per_s"] = figures[f"newsletter_msgs_per_s_{SIZES[-1]}"]
    figures["newsletter_peak_ratio"] = (
        figures[f"newsletter_peak_mb_{SIZES[-1]}"] / figures[f"newsletter_peak_mb_{SIZES[0]}"]
    )
    return figures


def summary(figures):
    """The human line for the bench's table."""
    return (
        f"newsletter: {figures['newsletter_msgs_per_s']:.0f} messages/s to a loopback SMTP sink "
        f"(no rate cap, tracemalloc on, SQLite in memory-backed tmpfs), queued 10,000 in "
        f"{figures['newsletter_queue_10000_ms']:.0f} ms; peak "
        f"{figures['newsletter_peak_mb_1000']:.2f} MB at 1,000 readers, "
        f"{figures['newsletter_peak_mb_10000']:.2f} MB at 10,000"
    )


def scratch_folder():
    """A temporary folder in memory (/dev/shm) when there is one."""
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None
    return tempfile.TemporaryDirectory(prefix="consult-bench-newsletter-", dir=memory)


def main():
    began = time.monotonic()
    with scratch_folder() as workdir:
        figures = newsletter_costs(workdir)
    print(summary(figures))
    figures["newsletter_bench_seconds"] = time.monotonic() - began
    for name, value in figures.items():
        print(f"{name}={value:.2f}")


if __name__ == "__main__":
    main()
