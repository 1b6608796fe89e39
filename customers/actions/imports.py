"""Bulk import, the writes: keep a validated upload, then import it in bulk.

Reading and validating rows is in ``customers.actions.import_rows``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from celery import current_app
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import OperationalError as KombuOperationalError

from core.actors import SYSTEM, recorded_user
from core.credentials import decrypt_secret, encrypt_secret
from core.jobs import JobKind, request_job
from core.models import Job
from core.registry import Admission, check_admission
from core.scoping import require_permission
from customers.actions import webhooks
from customers.actions.assignments import take_service_seats
from customers.actions.catalogue import DIRECTORY_STATES, HELD
from customers.actions.import_rows import (
    EXPIRES_AFTER,
    read_rows,
    validate_rows,
)
from customers.actions.limits import lock_organisation, user_usage
from customers.actions.roles import grant_role
from customers.actions.users import _admin_role, user_event
from customers.models import (
    CustomerService,
    ImportState,
    Organisation,
    OrganisationUserObjectPermission,
    Role,
    RoleGrant,
    ServiceType,
    User,
    UserImport,
    UserService,
    WebhookEvent,
)

IMPORT_DENIED = gettext_lazy("You may not create users here.")
IMPORT_TASK = "customers.import_users"
logger = logging.getLogger("customers.imports")

# Imported users' portal passwords are hashed by the import job with fewer PBKDF2 rounds than
# Django's default (1,000,000 rounds take 0.5-1 s: 10,000 users would take hours). Django
# re-hashes with the full count at the user's first sign-in (``must_update``), so the weaker
# hash lives only until then. A trade-off: raise it if imports are small.
IMPORT_HASH_ITERATIONS = 5_000


def expire_uploads() -> int:
    """Erase the rows of uploads nobody imported within ``EXPIRES_AFTER``."""
    return UserImport.objects.filter(
        state=ImportState.VALIDATED, created__lt=timezone.now() - EXPIRES_AFTER
    ).delete()[0]


@transaction.atomic
def check_upload(*, actor: Any, organisation: Organisation, upload, filename: str) -> UserImport:
    """Read and validate a file; keep its valid rows (encrypted) for the import."""
    require_permission(actor, "add_users", organisation, IMPORT_DENIED)
    if organisation.status not in DIRECTORY_STATES:
        raise ValidationError(_("Provision the customer before importing users."))
    expire_uploads()
    rows = read_rows(upload, filename)
    valid, errors = validate_rows(actor, organisation, rows)
    return UserImport.objects.create(
        organisation=organisation,
        created_by=recorded_user(actor),
        filename=filename[:255],
        rows_total=len(rows),
        rows_valid=len(valid),
        errors=[error.as_dict() for error in errors],
        rows=encrypt_secret(json.dumps(valid)) if valid else "",
    )


def _refusal(locked: UserImport, only_valid: bool) -> str | None:
    """Why this upload cannot be imported as asked (None: it can)."""
    if locked.state != ImportState.VALIDATED or not locked.rows:
        return _("This upload was imported already or has expired: upload it again.")
    if locked.errors and not only_valid:
        return _("The file has errors: correct them, or import only the valid rows.")
    if any(error["row"] is None for error in locked.errors):
        return _("The valid rows need more users or seats than are left.")
    return None


def send_import_message(user_import_id: int) -> None:
    """After commit; if the broker cannot take it, ``requeue_stale_imports`` sends it again."""
    try:
        current_app.send_task(IMPORT_TASK, args=[user_import_id])
    except (OSError, KombuOperationalError):
        logger.warning("import %s: the broker did not take its message; beat will", user_import_id)


@transaction.atomic
def queue_import(*, actor: Any, user_import: UserImport, only_valid: bool = False) -> UserImport:
    """Ask a worker to import a checked upload (``import_queued``), so that creating
    thousands of users never runs inside the person's request. What can be refused at once
    is refused here; the rest (a limit reached meanwhile) is recorded on the upload."""
    require_permission(actor, "add_users", user_import.organisation, IMPORT_DENIED)
    locked = UserImport.objects.select_for_update().get(pk=user_import.pk)
    refusal = _refusal(locked, only_valid)
    if refusal:
        raise ValidationError(refusal)
    locked.state, locked.only_valid, locked.failure = ImportState.QUEUED, only_valid, ""
    locked.queued_by, locked.queued_at = recorded_user(actor), timezone.now()
    locked.save(update_fields=["state", "only_valid", "failure", "queued_by", "queued_at"])
    transaction.on_commit(lambda: send_import_message(locked.pk))
    return locked


def import_queued(user_import_id: int) -> Job | None:
    """The worker's half of ``queue_import``: ``run_import`` as the person who asked. A
    refusal (their rights or a limit changed meanwhile) is kept on the upload for them to
    read, and the upload can be imported again; nothing of it is half-done."""
    with transaction.atomic():
        locked = (
            UserImport.objects.select_for_update(of=("self",))
            .select_related("organisation", "queued_by")
            .filter(pk=user_import_id, state=ImportState.QUEUED)
            .first()
        )
        if locked is None:
            return None  # imported already, or a message sent twice
        locked.state = ImportState.VALIDATED
        locked.save(update_fields=["state"])
        actor = locked.queued_by or SYSTEM
        try:
            return run_import(actor=actor, user_import=locked, only_valid=locked.only_valid)
        except (ValidationError, PermissionDenied) as refused:
            messages = getattr(refused, "messages", None) or [str(refused)]
            locked.failure = " ".join(messages)
            locked.save(update_fields=["failure"])
            return None


def requeue_stale_imports(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send again the message of every import still queued after ``older_than`` (the broker
    lost it, or no worker ran): the same sweep the job engine makes for its jobs."""
    stale = list(
        UserImport.objects.filter(
            state=ImportState.QUEUED, queued_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        send_import_message(pk)
    return len(stale)


def _as_read(row: dict) -> tuple[int, dict[str, str]]:
    """A stored (normalised) row back in the shape ``validate_rows`` reads."""
    return row["row"], {
        **{k: row[k] for k in ("upn", "username", "first_name", "last_name", "email")},
        "display_name": row["display_name"],
        "password": row["password"],
        "must_change_password": "yes" if row["must_change_password"] else "no",
        "administrator": "yes" if row["administrator"] else "no",
        "services": ";".join(row["services"]),
    }


def _grant_plain_role(users: list[User], organisation: Organisation, role: Role) -> None:
    """``grant_role`` for many new users at once: the grant rows and their permissions."""
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=u, organisation=organisation, role=role) for u in users], batch_size=2000
    )
    permissions = list(role.permissions.all())
    OrganisationUserObjectPermission.objects.bulk_create(
        [
            OrganisationUserObjectPermission(user=u, permission=p, content_object=organisation)
            for u in users
            for p in permissions
        ],
        batch_size=2000,
    )


