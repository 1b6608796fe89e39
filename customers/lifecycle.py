"""The organisation lifecycle, as a table of allowed moves.

    draft -> provisioning -> active <-> suspended -> deprovisioning -> deprovisioned -> deleted
    provisioning / deprovisioning -> failed -> (retry) the same step again
    deleted -> deprovisioned (restore, within the retention period)

Suspend before deprovision, deprovision before delete: the seed products insist on both.
A draft never reached the directory, so it may be deprovisioned (a no-op) and deleted.
"""

from django.core.exceptions import ValidationError

from customers.models import Organisation, Status

ALLOWED_MOVES: dict[str, set[str]] = {
    Status.DRAFT: {Status.PROVISIONING, Status.DEPROVISIONED},
    Status.PROVISIONING: {Status.ACTIVE, Status.FAILED},
    Status.ACTIVE: {Status.SUSPENDED, Status.PROVISIONING},
    Status.SUSPENDED: {Status.ACTIVE, Status.DEPROVISIONING},
    Status.DEPROVISIONING: {Status.DEPROVISIONED, Status.FAILED},
    Status.DEPROVISIONED: {Status.DELETED, Status.PROVISIONING},
    Status.DELETED: {Status.DEPROVISIONED},
    Status.FAILED: {Status.PROVISIONING, Status.DEPROVISIONING, Status.ACTIVE, Status.SUSPENDED},
}

REFUSALS = {
    Status.DELETED: "Deprovision the customer before deleting it.",
    Status.DEPROVISIONING: "Suspend the customer before deprovisioning it.",
    Status.SUSPENDED: "Only an active customer can be suspended.",
}


def can_move(organisation: Organisation, target: str) -> bool:
    return target in ALLOWED_MOVES.get(organisation.status, set())


def move(organisation: Organisation, target: str) -> None:
    """Set the new status or raise a ValidationError that says what must happen first."""
    if not can_move(organisation, target):
        reason = REFUSALS.get(
            target,
            f"A {organisation.get_status_display().lower()} customer cannot become "
            f"{Status(target).label.lower()}.",
        )
        raise ValidationError(reason, code="lifecycle")
    organisation.status = target
