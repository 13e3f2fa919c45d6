"""Sign-in and sign-out."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..extensions import db, utcnow
from ..security import is_safe_next
from .access import public, staff
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__, url_prefix="/<lang:lang>")


def home_for(user):
    return url_for("admin.dashboard") if user.is_owner else url_for("accounting.ledger")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong email or password."))
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=True)
            target = form.next.data
            return redirect(target if is_safe_next(target) else home_for(user))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@staff
def logout():
    """Sign out."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("content.home"))
