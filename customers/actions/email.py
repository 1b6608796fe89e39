"""E-mail a person asks for: Send E-Mail to a customer's people, one's own notice choices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.actors import recorded_user
from core.scoping import require_permission
from customers import notifications
from customers.models import Audience, CustomerEmail, NoticeKind, Organisation, User

SEND_DENIED = "You may not send e-mail to this customer's people."


def recipient_count(organisation: Organisation, audience: Iterable[str]) -> int:
    """How many addresses a message to ``audience`` reaches (the preview says it)."""
    return len(notifications.recipients(organisation, audience))


@transaction.atomic
def send_customer_email(
    *, actor: Any, organisation: Organisation, audience: Iterable[str], subject: str, body: str
) -> CustomerEmail:
    """Send E-Mail: record the message with its text (the customer's History shows it) and
    queue one e-mail per recipient; a worker sends them after the commit."""
    require_permission(actor, "change_organisation", organisation, SEND_DENIED)
    audience = sorted(set(audience))
    if not audience or set(audience) - set(Audience.values):
        raise ValidationError({"audience": "Choose who receives the message."})
    record = CustomerEmail(
        organisation=organisation,
        audience=audience,
        subject=subject,
        body=body,
        sent_by=recorded_user(actor),
    )
    record.full_clean()
    # Queued now, sent after the commit: a refusal below rolls the messages back too.
    record.recipient_count = notifications.customer_email(record)
    if not record.recipient_count:
        raise ValidationError({"audience": "None of these recipients has an e-mail address."})
    record._history_user = recorded_user(actor)
    record.save()
    return record


@transaction.atomic
def set_email_opt_outs(*, actor: Any, person: User, wanted: Iterable[str]) -> User:
    """A user's own choice of optional notices: everything not ``wanted`` is turned off."""
    if actor.pk != person.pk:
        raise ValidationError("Only the user chooses their own e-mail.")
    wanted = set(wanted)
    person.email_opt_outs = sorted(kind for kind in NoticeKind.values if kind not in wanted)
    person.save(update_fields=["email_opt_outs"])
    return person
