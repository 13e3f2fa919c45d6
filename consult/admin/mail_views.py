"""Her mail desk: messages that failed, or wait after an error, and a retry for each."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import navigation
from ..auth.access import owner_only
from ..extensions import db, utcnow
from ..mail.models import FAILED
from ..mail.outbox import NotRetriable, needing_attention, retry
from .blueprint import bp


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "admin.mail", _l("Mail"), 70, group="records")


@bp.route("/mail")
@owner_only
def mail():
    """Messages that could not be sent, newest first, with the error and a retry button."""
    return render_template("admin/mail.html", messages=needing_attention(db.session), FAILED=FAILED)


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
@owner_only
def mail_retry(message_id):
    """Send one message again on the worker's next turn, with its attempts counted afresh."""
    try:
        message = retry(db.session, message_id, utcnow(), by=current_user)
    except LookupError:
        abort(404)
    except NotRetriable:
        flash(_("This message is already sent or on its way."), "info")
    else:
        flash(_("The message to %(to)s goes out again in a few seconds.", to=message.to), "success")
    return redirect(url_for("admin.mail"))
