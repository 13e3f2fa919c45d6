"""What a mail server reports back about an issue: delivery status notifications (RFC 3464,
a refusal for good is a bounce) and abuse feedback reports (RFC 5965 ARF, a complaint).

Pure: bytes in, Reports out, with the standard library's email parser.
"""

import email
import email.policy
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import HeaderParser
from email.utils import getaddresses
from urllib.parse import parse_qs, urlsplit

BOUNCE, COMPLAINT = "bounce", "complaint"


@dataclass(frozen=True)
class Report:
    kind: str
    #: The reader's address, as the report names it (may be empty).
    address: str
    #: What may be the reader's token in the original issue's List-Unsubscribe address,
    #: when it was returned (its path segments and `token` parameter; whoever reads them
    #: checks the signature, so a wrong guess finds nobody).
    tokens: tuple
    detail: str


def _address(value):
    """The address of "rfc822; jo@example.org" (a DSN field) or of a To header."""
    value = str(value or "")
    _, _, typed = value.partition(";")
    text = typed if typed else value
    found = [addr for _, addr in getaddresses([text.strip()]) if "@" in addr]
    return found[0].strip().lower() if found else ""


def _tokens(list_unsubscribe):
    """The candidates for the reader token in a List-Unsubscribe header's web address: its
    `token` parameter, then its path segments, longest first."""
    text = str(make_header(decode_header(str(list_unsubscribe or ""))))
    for item in text.split(","):
        url = item.strip().strip("<>")
        if not url.startswith(("https://", "http://")):
            continue
        parts = urlsplit(url)
        segments = sorted((s for s in parts.path.split("/") if s), key=len, reverse=True)
        return (*parse_qs(parts.query).get("token", ()), *segments)
    return ()


def _original(report):
    """The headers of the message the report is about (message/rfc822 or text/rfc822-headers)."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if payload:
                return payload[0]
        if kind == "text/rfc822-headers":
            return HeaderParser().parsestr(part.get_payload(decode=True).decode(errors="replace"))
    return None


def _delivery_status(message, original):
    reports = []
    tokens = _tokens(original["List-Unsubscribe"]) if original is not None else ()
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks[1:] if isinstance(blocks, list) else ():
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            if action != "failed" or not status.startswith("5"):
                continue
            recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
            diagnostic = str(block.get("Diagnostic-Code", "")).partition(";")[2].strip()
            reports.append(
                Report(
                    kind=BOUNCE,
                    address=_address(recipient),
                    tokens=tokens,
                    detail=f"{status} {diagnostic}".strip()[:2000],
                )
            )
    return reports


def _feedback(message, original):
    fields = None
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                fields = payload[0]
            else:
                fields = HeaderParser().parsestr(part.get_payload(decode=True).decode())
            break
    if fields is None:
        return []
    address = _address(fields.get("Original-Rcpt-To"))
    tokens = ()
    if original is not None:
        tokens = _tokens(original["List-Unsubscribe"])
        address = address or _address(original["To"])
    feedback_type = str(fields.get("Feedback-Type", "abuse")).strip()
    return [Report(kind=COMPLAINT, address=address, tokens=tokens, detail=feedback_type)]


def parse(raw):
    """The bounces and complaints one message (bytes) reports; [] for any other message."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return []
    report_type = str(message.get_param("report-type", "")).lower()
    original = _original(message)
    if report_type == "delivery-status":
        return _delivery_status(message, original)
    if report_type == "feedback-report":
        return _feedback(message, original)
    return []
