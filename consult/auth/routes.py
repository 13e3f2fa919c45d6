"""Sign-in (rate-limited, with an optional second factor), sign-out and account security."""

import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from .. import navigation
from ..extensions import db, limiter, utcnow
from ..security import is_safe_next
from . import service, two_factor
from .access import owner_only, public, staff
from .forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    LoginForm,
    PasswordConfirmForm,
    SecondFactorForm,
)
from .models import User, load_user

bp = Blueprint("auth", __name__, url_prefix="/<lang:lang>")

#: Seconds a person has to type the second factor after a correct password.
SECOND_FACTOR_SECONDS = 300
PENDING = "auth.pending_second_factor"
SETUP_SECRET = "auth.totp_setup_secret"


@bp.record_once
def add_menu(state):
    navigation.add_staff(
        state.app, "auth.account", _l("Account"), 90, roles=("owner", "accountant")
    )


def home_for(user):
    return url_for("admin.dashboard") if user.is_owner else url_for("accounting.ledger")


def login_rate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def submitted_account():
    """Rate-limit key per account: the email typed, or the account awaiting its code."""
    pending = session.get(PENDING) or {}
    if request.endpoint == "auth.login_code" and pending.get("user"):
        return "account:" + pending["user"].partition(":")[0]
    return "account:" + request.form.get("email", "").strip().lower()


def limited(view):
    """Each sign-in step: LOGIN_RATE_LIMIT per account and, separately, per address."""
    view = limiter.limit(login_rate_limit, key_func=get_remote_address, methods=["POST"])(view)
    return limiter.limit(login_rate_limit, key_func=submitted_account, methods=["POST"])(view)


@bp.errorhandler(429)
def too_many_attempts(error):
    return render_template("auth/too_many_attempts.html"), 429


def complete_login(user, target):
    service.record_sign_in(db.session, user, utcnow())
    login_user(user, remember=True)
    return redirect(target if is_safe_next(target) else home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@public
@limited
def login():
    """Sign in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong email or password."))
        elif user.two_factor_enabled:
            session[PENDING] = {"user": user.get_id(), "next": form.next.data, "at": time.time()}
            return redirect(url_for("auth.login_code"))
        else:
            return complete_login(user, form.next.data)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def pending_user():
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > SECOND_FACTOR_SECONDS:
        return None, None
    return load_user(pending.get("user", "")), pending


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limited
def login_code():
    """The second step of signing in: the code from her authenticator app."""
    user, pending = pending_user()
    if user is None or not user.two_factor_enabled:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            service.check_second_factor(db.session, user, form.code.data, utcnow())
        except service.WrongCode:
            form.code.errors.append(_("This code is not valid. Try the current one."))
        else:
            session.pop(PENDING, None)
            return complete_login(user, pending.get("next", ""))
    return render_template("auth/login_code.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@staff
def logout():
    """Sign out."""
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("content.home"))


@bp.route("/account")
@staff
def account():
    """Her account: password and two-factor sign-in."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@staff
def change_password():
    """Change the password; other sessions are signed out, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        try:
            service.change_password(
                db.session, user, form.current_password.data, form.new_password.data
            )
        except service.WrongPassword:
            form.current_password.errors.append(_("This is not your current password."))
        else:
            login_user(user, remember=True)  # the new session token, for this browser only
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/two-factor", methods=["GET", "POST"])
@owner_only
def two_factor_setup():
    """Turn on sign-in codes: scan the QR code, confirm with a first code."""
    user = db.session.get(User, current_user.id)
    if user.two_factor_enabled:
        return render_template(
            "auth/two_factor_on.html",
            disable_form=PasswordConfirmForm(prefix="disable"),
            codes_form=PasswordConfirmForm(prefix="codes"),
        )
    secret = session.get(SETUP_SECRET) or two_factor.new_secret()
    session[SETUP_SECRET] = secret
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = service.enable_two_factor(db.session, user, secret, form.code.data, utcnow())
        except service.WrongCode:
            form.code.errors.append(_("This code is not valid. Check the clock of your phone."))
        else:
            session.pop(SETUP_SECRET, None)
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = two_factor.provisioning_uri(secret, user.email, current_app.config["SITE_NAME"])
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        uri=uri,
        qr_svg=two_factor.qr_svg(uri),
    ), 200 if not form.errors else 400


@bp.route("/account/two-factor/disable", methods=["POST"])
@owner_only
def two_factor_disable():
    """Turn two-factor sign-in off; asks for the password."""
    user = db.session.get(User, current_user.id)
    form = PasswordConfirmForm(prefix="disable")
    if form.validate_on_submit():
        try:
            service.disable_two_factor(db.session, user, form.password.data)
        except service.WrongPassword:
            form.password.errors.append(_("This is not your current password."))
        else:
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/two_factor_on.html",
        disable_form=form,
        codes_form=PasswordConfirmForm(prefix="codes"),
    ), 400


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@owner_only
def replace_recovery_codes():
    """New recovery codes, shown once; the old ones stop working."""
    user = db.session.get(User, current_user.id)
    if not user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_setup"))
    form = PasswordConfirmForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = service.replace_recovery_codes(db.session, user, form.password.data)
        except service.WrongPassword:
            form.password.errors.append(_("This is not your current password."))
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template(
        "auth/two_factor_on.html",
        disable_form=PasswordConfirmForm(prefix="disable"),
        codes_form=form,
    ), 400
