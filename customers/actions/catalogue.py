"""The service catalogue and the services provisioned to customers.

Provider administrators (``manage_catalogue``) define services and their plans. Services are
provisioned to a customer by whoever manages services one level up (``manage_services`` on
the parent, as lifecycle decisions are): a reseller cannot give itself services, and it can
offer only the services and plans it holds itself, within the seats it was given
(``check_service_allocation``). Each change that the directory must follow records a job.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.actors import SYSTEM, recorded_user, save_recorded
from core.jobs import JobKind, request_job
from core.models import Job
from core.registry import Admission, check_admission
from core.scoping import has_permission, ranges_for
from customers.actions.limits import check_service_allocation, subscription_usage
from customers.actions.organisations import make_reseller
from customers.models import (
    CustomerService,
    Organisation,
    Plan,
    Role,
    Service,
    ServiceType,
    Status,
    SubscriptionStatus,
    User,
    UserService,
)
from customers.models.organisation import CLOSED_STATES

# Services of a customer in one of these states are built in AD at once; a draft customer's
# services are built when the customer itself is provisioned.
DIRECTORY_STATES = {Status.PROVISIONING, Status.ACTIVE, Status.SUSPENDED}
HELD = [SubscriptionStatus.PROVISIONING, SubscriptionStatus.ACTIVE, SubscriptionStatus.FAILED]


# --- The catalogue ------------------------------------------------------------------------


def may_manage_catalogue(user: User) -> bool:
    """Only provider administrators hold ``manage_catalogue`` (on the root)."""
    return bool(ranges_for(user, "manage_catalogue"))


def require_catalogue(actor: Any) -> None:
    if not may_manage_catalogue(actor):
        raise PermissionDenied(_("Only provider administrators configure the service catalogue."))


@transaction.atomic
def save_service(*, actor: Any, service: Service) -> Service:
    """Create or edit a catalogue service (the instance comes validated from a form).

    A service's type decides what it does in the directory, so it is fixed once any customer
    has the service.
    """
    require_catalogue(actor)
    if service.pk is not None:
        before = Service.objects.select_for_update().get(pk=service.pk)
        if before.service_type != service.service_type and before.subscriptions.exists():
            raise ValidationError(
                {"service_type": _("Customers have this service: its type cannot change.")}
            )
    return save_recorded(service, actor=actor)


@transaction.atomic
def save_plan(*, actor: Any, plan: Plan) -> Plan:
    """Create or edit a plan. A lower user limit may not go below what customers use."""
    require_catalogue(actor)
    plan._history_user = recorded_user(actor)
    plan.full_clean()
    if plan.pk is not None and plan.user_limit is not None:
        for subscription in plan.subscriptions.select_related("plan"):
            used = subscription.assignments.count()
            if used > plan.user_limit:
                raise ValidationError(
                    {
                        "user_limit": _("%(name)s already has %(used)s users on this plan.")
                        % {"name": subscription.organisation.name, "used": used}
                    }
                )
    plan.save()
    return plan


@transaction.atomic
def add_service_role(
    *, actor: Any, service: Service, name: str, description: str, permissions
) -> Role:
    """A service security role (VPN Admin): grantable only where the service is provisioned."""
    require_catalogue(actor)
    role = Role(name=name, description=description, service=service)
    role.full_clean()
    role.save()
    role.permissions.set(permissions)
    return role


# --- What a customer may be given ---------------------------------------------------------


def offered_plans(organisation: Organisation) -> QuerySet[Plan]:
    """Plans ``organisation`` may be given: the provider's active catalogue for its direct
    customers, or else exactly the plans its reseller holds itself."""
    parent = organisation.parent
    plans = Plan.objects.select_related("service").filter(service__is_active=True)
    if parent is None:
        return plans.none()
    if parent.is_provider:
        return plans
    held = CustomerService.objects.filter(organisation=parent, status__in=HELD)
    return plans.filter(pk__in=held.values("plan"))


def may_manage_services_of(actor: Any, organisation: Organisation) -> bool:
    """Services are decided one level up: a reseller cannot give itself services."""
    if actor is SYSTEM:
        return True
    parent = organisation.parent
    return parent is not None and has_permission(actor, "manage_services", parent)


def _require_manage(actor: Any, organisation: Organisation) -> None:
    if not may_manage_services_of(actor, organisation):
        raise PermissionDenied(_("You may not change the services of this organisation."))


def _enqueue(kind: str, actor, subscription: CustomerService, **payload) -> Job | None:
    organisation = subscription.organisation
    if organisation.status not in DIRECTORY_STATES:
        return None
    return request_job(
        kind=kind,
        organisation=organisation,
        actor=actor,
        payload={"subscription": subscription.pk, **payload},
        target_label=f"{subscription.service.name} for {organisation.name}",
    )


def _check_seats(subscription: CustomerService | None, user_limit: int | None) -> None:
    if user_limit is None or subscription is None:
        return
    used = subscription_usage(subscription).used
    if user_limit < used:
        raise ValidationError(
            {"user_limit": _("It already uses %(used)s seats; set at least that.") % {"used": used}}
        )


@transaction.atomic
def provision_service(
    *,
    actor: Any,
    organisation: Organisation,
    plan: Plan,
    user_limit: int | None = None,
) -> tuple[CustomerService, Job | None]:
    """Give ``organisation`` the plan's service; a job builds it in the directory.

    The Reseller service makes the customer a reseller at once (it has no directory part).
    """
    _require_manage(actor, organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.status in CLOSED_STATES:
        raise ValidationError(_("This customer is being removed: it cannot get new services."))
    check_admission(Admission(Admission.SUBSCRIPTION, organisation))
    if not offered_plans(organisation).filter(pk=plan.pk).exists():
        raise ValidationError(
            {
                "plan": _("%(plan)s is not available to %(name)s.")
                % {"plan": plan, "name": organisation.name}
            }
        )
    service = plan.service
    if CustomerService.objects.filter(organisation=organisation, service=service).exists():
        raise ValidationError(
            {
                "plan": _("%(name)s already has %(name2)s.")
                % {"name": organisation.name, "name2": service.name}
            }
        )
    check_service_allocation(organisation, service.pk, user_limit)
    subscription = CustomerService(
        organisation=organisation, service=service, plan=plan, user_limit=user_limit
    )
    subscription._history_user = recorded_user(actor)
    subscription.save()
    if service.service_type == ServiceType.RESELLER:
        # Permission was checked above (one level up); this grants the reseller's powers.
        make_reseller(actor=SYSTEM, organisation=organisation)
    job = _enqueue(JobKind.PROVISION_SERVICE, actor, subscription)
    return subscription, job


@transaction.atomic
def change_plan(
    *,
    actor: Any,
    subscription: CustomerService,
    plan: Plan,
    user_limit: int | None,
) -> Job | None:
    """Move a customer to another plan of the same service, or change its seats.

    The job re-applies the service to the customer and its users (plan settings such as a
    home-folder template may differ).
    """
    organisation = subscription.organisation
    _require_manage(actor, organisation)
    locked = CustomerService.objects.select_for_update().get(pk=subscription.pk)
    if plan.service_id != locked.service_id:
        raise ValidationError({"plan": _("Choose a plan of the same service.")})
    if plan.pk != locked.plan_id and not offered_plans(organisation).filter(pk=plan.pk).exists():
        raise ValidationError(
            {
                "plan": _("%(plan)s is not available to %(name)s.")
                % {"plan": plan, "name": organisation.name}
            }
        )
    if locked.status == SubscriptionStatus.DEPROVISIONING:
        raise ValidationError(_("This service is being removed."))
    check_service_allocation(organisation, locked.service_id, user_limit)
    _check_seats(locked, user_limit)
    used = locked.assignments.count()
    if plan.user_limit is not None and used > plan.user_limit:
        raise ValidationError(
            {
                "plan": _("%(used)s users have it; %(plan)s allows %(user_limit)s.")
                % {"used": used, "plan": plan, "user_limit": plan.user_limit}
            }
        )
    settings_changed = plan.settings != locked.plan.settings
    locked.plan, locked.user_limit = plan, user_limit
    locked._history_user = recorded_user(actor)
    locked.save(update_fields=["plan", "user_limit"])
    if settings_changed:
        return _enqueue(JobKind.PROVISION_SERVICE, actor, locked)
    return None


@transaction.atomic
def deprovision_service(
    *, actor: Any, subscription: CustomerService, confirm: bool = False
) -> Job | None:
    """Take a service away from a customer: members removed, then its group deleted.

    Refused while users have the service unless ``confirm``; always refused while the
    customer's own customers still have it (a reseller's pool) or, for the Reseller service,
    while it still has customers.
    """
    organisation = subscription.organisation
    _require_manage(actor, organisation)
    locked = (
        CustomerService.objects.select_for_update()
        .select_related("service", "organisation")
        .get(pk=subscription.pk)
    )
    service = locked.service
    if service.service_type == ServiceType.DIRECTORY_ACCOUNT and organisation.users.exists():
        raise ValidationError(_("Every user has a directory account: delete the users first."))
    if CustomerService.objects.filter(organisation__parent=organisation, service=service).exists():
        raise ValidationError(
            _("Take %(name)s from this reseller's customers first.") % {"name": service.name}
        )
    if (
        service.service_type == ServiceType.RESELLER
        and organisation.get_children().exclude(status=Status.DELETED).exists()
    ):
        raise ValidationError(_("This reseller still has customers."))
    holders = list(locked.assignments.values_list("user_id", flat=True))
    if holders and not confirm:
        raise ValidationError(
            _("%(len)s users have %(name)s. Confirm to take it from them.")
            % {"len": len(holders), "name": service.name},
            code="confirm",
        )
    UserService.objects.filter(subscription=locked).delete()
    if service.service_type == ServiceType.RESELLER:
        organisation.is_reseller = False
        organisation.save(update_fields=["is_reseller", "updated"])
    job = _enqueue(JobKind.DEPROVISION_SERVICE, actor, locked, user_ids=holders)
    if job is None:  # never reached the directory: nothing to undo there
        locked.delete()
        return None
    locked.status = SubscriptionStatus.DEPROVISIONING
    locked._history_user = recorded_user(actor)
    locked.save(update_fields=["status"])
    return job


@transaction.atomic
def provision_pending_services(*, actor: Any, organisation: Organisation) -> list[Job]:
    """Record the jobs for services given to a customer while it was a draft.

    Call after the customer's own provisioning job is recorded (same lock: it runs first).
    """
    if organisation.status not in DIRECTORY_STATES:
        return []
    pending = CustomerService.objects.filter(
        organisation=organisation, status=SubscriptionStatus.PROVISIONING
    ).select_related("service", "organisation")
    already = set(
        Job.objects.filter(organisation=organisation, kind=JobKind.PROVISION_SERVICE).values_list(
            "payload__subscription", flat=True
        )
    )
    return [
        _enqueue(JobKind.PROVISION_SERVICE, actor, subscription)
        for subscription in pending
        if subscription.pk not in already
    ]


def give_reseller_service(*, actor: Any, organisation: Organisation):
    """A customer becomes a reseller by being given the Reseller service."""
    plan = offered_plans(organisation).filter(service__service_type=ServiceType.RESELLER).first()
    if plan is None:
        raise ValidationError(
            _("The Reseller service is not available to %(name)s: its reseller does not hold it.")
            % {"name": organisation.name}
        )
    return provision_service(actor=actor, organisation=organisation, plan=plan)
