"""The owner's content screens: articles, images, bio, talks, testimonials, inquiries."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from .. import navigation
from ..audit import record
from ..auth.access import owner_only
from ..database import write
from ..extensions import db, utcnow
from . import service
from .forms import (
    ActionForm,
    ArticleForm,
    InquiryStatusForm,
    ProfileForm,
    TalkForm,
    TestimonialForm,
    UploadForm,
    budget_labels,
)
from .images import MAX_PIXELS, MAX_SIDE
from .models import (
    ANSWERED,
    DECLINED,
    LANGS,
    NEW,
    Article,
    Profile,
    SpeakingInquiry,
    Talk,
    Testimonial,
    Upload,
)
from .text import render_markdown, slugify

bp = Blueprint("content_admin", __name__, url_prefix="/<lang:lang>/admin/content")


@bp.record_once
def add_menu(state):
    navigation.add_staff(state.app, "content_admin.articles", _l("Articles"), 20)
    navigation.add_staff(state.app, "content_admin.bio", _l("Bio and talks"), 22)
    navigation.add_staff(state.app, "content_admin.inquiries", _l("Speaking inquiries"), 24)


def error_messages():
    return {
        service.SlugTaken: _("Another article in this language already uses this address."),
        service.ScheduleNotInFuture: _("To schedule an article, pick a time in the future."),
        service.TranslationMismatch: _("Pick an article written in the other language."),
        service.NotAnImage: _("This file is not a PNG, JPEG, WebP or GIF image."),
        service.ImageTooLarge: _(
            "This image is too large: at most %(side)s pixels on a side and %(megapixels)s "
            "megapixels.",
            side=MAX_SIDE,
            megapixels=MAX_PIXELS // 1_000_000,
        ),
        service.UploadTooLarge: _(
            "This image is larger than %(size)s MB.",
            size=round(current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024, 1),
        ),
    }


def show_error(form, error):
    getattr(form, error.field).errors.append(error_messages()[type(error)])


def zone():
    return ZoneInfo(current_app.config["TIME_ZONE"])


def image_choices():
    uploads = db.session.scalars(sa.select(Upload).order_by(Upload.created_at.desc())).all()
    return [SelectChoice("", _("None"))] + [
        SelectChoice(u.filename, u.original_name or u.filename) for u in uploads
    ]


# Articles --------------------------------------------------------------------------------


@bp.route("/")
@owner_only
def articles():
    """Every article, whatever its status, newest first."""
    rows = db.session.scalars(
        sa.select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    ).all()
    return render_template(
        "content/admin/articles.html",
        articles=rows,
        now=utcnow(),
        zone=zone(),
        action=ActionForm(),
    )


def article_form(article):
    editing = request.method == "GET" and article.id is not None
    form = ArticleForm(obj=article if editing else None)
    if request.method == "GET" and article.id is None:
        form.lang.data = article.lang
    if editing:
        form.body.data = article.body_md
        form.tags.data = ", ".join(article.tags)
        form.cover_image.data = article.cover_image or ""
        form.translation_id.data = str(article.translation_id or "")
        # A scheduled article whose time has come is shown, and saved, as published.
        form.status.data = article.shown_status(utcnow())
        if article.published_at is not None:
            form.publish_at.data = article.published_at.astimezone(zone()).replace(tzinfo=None)
    form.cover_image.choices = image_choices()
    others = db.session.scalars(
        sa.select(Article).where(Article.id != article.id).order_by(Article.lang, Article.title)
    ).all()
    form.translation_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(other.id), f"[{other.lang.upper()}] {other.title}") for other in others
    ]
    return form


def article_data(form):
    publish_at = form.publish_at.data
    if publish_at is not None:
        publish_at = publish_at.replace(tzinfo=zone())
    return service.ArticleData(
        lang=form.lang.data,
        title=form.title.data.strip(),
        slug=form.slug.data or slugify(form.title.data),
        summary=form.summary.data.strip(),
        body_md=form.body.data,
        tags=form.tags.data,
        cover_image=form.cover_image.data or None,
        cover_alt=form.cover_alt.data.strip(),
        status=form.status.data,
        publish_at=publish_at,
        translation_id=int(form.translation_id.data) if form.translation_id.data else None,
    )


@bp.route("/articles/new", methods=["GET", "POST"])
@owner_only
def new_article():
    """Write a new article."""
    return edit(Article(lang=g.lang))


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@owner_only
def edit_article(article_id):
    """Change an article, preview it, schedule or publish it, link its translation."""
    return edit(db.get_or_404(Article, article_id))


def edit(article):
    form = article_form(article)
    preview_html = None
    if form.validate_on_submit():
        data = article_data(form)
        if "preview" in request.form:
            preview_html = render_markdown(data.body_md)
        else:
            before = service.article_snapshot(article) if article.id else None
            action = "article.update" if article.id else "article.create"
            try:
                with write(db.session):
                    service.save_article(db.session, article, data, utcnow())
                    record(
                        db.session, current_user, action, article, before,
                        service.article_snapshot(article),
                    )  # fmt: skip
            except service.ContentError as error:
                show_error(form, error)
            else:
                flash(_("The article is saved."), "success")
                return redirect(url_for(".edit_article", article_id=article.id))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/article_form.html",
        form=form,
        article=article,
        preview_html=preview_html,
        zone_name=current_app.config["TIME_ZONE"],
        now=utcnow(),
    ), status


@bp.route("/articles/<int:article_id>/preview")
@owner_only
def preview_article(article_id):
    """The article as visitors will see it, even before it is published."""
    found = db.get_or_404(Article, article_id)
    return render_template(
        "content/article.html",
        article=found,
        translation=found.translation,
        offer=service.flagship_offer(db.session),
        preview=True,
    )


@bp.route("/articles/<int:article_id>/publish", methods=["POST"])
@owner_only
def publish_article(article_id):
    """Publish now."""
    return change_status(article_id, service.publish, "article.publish", _("Published."))


@bp.route("/articles/<int:article_id>/unpublish", methods=["POST"])
@owner_only
def unpublish_article(article_id):
    """Back to draft: hidden from the public."""
    return change_status(
        article_id, service.unpublish, "article.unpublish", _("Back to draft: hidden.")
    )


def change_status(article_id, change, action, message):
    article = db.get_or_404(Article, article_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(db.session):
        before = service.article_snapshot(article)
        change(article, utcnow())
        record(db.session, current_user, action, article, before, service.article_snapshot(article))
    flash(message, "success")
    return redirect(url_for(".articles"))


# Images ----------------------------------------------------------------------------------


@bp.route("/images", methods=["GET", "POST"])
@owner_only
def images():
    """Upload images for articles and the bio; copy their Markdown."""
    form = UploadForm()
    if form.validate_on_submit():
        file = form.image.data
        try:
            with write(db.session):
                upload = service.store_upload(
                    db.session,
                    service.uploads_folder(current_app.instance_path),
                    file.stream,
                    file.filename,
                    current_app.config["UPLOAD_MAX_BYTES"],
                    utcnow(),
                )
                record(
                    db.session, current_user, "upload.create", upload, None,
                    {"filename": upload.filename, "size": upload.size_bytes},
                )  # fmt: skip
        except service.ContentError as error:
            show_error(form, error)
        else:
            flash(_("The image is uploaded."), "success")
            return redirect(url_for(".images"))
    uploads = db.session.scalars(sa.select(Upload).order_by(Upload.created_at.desc())).all()
    status = 400 if form.errors else 200
    return render_template("content/admin/images.html", form=form, uploads=uploads), status


# Bio, talks, testimonials ----------------------------------------------------------------


@bp.route("/bio")
@owner_only
def bio():
    """The bio in each language, the talks and the testimonials."""
    profiles = {profile.lang: profile for profile in db.session.scalars(sa.select(Profile)).all()}
    talks = service.all_talks(db.session)
    testimonials = db.session.scalars(
        sa.select(Testimonial).order_by(Testimonial.position, Testimonial.id)
    ).all()
    return render_template(
        "content/admin/bio.html",
        profiles=profiles,
        langs=LANGS,
        talks=talks,
        testimonials=testimonials,
        action=ActionForm(),
    )


@bp.route("/bio/<any(fr,en):bio_lang>", methods=["GET", "POST"])
@owner_only
def edit_profile(bio_lang):
    """Edit the bio in one language."""
    profile = service.profile_for(db.session, bio_lang) or Profile(lang=bio_lang)
    form = ProfileForm(obj=None if request.method == "POST" else profile)
    if request.method == "GET":
        form.long_bio.data = profile.long_bio_md
        form.photo.data = profile.photo or ""
    form.photo.choices = image_choices()
    if form.validate_on_submit():
        with write(db.session):
            before = profile_snapshot(profile) if profile.id else None
            profile.name = form.name.data.strip()
            profile.headline = form.headline.data.strip()
            profile.short_bio = form.short_bio.data.strip()
            profile.long_bio_md = form.long_bio.data
            profile.long_bio_html = render_markdown(form.long_bio.data)
            profile.topics = form.topics.data.strip()
            profile.photo = form.photo.data or None
            profile.updated_at = utcnow()
            db.session.add(profile)
            db.session.flush()
            record(
                db.session, current_user, "bio.update", profile, before, profile_snapshot(profile)
            )
        flash(_("The bio is saved."), "success")
        return redirect(url_for(".bio"))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/form.html",
        form=form,
        heading=_("Bio (%(lang)s)", lang=bio_lang.upper()),
        back=url_for(".bio"),
    ), status


def profile_snapshot(profile):
    return {"lang": profile.lang, "name": profile.name, "photo": profile.photo}


def edit_simple(item, form_class, action, heading):
    """Create or change a talk or a testimonial."""
    form = form_class(obj=item)
    if form.validate_on_submit():
        with write(db.session):
            before = snapshot(item) if item.id else None
            form.populate_obj(item)
            db.session.add(item)
            db.session.flush()
            record(db.session, current_user, action, item, before, snapshot(item))
        flash(_("Saved."), "success")
        return redirect(url_for(".bio"))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/form.html", form=form, heading=heading, back=url_for(".bio")
    ), status


def snapshot(item):
    return {column.key: str(getattr(item, column.key)) for column in sa.inspect(type(item)).columns}


def delete_simple(item, action):
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(db.session):
        record(db.session, current_user, action, item, snapshot(item), None)
        db.session.delete(item)
    flash(_("Deleted."), "success")
    return redirect(url_for(".bio"))


@bp.route("/talks/new", methods=["GET", "POST"])
@owner_only
def new_talk():
    """Add a talk."""
    return edit_simple(Talk(), TalkForm, "talk.create", _("New talk"))


@bp.route("/talks/<int:talk_id>", methods=["GET", "POST"])
@owner_only
def edit_talk(talk_id):
    """Change a talk."""
    return edit_simple(db.get_or_404(Talk, talk_id), TalkForm, "talk.update", _("Talk"))


@bp.route("/talks/<int:talk_id>/delete", methods=["POST"])
@owner_only
def delete_talk(talk_id):
    """Remove a talk from the list."""
    return delete_simple(db.get_or_404(Talk, talk_id), "talk.delete")


@bp.route("/testimonials/new", methods=["GET", "POST"])
@owner_only
def new_testimonial():
    """Add a testimonial."""
    return edit_simple(Testimonial(), TestimonialForm, "testimonial.create", _("New testimonial"))


@bp.route("/testimonials/<int:testimonial_id>", methods=["GET", "POST"])
@owner_only
def edit_testimonial(testimonial_id):
    """Change a testimonial."""
    item = db.get_or_404(Testimonial, testimonial_id)
    return edit_simple(item, TestimonialForm, "testimonial.update", _("Testimonial"))


@bp.route("/testimonials/<int:testimonial_id>/delete", methods=["POST"])
@owner_only
def delete_testimonial(testimonial_id):
    """Remove a testimonial."""
    return delete_simple(db.get_or_404(Testimonial, testimonial_id), "testimonial.delete")


# Inquiries -------------------------------------------------------------------------------


@bp.route("/inquiries")
@owner_only
def inquiries():
    """Speaking inquiries, newest first, new ones marked."""
    rows = db.session.scalars(
        sa.select(SpeakingInquiry).order_by(
            SpeakingInquiry.created_at.desc(), SpeakingInquiry.id.desc()
        )
    ).all()
    return render_template(
        "content/admin/inquiries.html", inquiries=rows, zone=zone(), zone_name=zone().key
    )


@bp.route("/inquiries/<int:inquiry_id>", methods=["GET", "POST"])
@owner_only
def inquiry(inquiry_id):
    """One inquiry; mark it answered or declined."""
    item = db.get_or_404(SpeakingInquiry, inquiry_id)
    form = InquiryStatusForm(obj=item)
    if form.validate_on_submit():
        with write(db.session):
            before = {"status": item.status}
            service.set_inquiry_status(item, form.status.data, utcnow())
            record(
                db.session, current_user, "inquiry.status", item, before, {"status": item.status}
            )
        flash(_("The inquiry is marked “%(status)s”.", status=status_label(item.status)), "success")
        return redirect(url_for(".inquiries"))
    status = 400 if form.errors else 200
    return render_template(
        "content/admin/inquiry.html",
        inquiry=item,
        form=form,
        zone=zone(),
        zone_name=zone().key,
        status_label=status_label,
        budget_label=budget_labels()[item.budget_range],
    ), status


def status_label(status):
    return {NEW: _("New"), ANSWERED: _("Answered"), DECLINED: _("Declined")}[status]
