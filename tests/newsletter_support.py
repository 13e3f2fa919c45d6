"""For the newsletter's tests: an SMTP sink on loopback (aiosmtpd) that counts sessions,
refuses some recipients and can hold a message mid-send; reader and issue builders."""

import asyncio
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from consult.content.text import render_markdown
from consult.newsletter.models import ACTIVE, WRITTEN, Issue, Subscriber
from consult.privacy.models import COMMERCIAL, ConsentRecord


class Sink(Message):
    """Keeps every message; 550 for GONE, 451 for BUSY; `hold` keeps DATA waiting."""

    GONE, BUSY = "gone@example.org", "busy@example.org"

    def __init__(self):
        super().__init__()
        self.messages = []
        self.sessions = 0
        self.lock = threading.Lock()
        #: Cleared: the next DATA waits until it is set again (a slow server).
        self.hold = threading.Event()
        self.hold.set()
        self.waiting = threading.Event()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.GONE:
            return "550 5.1.1 No such mailbox here"
        if address == self.BUSY:
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.hold.is_set():
            self.waiting.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)

    def handle_message(self, message):
        with self.lock:
            self.messages.append(message)

    def per_recipient(self):
        with self.lock:
            return Counter(str(m["To"]) for m in self.messages)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink


def smtp_settings(port):
    return {
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT_SECONDS": 10,
    }


def make_reader(session, email, lang="fr", status=ACTIVE, **fields):
    consent = ConsentRecord(
        kind=COMMERCIAL, email=email, text="Oui, envoyez-moi l'infolettre.", lang="fr",
        form="newsletter.signup", reference="",
    )  # fmt: skip
    session.add(consent)
    reader = Subscriber(
        email=email,
        email_key=email.lower(),
        lang=lang,
        status=status,
        source="home",
        consent=consent,
        notices_today=0,
        **fields,
    )
    session.add(reader)
    session.flush()
    return reader


def make_issue(session, **fields):
    values = {
        "kind": WRITTEN,
        "subject_fr": "Les nouvelles d'automne",
        "body_md_fr": "## Bonjour\n\nVoici [mon article](/fr/articles/x?utm_source=mail&a=1).",
        "body_html_fr": "",
        "subject_en": "Autumn news",
        "body_md_en": "## Hello\n\nHere is [my article](/en/articles/x).",
        "body_html_en": "",
    }
    values.update(fields)
    for lang in ("fr", "en"):
        if not values[f"body_html_{lang}"]:
            values[f"body_html_{lang}"] = render_markdown(values[f"body_md_{lang}"])
    issue = Issue(**values)
    session.add(issue)
    session.flush()
    return issue
