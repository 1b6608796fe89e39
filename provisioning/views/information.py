"""A customer's Information tab: its recent jobs, its related resources, and the directory
objects Canopy made for it with their objectGUIDs.

Nothing here talks to the directory: a page must not wait on an LDAP server. The GUIDs are
the ones the engine anchored when it made each object (``Organisation.directory_guid``,
``DirectoryObject`` rows, ``User.directory_guid``, ``CustomerService.directory_guid``); the
DNs are where the house layout puts each object (``job_plans.layout``). *Check directory*
runs a job that compares them with the directory itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Job
from core.scoping import has_permission
from core.views import visible_or_404
from customers.models import Organisation
from customers.views.common import page_context
from provisioning.engine.connection import DirectoryNotConfigured, directory_config
from provisioning.job_plans import layout
from provisioning.models import DirectoryObject

RECENT_JOBS = 10
ACCOUNTS_SHOWN = 50


@dataclass
class DirectoryRow:
    """One AD object of the customer, and the portal object it belongs to."""

    kind: str
    name: str
    guid: object
    dn: str
    link: str = ""
    link_label: str = ""


def _directory_rows(organisation: Organisation, subscriptions, accounts, may_users: bool):
    try:
        where = layout.Layout(directory_config())
    except DirectoryNotConfigured:
        where = None

    def dn(build) -> str:
        return build() if where is not None else ""

    code = organisation.code
    anchored = {row.key: row for row in DirectoryObject.objects.filter(organisation=organisation)}
    edit_url = reverse("customers:edit", args=[organisation.pk])
    users_url = reverse("customers:users", args=[organisation.pk])
    rows = [
        DirectoryRow(
            _("Organizational unit"),
            code,
            organisation.directory_guid,
            dn(lambda: where.organisation_dn(organisation)),
            reverse("customers:detail", args=[organisation.pk]),
            organisation.name,
        )
    ]
    for key, kind, name, build in (
        (layout.KEY_USERS_OU, _("Organizational unit"), layout.USERS_OU, where and where.users_ou),
        (
            layout.KEY_GROUPS_OU,
            _("Organizational unit"),
            layout.GROUPS_OU,
            where and where.groups_ou,
        ),
        (
            layout.KEY_ALL_USERS,
            _("Group"),
            layout.all_users_group(code),
            where and where.all_users_dn,
        ),
        (layout.KEY_ADMINS, _("Group"), layout.admins_group(code), where and where.admins_dn),
    ):
        anchor = anchored.get(key)
        rows.append(
            DirectoryRow(
                kind,
                name,
                anchor.guid if anchor else None,
                dn(lambda build=build: build(organisation)),
                users_url if may_users and key != layout.KEY_GROUPS_OU else "",
                str(_("Users")) if may_users and key != layout.KEY_GROUPS_OU else "",
            )
        )
    policy = anchored.get(layout.KEY_POLICY)
    rows.append(
        DirectoryRow(
            _("Password policy"),
            layout.policy_name(code),
            policy.guid if policy else None,
            "",
            edit_url,
            str(_("Account settings")),
        )
    )
    for subscription in subscriptions:
        group = layout.service_group(code, subscription.service.code)
        anchor = anchored.get(f"group:{subscription.service.code}")
        rows.append(
            DirectoryRow(
                _("Group"),
                group,
                subscription.directory_guid or (anchor.guid if anchor else None),
                dn(lambda group=group: where.group_dn(organisation, group)),
                reverse("catalogue:subscription_detail", args=[subscription.pk]),
                subscription.service.name,
            )
        )
    users_ou = dn(lambda: where.users_ou(organisation))
    for person in accounts:
        rows.append(
            DirectoryRow(
                _("User account"),
                person.directory_sam_account_name or person.username,
                person.directory_guid,
                users_ou,
                reverse("users:detail", args=[person.pk]) if may_users else "",
                person.upn or person.username,
            )
        )
    return rows


@login_required
def customer_information(request, pk: int):
    """Information: the customer's recent jobs, related resources (domains, services,
    subscriptions) and the AD objects Canopy made for it, each with its objectGUID and
    linked to the portal object it belongs to."""
    organisation = visible_or_404(request, Organisation.objects.select_related("parent"), pk=pk)
    user = request.user
    may_jobs = has_permission(user, "view_jobs", organisation)
    may_users = has_permission(user, "view_users", organisation)
    jobs = []
    if may_jobs:
        jobs = list(
            Job.objects.restrict(user, "view")
            .filter(organisation=organisation)
            .select_related("started_by")[:RECENT_JOBS]
        )
    subscriptions = list(organisation.services.select_related("service", "plan"))
    accounts = []
    if may_users:
        accounts = list(
            organisation.users.exclude(directory_guid=None).order_by("username")[:ACCOUNTS_SHOWN]
        )
    context = page_context(request, organisation, "information")
    context.update(
        {
            "jobs": jobs,
            "may_jobs": may_jobs,
            "domains": list(organisation.domains.all()),
            "subscriptions": subscriptions,
            "directory_rows": _directory_rows(organisation, subscriptions, accounts, may_users),
            "accounts_limited": len(accounts) == ACCOUNTS_SHOWN,
            "provisioned": organisation.provisioned_at is not None,
        }
    )
    return render(request, "provisioning/information.html", context)
