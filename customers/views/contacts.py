"""Contacts (the Contact Details tab): add, edit, and delete after a confirmation."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.views import require, run_action, visible_or_404
from customers.actions.contacts import add_contact, delete_contact, update_contact
from customers.forms import ContactForm
from customers.models import Contact, Organisation
from customers.views.common import page_context


def _changing(request, pk: int, contact_pk: int) -> tuple[Organisation, Contact]:
    """The customer and its contact, for someone who may change the customer (else a 403)."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    contact = visible_or_404(
        request, Contact.objects.filter(organisation=organisation), pk=contact_pk
    )
    require(request, "change_organisation", organisation)
    return organisation, contact


def _saved(request, pk: int, form: ContactForm, save, done: str):
    """Add Contact and Edit: ``save`` the form's fields; back to the contacts when done."""
    return run_action(
        request,
        lambda: save(actor=request.user, **form.cleaned_data),
        form=form,
        success=lambda contact: done.format(name=contact.name),
        redirect_to=reverse("customers:contacts", args=[pk]),
    )


@login_required
def contact_list(request, pk: int):
    """The contacts, and (for those who may change the customer) the Add Contact form."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    form = None
    context = page_context(request, organisation, "contacts")
    if context["may"]["edit"]:
        form = ContactForm(request.POST or None)
    elif request.method == "POST":
        require(request, "change_organisation", organisation)
    response = form is not None and _saved(
        request,
        pk,
        form,
        partial(add_contact, organisation=organisation),
        _("Contact {name} added."),
    )
    if response:
        return response
    context.update({"contacts": list(organisation.contacts.all()), "form": form})
    return render(request, "customers/contacts.html", context)


@login_required
def contact_edit(request, pk: int, contact_pk: int):
    organisation, contact = _changing(request, pk, contact_pk)
    form = ContactForm(request.POST or None, instance=Contact.objects.get(pk=contact.pk))
    response = _saved(
        request, pk, form, partial(update_contact, contact=contact), _("Contact {name} saved.")
    )
    if response:
        return response
    context = page_context(request, organisation, "contacts")
    context.update({"form": form, "contact": contact})
    return render(request, "customers/contact_form.html", context)


@login_required
def contact_delete(request, pk: int, contact_pk: int):
    """GET asks "Yes, delete?"; POST deletes."""
    organisation, contact = _changing(request, pk, contact_pk)
    if request.method == "POST":
        delete_contact(actor=request.user, contact=contact)
        messages.success(request, _("Contact %(name)s deleted.") % {"name": contact.name})
        return redirect("customers:contacts", pk=pk)
    context = page_context(request, organisation, "contacts")
    context["contact"] = contact
    return render(request, "customers/contact_delete.html", context)
