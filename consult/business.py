"""The owner's business as one frozen settings object, and the one absolute-URL helper.

Her zone, language, currency, taxes, policy and site address come from the settings
(defaults, instance/config.py, CONSULT_* variables) and from nowhere else. A use case builds
it once (`current()` in a request, command or job) and passes it down; services read it,
never `current_app.config`, so a unit test hands them its own.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context
from werkzeug.routing import Map

from .booking.policy import Policy, policy_from_settings
from .payments.taxes import profile_from_settings


@dataclass(frozen=True)
class Business:
    site_name: str
    #: The public address every absolute link is built on ("https://example.com").
    site_url: str
    owner_name: str
    owner_email: str
    address: str
    #: The language of `/`, of her desk's emails and of receipts printed for her.
    locale: str
    #: The zone her availability is written in; ledger days and reports follow it too.
    time_zone: str
    currency: str
    #: The tax profile (payments.taxes.Tax, ...); empty when she does not charge taxes.
    taxes: tuple
    policy: Policy
    #: The application's URL map, to build links outside a request (emails, jobs).
    url_map: Map = field(compare=False, repr=False)
    #: Where a video session without a fixed link gets its own room; empty for none.
    meeting_room_host: str = ""

    @property
    def zone(self):
        return ZoneInfo(self.time_zone)

    def url(self, endpoint, **values):
        """An absolute link on SITE_URL, the same in a request, an email or a job."""
        parts = urlsplit(self.site_url)
        adapter = self.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
        return adapter.build(endpoint, values, force_external=True)

    def absolute(self, path):
        """SITE_URL joined with a path the app built ("/fr/articles/...")."""
        return self.site_url.rstrip("/") + path


def from_config(config, url_map):
    """The Business of an application's settings."""
    return Business(
        site_name=config["SITE_NAME"],
        site_url=config["SITE_URL"],
        owner_name=config["OWNER_NAME"],
        owner_email=config["OWNER_EMAIL"],
        address=config["BUSINESS_ADDRESS"],
        locale=config["DEFAULT_LOCALE"],
        time_zone=config["TIME_ZONE"],
        currency=config["CURRENCY"],
        taxes=profile_from_settings(config["TAXES"]),
        policy=policy_from_settings(config),
        url_map=url_map,
        meeting_room_host=config.get("MEETING_ROOM_HOST", ""),
    )


def current():
    """The running application's Business, built once per request (or per call outside one)."""
    cached = g.get("consult_business") if has_app_context() else None
    if cached is None:
        cached = from_config(current_app.config, current_app.url_map)
        if has_app_context():
            g.consult_business = cached
    return cached
