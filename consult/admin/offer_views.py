"""Her offers: list, create, edit, deactivate. Never deleted: bookings keep pointing at them."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import owner_only
from ..booking.models import Offer
from ..extensions import db
from .blueprint import bp
from .forms import OfferForm
from .service import OFFER_FIELDS, SlugTaken, save_offer


@bp.route("/offers")
@owner_only
def offers():
    """Every offer, active or not, in the order the site lists them."""
    rows = db.session.scalars(sa.select(Offer).order_by(Offer.position, Offer.id)).all()
    return render_template("admin/offers.html", offers=rows)


@bp.route("/offers/new", methods=["GET", "POST"])
@owner_only
def offer_new():
    """Create an offer."""
    form = OfferForm(data={"active": True, "taxable": True, "position": 0})
    return _edit(form, None)


@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
@owner_only
def offer_edit(offer_id):
    """Edit an offer: texts in both languages, duration, price, taxes, active, order."""
    offer = db.get_or_404(Offer, offer_id)
    form = OfferForm(obj=offer)
    return _edit(form, offer)


def _edit(form, offer):
    if form.validate_on_submit():
        values = {name: form[name].data for name in OFFER_FIELDS}
        values["position"] = values["position"] or 0
        values["slug_en"] = values["slug_en"] or values["slug"]
        values["description_fr"] = values["description_fr"] or ""
        values["description_en"] = values["description_en"] or ""
        try:
            saved = save_offer(db.session, current_user, offer, values)
        except SlugTaken as taken:
            form[taken.args[0]].errors.append(_("Another offer already uses this address name."))
        else:
            if offer is None:
                flash(_("Offer “%(title)s” created.", title=saved.title_en), "success")
            else:
                flash(_("Offer “%(title)s” saved.", title=saved.title_en), "success")
            return redirect(url_for("admin.offers"))
    status = 400 if form.errors else 200
    return render_template("admin/offer_form.html", form=form, offer=offer), status
