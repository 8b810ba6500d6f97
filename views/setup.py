"""The setup checklist: a school fills its own; districts and the region see every school's items as done,
due or overdue; the region admin keeps the deadlines."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from forms import EmptyForm
from forms.setup import COUNCIL_LABELS, DeadlineForm, SetupForm
from models.auth import ROLE_ADMIN, ROLE_SCHOOL
from models.directory import School
from models.setup import ITEMS, SetupDeadline
from services import DomainError, setup
from services.outreach import activity_summaries, confirmation_counts
from views.common import get_or_404, login_required, roles_required
from views.outreach import schools_page

bp = Blueprint("setup", __name__)


@bp.get("/setup")
@login_required
def index():
    if g.user.role == ROLE_SCHOOL:
        return school_checklist(g.user.school_id)
    listing = schools_page()
    return render_template("setup/index.html", status=setup.checklist_status([s.id for s in listing["schools"]]),
                           items=ITEMS, labels=setup.ITEM_LABELS, short=setup.ITEM_SHORT_LABELS,
                           deadlines=setup.deadlines(), **listing)


@bp.get("/setup/schools/<int:school_id>")
@login_required
def school_checklist(school_id):
    school = get_or_404(School, school_id)
    status = setup.checklist_status([school.id])[school.id]
    activities = activity_summaries([school.id]).get(school.id, (0, 0, None))
    return render_template("setup/school.html", school=school, status=status, items=ITEMS, labels=setup.ITEM_LABELS,
                           checklist=setup.setup_of(school), deadlines=setup.deadlines(), activities=activities,
                           confirmations=confirmation_counts([school.id]).get(school.id, 0),
                           council_labels=COUNCIL_LABELS)


@bp.route("/setup/edit", methods=["GET", "POST"])
@roles_required(ROLE_SCHOOL)
def edit():
    school = g.user.school
    form = SetupForm(data=SetupForm.initial(setup.setup_of(school)))
    if form.validate_on_submit():
        setup.save_setup(g.user, school, form.setup_data())
        flash(_("The checklist has been saved."), "success")
        return redirect(url_for("setup.index"))
    return render_template("setup/edit.html", form=form, school=school), 400 if form.errors else 200


# ---------------------------------------------------------------- deadlines


@bp.get("/setup/deadlines")
@login_required
def deadlines():
    return render_template("setup/deadlines.html", deadlines=setup.deadlines().values(), labels=setup.ITEM_LABELS,
                           today=setup.local_today())


def _save_deadline(deadline):
    form = DeadlineForm(obj=deadline)
    if form.validate_on_submit():
        try:
            setup.save_deadline(g.user, deadline, form.item.data, form.due_on.data, form.title_kk.data,
                                form.title_ru.data)
        except DomainError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("The deadline has been saved."), "success")
            return redirect(url_for("setup.deadlines"))
    return render_template("setup/deadline_form.html", form=form, deadline=deadline), 400 if form.errors else 200


@bp.route("/setup/deadlines/new", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def deadline_new():
    return _save_deadline(None)


@bp.route("/setup/deadlines/<int:deadline_id>/edit", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def deadline_edit(deadline_id):
    return _save_deadline(get_or_404(SetupDeadline, deadline_id))


@bp.post("/setup/deadlines/<int:deadline_id>/delete")
@roles_required(ROLE_ADMIN)
def deadline_delete(deadline_id):
    deadline = get_or_404(SetupDeadline, deadline_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    setup.delete_deadline(g.user, deadline)
    flash(_("The deadline has been deleted."), "success")
    return redirect(url_for("setup.deadlines"))
