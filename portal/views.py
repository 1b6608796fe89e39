"""The portal shell: dashboard, the context switcher, the sign-in code and the password
change page."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from billing.reports.usage import month_summary
from core.counting import bounded_count, bounded_counts
from core.models import DriftReport, Job, JobState
from core.scoping import within
from core.views import form_errors_from
from customers.actions import users as user_actions
from customers.actions.two_factor import check_code, has_two_factor, recovery_codes_left
from customers.forms.two_factor import CodeForm
from customers.models import Organisation, Status, User
from customers.tables import with_drift
from portal.middleware import ACTING_SESSION_KEY, remember_two_factor

DRIFT_LISTED = 10


@login_required
def dashboard(request):
    """Counts that matter to the user's role, inside the organisation they act in."""
    user = request.user
    acting = request.acting_organisation
    organisations = Organisation.objects.restrict(user, "view")
    if acting is not None:
        organisations = organisations.filter(within(acting))
    # Exact while small, "about" past COUNT_EXACT_UP_TO: a provider's dashboard must not
    # read 100,000 organisations and 1,000,000 users on every visit.
    counts = bounded_counts(
        organisations,
        resellers=Q(is_reseller=True),
        active=Q(status=Status.ACTIVE),
        suspended=Q(status=Status.SUSPENDED),
        failed=Q(status=Status.FAILED),
    )
    # People of deleted organisations hold no seat: left out here as in every Users header.
    users = User.objects.restrict(user, "view").exclude(organisation__status=Status.DELETED)
    jobs = Job.objects.restrict(user, "view")
    if acting is not None:
        users = users.filter(within(acting, "organisation__"))
        jobs = jobs.filter(within(acting, "organisation__"))
    job_counts = bounded_counts(
        jobs,
        running=Q(state__in=[JobState.QUEUED, JobState.RUNNING]),
        failed=Q(state=JobState.FAILED),
    )
    context = {
        "counts": counts,
        "user_count": bounded_count(users),
        "job_counts": job_counts,
        "recent_jobs": jobs.select_related("organisation")[:8],
        # Customers whose latest directory check left differences (one query, lazy: only
        # for people who see jobs).
        # Only organisations with any report that left differences are looked at (a few,
        # found by the report's index), not every organisation in scope (100,000 for the
        # provider, read in full to find none).
        "drifted": with_drift(
            organisations.filter(
                directory_guid__isnull=False,
                pk__in=DriftReport.objects.filter(remaining__gt=0).values("organisation_id"),
            )
        )
        .filter(drift_remaining__gt=0)
        .only("pk", "name", "code")
        .order_by("name")[:DRIFT_LISTED],
        # An end user's own page: lazy, so the admins' dashboards never run these queries.
        "held_services": user.services.select_related(
            "subscription__service", "subscription__plan"
        ).order_by("subscription__service__name"),
        "account_pending": Job.objects.filter(
            user=user, state__in=[JobState.QUEUED, JobState.RUNNING]
        ),
        # Seats per service this month, from the daily rollup (two queries, none for people
        # who do not see billing).
        "usage_summary": month_summary(user, acting, timezone.localdate()),
    }
    return render(request, "portal/dashboard.html", context)


@login_required
@require_POST
def switch_context(request):
    """Act inside another visible organisation (or back in one's own, with an empty value)."""
    chosen = request.POST.get("organisation", "")
    if chosen:
        if not chosen.isdigit():
            raise Http404
        target = Organisation.objects.restrict(request.user, "view").filter(pk=chosen).first()
        if target is None:
            raise Http404
        request.session[ACTING_SESSION_KEY] = target.pk
    else:
        request.session.pop(ACTING_SESSION_KEY, None)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "dashboard"
    return redirect(next_url)


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's password change form, checked by the one password-change action.

    The action (``user_actions.change_own_password``) applies the organisation's policy and the
    portal's floor and requests the job that sets the same password in the directory; the
    form only checks the current password and that both new ones match.
    """

    def validate_password_for_user(self, user, *args, **kwargs):
        """The action checks the policy, with every problem at once; not twice."""


class OwnPasswordChangeView(auth_views.PasswordChangeView):
    """``/password/``: the same change as *Change my password*, for every signed-in user.

    Django's own view would set the portal's password alone: no organisation policy and no
    directory job, so portal and directory passwords would drift apart.
    """

    form_class = OwnPasswordChangeForm

    def form_valid(self, form):
        try:
            user_actions.change_own_password(
                person=self.request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            fields = {"password": "new_password2", "old_password": "old_password"}
            for field, problems in error.message_dict.items():
                form.add_error(fields.get(field), problems)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return HttpResponseRedirect(self.get_success_url())


def _linked_user(uidb64: str, token: str) -> User | None:
    """The user a set-password link names, while its token is still good."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    person = User.objects.filter(pk=pk, is_active=True).select_related("organisation").first()
    if person is None or not default_token_generator.check_token(person, token):
        return None
    return person


def set_password(request, uidb64: str, token: str):
    """The welcome e-mail's one-time link: a new user sets their password (portal and
    directory, as a change of their own). The token stops working once the password is set
    or the user has signed in, so the link works once."""
    person = _linked_user(uidb64, token)
    if person is None:
        return render(request, "registration/set_password.html", {"invalid": True}, status=400)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_actions.set_password_from_link(
                person=person, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            for problems in error.message_dict.values():
                form.add_error("new_password2", problems)
        else:
            messages.success(request, _("Your password is set. Sign in with it."))
            return redirect("login")
    return render(request, "registration/set_password.html", {"form": form, "person": person})


def _next_url(request) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return reverse("dashboard")
    return next_url


@login_required
def two_factor_verify(request):
    """The second step of signing in: a code from the app, or a recovery code.

    TwoFactorMiddleware sends every page here until the session has given a code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not has_two_factor(user):
        # Reset by an administrator since this session began: work out again what is owed
        # (the middleware then sends a user who must use it to set up a new app).
        remember_two_factor(request, user)
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = check_code(user, form.cleaned_data["code"])
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            # A new session key for the stronger sign-in, as login() does for the password.
            request.session.cycle_key()
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(left)d are left. Make new ones "
                        "under Two-factor sign-in."
                    )
                    % {"left": recovery_codes_left(user)},
                )
            return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
    )
