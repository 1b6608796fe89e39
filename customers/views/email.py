"""E-mail pages: a customer's Send E-Mail tab and one's own E-mail notices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.views import form_errors_from, require, visible_or_404
from customers.actions.email import recipient_count, send_customer_email, set_email_opt_outs
from customers.forms.email import EmailPreferencesForm, SendEmailForm
from customers.models import NoticeKind, Organisation
from customers.views.common import page_context


@login_required
def customer_send_email(request, pk: int):
    """Send E-Mail: subject and message to the customer's administrators, contacts or all
    its users. *Preview* shows the message and how many it reaches; *Send* queues it (a
    worker sends it) and records it in the customer's History."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    require(request, "change_organisation", organisation)
    form = SendEmailForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "send" in request.POST:
            try:
                record = send_customer_email(
                    actor=request.user,
                    organisation=organisation,
                    audience=data["audience"],
                    subject=data["subject"],
                    body=data["body"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Your message was queued for %(count)d recipient.",
                        "Your message was queued for %(count)d recipients.",
                        record.recipient_count,
                    )
                    % {"count": record.recipient_count},
                )
                return redirect("customers:send_email", pk=organisation.pk)
        else:
            preview = {
                "subject": data["subject"],
                "body": data["body"],
                "count": recipient_count(organisation, data["audience"]),
            }
    context = page_context(request, organisation, "send_email")
    context.update({"form": form, "preview": preview})
    return render(request, "customers/send_email.html", context)


@login_required
def my_email(request):
    """One's own e-mail notices: which optional ones to receive."""
    person = request.user
    wanted = [kind for kind in NoticeKind.values if kind not in (person.email_opt_outs or [])]
    form = EmailPreferencesForm(request.POST or None, initial={"wanted": wanted})
    if request.method == "POST" and form.is_valid():
        set_email_opt_outs(actor=person, person=person, wanted=form.cleaned_data["wanted"])
        messages.success(request, _("Your e-mail choices were saved."))
        return redirect("users:my_email")
    return render(request, "users/my_email.html", {"form": form, "address": person.email})