@transaction.atomic
def run_import(*, actor: Any, user_import: UserImport, only_valid: bool = False) -> Job:
    """Create the users of a checked upload, their roles and services; record the job.

    Refused while the file has errors, unless ``only_valid``; always refused when the valid
    rows need more users or seats than are left.
    """
    organisation = user_import.organisation
    require_permission(actor, "add_users", organisation, IMPORT_DENIED)
    locked = UserImport.objects.select_for_update().get(pk=user_import.pk)
    refusal = _refusal(locked, only_valid)
    if refusal:
        raise ValidationError(refusal)
    rows = json.loads(decrypt_secret(locked.rows))
    valid, errors = validate_rows(actor, organisation, [_as_read(row) for row in rows])
    if errors:
        raise ValidationError(
            _(
                "Something changed since the file was checked (a name was taken, a limit "
                "reached): upload it again to see what."
            )
        )
    organisation = lock_organisation(organisation)
    check_admission(Admission(Admission.USER, organisation, count=len(valid)))
    usage = user_usage(organisation)
    if usage.allowed is not None and usage.used + len(valid) > usage.allowed:
        raise ValidationError(
            _("%(name)s has reached its user limit (%(usage)s).")
            % {"name": organisation.name, "usage": usage}
        )
    if not organisation.users.exists():
        valid[0]["administrator"] = True  # the first user of a customer is an administrator
    users = [
        User(
            organisation=organisation,
            username=row["username"],
            upn=row["upn"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            display_name=row["display_name"],
            email=row["email"],
            must_change_password=row["must_change_password"],
            password=make_password(None),
        )
        for row in valid
    ]
    User.objects.bulk_create(users, batch_size=2000)
    plain = [u for u, row in zip(users, valid, strict=True) if not row["administrator"]]
    _grant_plain_role(plain, organisation, Role.objects.get(name="User"))
    admins = [u for u, row in zip(users, valid, strict=True) if row["administrator"]]
    if admins:
        role = _admin_role(SYSTEM, organisation)
        for user in admins:
            grant_role(actor=SYSTEM, user=user, organisation=organisation, role=role)
    _give_services(organisation, users, valid)
    webhooks.emit(WebhookEvent.USER_CREATED, organisation.pk, [user_event(u) for u in users])
    passwords = {str(u.pk): row["password"] for u, row in zip(users, valid, strict=True)}
    job = request_job(
        kind=JobKind.IMPORT_USERS,
        organisation=organisation,
        actor=actor,
        payload={"import": locked.pk, "user_ids": [u.pk for u in users]},
        secret=encrypt_secret(json.dumps(passwords)),
        target_label=f"{len(users)} users from {locked.filename}"[:300],
    )
    locked.state, locked.rows, locked.imported, locked.job = (
        ImportState.IMPORTED,
        "",
        len(users),
        job,
    )
    locked.save(update_fields=["state", "rows", "imported", "job"])
    return job


def _give_services(organisation: Organisation, users: list[User], rows: list[dict]) -> None:
    held = CustomerService.objects.filter(organisation=organisation, status__in=HELD)
    by_code = {s.service.code.upper(): s for s in held.select_related("service")}
    wanted: dict[int, list[User]] = defaultdict(list)
    for user, row in zip(users, rows, strict=True):
        for code in row["services"]:
            wanted[by_code[code].pk].append(user)
    for subscription in held.filter(service__service_type=ServiceType.DIRECTORY_ACCOUNT):
        wanted[subscription.pk] = list(users)
    for subscription in held.filter(pk__in=wanted).select_related("service", "plan"):
        take_service_seats(subscription, len(wanted[subscription.pk]))
        UserService.objects.bulk_create(
            [UserService(user=u, subscription=subscription) for u in wanted[subscription.pk]],
            batch_size=2000,
        )
        if subscription.service.service_type == ServiceType.MAIL_ATTRIBUTES:
            holders = [u.pk for u in wanted[subscription.pk]]
            User.objects.filter(pk__in=holders).update(email=F("upn"))


def hash_for_import(password: str) -> str:
    """A portal password hash that costs milliseconds; upgraded at the first sign-in."""
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=IMPORT_HASH_ITERATIONS)
    return make_password(password)


def set_imported_passwords(passwords: dict[int, str]) -> None:
    """Give imported users their portal passwords (called by the import job, in chunks)."""
    users = [User(pk=pk, password=hash_for_import(pw)) for pk, pw in passwords.items() if pw]
    User.objects.bulk_update(users, ["password"], batch_size=1000)
