"""Stripe-shaped helpers for the payments tests: signed events and a local Stripe stand-in.

The rows they refer to come from tests/factories.py.
"""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe

# ----------------------------------------------------------------------------- events

#: The demo gateway's default signing secret (consult.config DEFAULTS).
DEMO_WEBHOOK_SECRET = "whsec_demo_local_only"


def event(event_type, data_object, *, event_id=None, created=None):
    return {
        "id": event_id or f"evt_test_{secrets.token_hex(8)}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": created or int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": data_object},
    }


def checkout_session(booking, **fields):
    data = {
        "id": booking.gateway_session_id,
        "object": "checkout.session",
        "client_reference_id": str(booking.id),
        "metadata": {"booking_id": str(booking.id), "booking_reference": booking.reference},
        "amount_subtotal": booking.subtotal_cents,
        "amount_total": booking.total_cents,
        "currency": "cad",
        "customer_email": booking.client_email,
        "mode": "payment",
        "payment_intent": f"pi_test_{booking.id}",
        "payment_status": "paid",
        "status": "complete",
    }
    data.update(fields)
    return data


def refund_object(refund_id, amount, payment_intent, **fields):
    data = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "cad",
        "payment_intent": payment_intent,
        "charge": f"ch_for_{payment_intent}",
        "status": "succeeded",
        "reason": "requested_by_customer",
        "metadata": {},
        "created": int(time.time()),
    }
    data.update(fields)
    return data


def signed(evt, secret, *, timestamp=None):
    """(body, Stripe-Signature) as Stripe sends them, by the SDK's own signing helper."""
    body = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=int(timestamp if timestamp is not None else time.time())
    )
    return body, header


def post_event(client, evt, secret, **kwargs):
    body, header = signed(evt, secret, **kwargs)
    return client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


# ----------------------------------------------------------------------------- Stripe stand-in


class StripeStub:
    """A local HTTP server that records what the Stripe SDK sends and answers Stripe-shaped JSON.

    `answers[(method, path)]` is a dict (status 200) or a (status, dict) pair, or a
    callable taking the recorded request and returning either.
    """

    def __init__(self):
        self.requests = []
        self.answers = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                recorded = {
                    "method": self.command,
                    "path": url.path,
                    "params": dict(parse_qsl(body or url.query, keep_blank_values=True)),
                    "headers": {key.lower(): value for key, value in self.headers.items()},
                }
                stub.requests.append(recorded)
                answer = stub.answers.get((self.command, url.path))
                if callable(answer):
                    answer = answer(recorded)
                if answer is None:
                    status, payload = (
                        404,
                        {
                            "error": {
                                "type": "invalid_request_error",
                                "message": f"no stub for {url.path}",
                            }
                        },
                    )
                elif isinstance(answer, tuple):
                    status, payload = answer
                else:
                    status, payload = 200, answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def calls(self, method, path):
        return [r for r in self.requests if r["method"] == method and r["path"] == path]


def payment_intent_answer(intent_id, *, fee=1164, net=None, amount=28_744, refunds=()):
    """A PaymentIntent with its latest charge, balance transaction and refunds expanded."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": "cad",
        "status": "succeeded",
        "latest_charge": {
            "id": f"ch_for_{intent_id}",
            "object": "charge",
            "amount": amount,
            "payment_intent": intent_id,
            "balance_transaction": {
                "id": f"txn_for_{intent_id}",
                "object": "balance_transaction",
                "amount": amount,
                "fee": fee,
                "net": amount - fee if net is None else net,
                "currency": "cad",
            },
            "refunds": {"object": "list", "data": list(refunds), "has_more": False},
        },
    }
