"""The worker: one process that sends mail within seconds and runs the timed work.

It survives a failing job, lets a running job finish when asked to stop, and exits 0 on
SIGTERM; the last test starts the real command as a subprocess on a database of its own.
"""

import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask import has_app_context

from consult import create_app
from consult.database import write
from consult.extensions import db
from consult.mail.outbox import queue
from consult.worker import JOBS, Job, Worker
from tests.conftest import make_test_config

FLASK = str(Path(sys.executable).with_name("flask"))


def test_mail_goes_out_every_two_seconds_and_every_job_runs_alone(app):
    worker = Worker(app)
    jobs = {job.id: job for job in worker.jobs()}
    assert set(jobs) == {job.name for job in JOBS}
    assert jobs["deliver-mail"].trigger.interval.total_seconds() == 2
    assert jobs["release-holds"].trigger.interval.total_seconds() == 60
    assert jobs["send-reminders"].trigger.interval.total_seconds() == 5 * 60
    assert jobs["sync-calendar"].trigger.interval.total_seconds() == 15 * 60
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_a_failing_job_is_logged_and_the_others_still_run(app, caplog):
    ran = []

    def boom(stopping):
        raise RuntimeError("the calendar server is on fire")

    def tick(stopping):
        ran.append(has_app_context())

    worker = Worker(app, jobs=())
    with caplog.at_level(logging.ERROR, logger="consult.worker"):
        worker._run(Job("boom", boom, 1))
        worker._run(Job("tick", tick, 1))
        worker._run(Job("boom", boom, 1))
    assert ran == [True]
    assert [record.message for record in caplog.records] == [
        "job boom failed; it runs again on its next turn"
    ] * 2


def test_stopping_lets_the_running_job_finish(app):
    started, finished = threading.Event(), threading.Event()

    def slow(stopping):
        started.set()
        time.sleep(0.5)
        finished.set()

    worker = Worker(app, jobs=(Job("slow", slow, 60),))
    thread = threading.Thread(target=worker.scheduler.start)
    thread.start()
    assert started.wait(5)
    worker.stop(signal.SIGTERM)
    assert finished.is_set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_the_worker_command_delivers_mail_and_exits_0_on_sigterm(tmp_path):
    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    settings = {"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url}
    target = f"consult:create_app({settings!r})"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULT_")}
    upgrade = subprocess.run(
        [FLASK, "--app", target, "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr

    app = create_app(make_test_config(url, instance))
    with app.app_context():
        with write(db.session):
            message = queue("prospect@example.org", "Votre séance est confirmée", "À bientôt.")
        eml = instance / "outbox" / f"{message.id:06d}.eml"
        db.engine.dispose()

    worker = subprocess.Popen(
        [FLASK, "--app", target, "consult", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not eml.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert eml.exists(), "the worker did not deliver the message"
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output
    assert "SIGTERM received" in output and "worker: stopped" in output
    sent = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert sent["Subject"] == "Votre séance est confirmée"
