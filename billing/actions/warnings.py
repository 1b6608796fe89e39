"""The unit warn level: one e-mail per crossing, and the banner's question.

The e-mail is queued on commit (``core.mail.queue_email``: a worker sends it, never the
request that debited), so a rolled-back debit sends nothing.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.actions.suspension import resume_if_paid
from billing.models import BillingAccount
from core.mail import queue_email


def recipients(account: BillingAccount) -> list[str]:
    """The organisation's billing contacts (its e-mail address, and contacts whose role
    names billing) and its enabled admins."""
    organisation = account.organisation
    addresses = [organisation.email] if organisation.email else []
    addresses += (
        organisation.contacts.filter(role__icontains="billing")
        .exclude(email="")
        .values_list("email", flat=True)
    )
    addresses += (
        organisation.users.filter(is_admin=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(addresses))


def _send_warning(account_id: int, balance: Decimal) -> None:
    """The e-mail names the balance that crossed the level, whatever happened since."""
    account = BillingAccount.objects.select_related("organisation").get(pk=account_id)
    to = recipients(account)
    if not to:
        return
    with translation.override(mail_language(account.organisation)):
        _send_warning_mail(account, balance, to)


def mail_language(organisation) -> str:
    """The language of a mail to an organisation's people: its Default language (inherited
    down the tree), else LANGUAGE_CODE (README "Languages")."""
    return organisation.effective_language() or settings.LANGUAGE_CODE


def _send_warning_mail(account: BillingAccount, balance: Decimal, to: list[str]) -> None:
    values = {
        "name": account.organisation.name,
        "balance": balance,
        "level": account.unit_warn_level,
        "cutoff": account.cutoff_balance,
    }
    subject = _("%(name)s: unit balance at %(balance)s") % values
    body = (
        _(
            "The unit balance of %(name)s is %(balance)s, at or below its unit warn level of "
            "%(level)s."
        )
        % values
    )
    if account.cutoff_balance is not None:
        body += " " + (
            _(
                "At or below the cutoff balance of %(cutoff)s no new users, services or seats "
                "can be added."
            )
            % values
        )
    queue_email(subject=subject, body=body, to=to, kind="unit_warn_level")


def after_balance_change(locked: BillingAccount, before: Decimal) -> None:
    """Inside the ledger write, the account row locked: mark a crossing of the warn level
    (the e-mail follows on commit) or clear the mark when the balance is back above it; note
    since when the balance is at or below the cutoff (the grace period counts from there),
    and after a top-up resume what billing suspended."""
    marks: dict[str, object] = {}
    level = locked.unit_warn_level
    if level is not None and locked.balance <= level and locked.warned_at is None:
        marks["warned_at"] = timezone.now()
        transaction.on_commit(partial(_send_warning, locked.pk, locked.balance))
    elif locked.warned_at is not None and (level is None or locked.balance > level):
        marks["warned_at"] = None
    cutoff = locked.cutoff_balance
    if cutoff is not None and locked.balance <= cutoff and locked.cut_off_since is None:
        marks["cut_off_since"] = timezone.now()
    elif locked.cut_off_since is not None and (cutoff is None or locked.balance > cutoff):
        marks["cut_off_since"] = None
        if locked.suspended_by_billing_at is not None:
            # After the commit, in a transaction of its own: the lifecycle locks the
            # organisation, which must never be taken after an account (create_user takes
            # the organisation first).
            transaction.on_commit(partial(resume_if_paid, locked.pk))
    if marks:
        for name, value in marks.items():
            setattr(locked, name, value)
        BillingAccount.objects.filter(pk=locked.pk).update(**marks)
