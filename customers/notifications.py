"""The e-mails Canopy sends about people and their organisations: one function per notice.

Each renders ``templates/emails/<name>.txt`` and ``.html`` in the recipient's language (the
user's own choice when the user model has one, else their organisation's Default language,
inherited down the tree: ``Organisation.effective_language``) with the branding that
organisation's people see in the portal (``Organisation.effective_branding``: its own, or
its reseller's, or the provider's), and hands the result to ``core.mail.queue_email``: a
worker sends it after the caller's transaction commits. One message per recipient, so no
one sees another's address.

Which notices a user may turn off is ``customers.models.NoticeKind``; notices about their own
account (welcome, a password set by an administrator) always go.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.mail import queue_email
from customers.models import Audience, CustomerEmail, NoticeKind, Organisation, User

DEFAULT_BRAND = "Canopy"


def branding(organisation: Organisation | None) -> dict[str, str]:
    """Name, colour, logo URL and support e-mail of the theme ``organisation``'s people see;
    whatever ``effective_branding`` returns, under fixed names for the templates."""
    found: dict[str, Any] = organisation.effective_branding() if organisation else {}
    logo = found.get("logo_url") or ""
    if logo.startswith("/"):
        logo = portal_link(logo)  # a mail client has no portal to resolve it against
    return {
        "name": found.get("brand_name") or found.get("name") or DEFAULT_BRAND,
        "colour": found.get("brand_colour") or found.get("colour") or "",
        "logo_url": logo,
        "support_email": found.get("support_email") or "",
        "support_phone": found.get("support_phone") or "",
        "support_url": found.get("support_url") or "",
    }


def language_of(person: User | None, organisation: Organisation | None) -> str:
    """README's "Languages" order for an e-mail: the recipient's own choice, else their
    organisation's (inherited), else LANGUAGE_CODE (a mail has no browser to ask)."""
    if person is not None:
        chosen = person.effective_language()
    else:
        chosen = organisation.effective_language() if organisation is not None else ""
    return chosen or settings.LANGUAGE_CODE


def portal_link(path: str) -> str:
    return f"{settings.PORTAL_URL}{path}"


def _send(
    template: str,
    *,
    to: str,
    kind: str,
    organisation: Organisation | None,
    person: User | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    brand = branding(organisation)
    with translation.override(language_of(person, organisation)):
        values = {
            "brand": brand,
            "person": person,
            "organisation": organisation,
            "portal_url": settings.PORTAL_URL,
            **(context or {}),
        }
        subject = render_to_string(f"emails/{template}_subject.txt", values).strip()
        body = render_to_string(f"emails/{template}.txt", values)
        html = render_to_string(f"emails/{template}.html", values)
    queue_email(
        subject=subject,
        body=body,
        html=html,
        to=[to],
        reply_to=[brand["support_email"]] if brand["support_email"] else [],
        kind=kind,
    )


def set_password_path(person: User) -> str:
    """The one-time set-password link's path: Django's token generator, whose token stops
    working once the password changes (or the user signs in)."""
    return reverse(
        "set_password",
        args=[
            urlsafe_base64_encode(force_bytes(person.pk)),
            default_token_generator.make_token(person),
        ],
    )


def welcome(person: User) -> None:
    """A new user's welcome: their sign-in names and a one-time link to set their password
    (never a password). Always sent when the user has an address."""
    if not person.email:
        return
    _send(
        "welcome",
        to=person.email,
        kind="welcome",
        organisation=person.organisation,
        person=person,
        context={"set_password_url": portal_link(set_password_path(person))},
    )


def password_set_by_admin(person: User) -> None:
    """An administrator set this user's password: they are told (not the password), so a
    change they did not expect does not go unnoticed. Always sent."""
    if not person.email:
        return
    _send(
        "password_reset",
        to=person.email,
        kind="password_reset",
        organisation=person.organisation,
        person=person,
        context={"sign_in_url": portal_link(reverse("login"))},
    )


def job_failed(job: Any) -> None:
    """A job failed for good: its organisation's enabled administrators are told (those who
    did not turn it off), with the error and a link to the job's page."""
    organisation = job.organisation
    if organisation is None:
        return
    admins = organisation.users.filter(is_admin=True, is_active=True).exclude(email="")
    for admin in admins:
        if not admin.wants_email(NoticeKind.JOB_FAILED):
            continue
        _send(
            "job_failed",
            to=admin.email,
            kind=NoticeKind.JOB_FAILED,
            organisation=organisation,
            person=admin,
            context={
                "job": job,
                "job_url": portal_link(reverse("provisioning:job_detail", args=[job.pk])),
            },
        )


def recipients(
    organisation: Organisation, audience: Iterable[str]
) -> list[tuple[str, User | None]]:
    """Whom a Send E-Mail message to ``audience`` reaches: (address, user or None for a
    contact), each address once, without users who turned these messages off."""
    audience = set(audience)
    users = organisation.users.filter(is_active=True).exclude(email="").order_by("pk")
    if Audience.USERS not in audience:
        users = users.filter(is_admin=True) if Audience.ADMINS in audience else users.none()
    contacts = (
        organisation.contacts.exclude(email="").order_by("pk")
        if Audience.CONTACTS in audience
        else []
    )
    found: dict[str, tuple[str, User | None]] = {}
    for person in users:
        if person.wants_email(NoticeKind.CUSTOMER_EMAIL):
            found.setdefault(person.email.lower(), (person.email, person))
    for contact in contacts:
        found.setdefault(contact.email.lower(), (contact.email, None))
    return list(found.values())


def customer_email(record: CustomerEmail) -> int:
    """A Send E-Mail message: to each chosen user and contact, in the recipient's language
    and the customer's branding. Returns how many were queued."""
    organisation = record.organisation
    chosen = recipients(organisation, record.audience)
    for address, person in chosen:
        _send(
            "customer_email",
            to=address,
            kind=NoticeKind.CUSTOMER_EMAIL,
            organisation=organisation,
            person=person,
            context={"subject": record.subject, "message": record.body},
        )
    return len(chosen)
