"""What the desk's pages share: her zone, and the labels and badges of a booking's status."""

from flask_babel import lazy_gettext as _l

from .. import business
from ..booking.forms import ORGANISATION_SIZES

STATUS_LABELS = {
    "held": _l("Awaiting payment"),
    "confirmed": _l("Confirmed"),
    "expired": _l("Hold expired"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
}
STATUS_BADGES = {
    "held": "badge-warn",
    "confirmed": "badge-ok",
    "expired": "",
    "cancelled": "badge-danger",
    "completed": "badge-ok",
    "no_show": "badge-danger",
}


def desk_zone():
    """Her zone: the TIME_ZONE setting (CONSULT_TIME_ZONE), the one source for every page."""
    return business.current().zone


def helpers():
    """Template globals for the desk's pages; times and money go through consult.formatting."""
    return {
        "desk_zone": desk_zone(),
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "organisation_sizes": {choice.value: choice.label for choice in ORGANISATION_SIZES},
    }
