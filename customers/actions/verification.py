"""Proof that a customer owns a domain: a DNS TXT record, or a provider administrator's word.

Anyone can type a domain name. Until it is verified a domain is not a UPN suffix in the
directory and not a mail address, and once an organisation is in the directory its users'
UPNs must be on a verified domain. A draft may already use an unverified domain (the customer
is being set up while its DNS is changed), but it cannot be provisioned until the domains its
users sign in with are verified, and no job writes an account with such a UPN.
"""

from __future__ import annotations

import logging
from typing import Any

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import SYSTEM, recorded_user
from core.scoping import has_permission
from customers.actions.organisations import apply_organisation_edit, default_upn_domain
from customers.models import Domain, Organisation, Status, User
from customers.models.domain import VerificationMethod

logger = logging.getLogger("customers.verification")

TXT_PREFIX = "canopy-verification="


# --- DNS --------------------------------------------------------------------------------------


def resolver() -> dns.resolver.Resolver:
    """A resolver asking ``DNS_RESOLVER`` (``host:port``, comma-separated), or else the
    machine's own resolver (``/etc/resolv.conf``)."""
    configured = [part.strip() for part in settings.DNS_RESOLVER.split(",") if part.strip()]
    if not configured:
        answer = dns.resolver.Resolver()
    else:
        answer = dns.resolver.Resolver(configure=False)
        answer.nameservers = []
        for server in configured:
            host, port = _host_port(server)
            answer.nameservers.append(host)
            answer.nameserver_ports[host] = port
    answer.lifetime = settings.DNS_TIMEOUT
    answer.timeout = settings.DNS_TIMEOUT
    return answer


def _host_port(server: str) -> tuple[str, int]:
    if server.startswith("["):  # [::1]:5353
        host, _sep, port = server[1:].partition("]:")
        return host, int(port or 53)
    if server.count(":") == 1:
        host, _sep, port = server.partition(":")
        return host, int(port)
    return server, 53


class LookupFailed(Exception):
    """The DNS could not say (a timeout, a server failure): try again later."""


def txt_records(name: str) -> list[str]:
    """The TXT strings published at ``name`` (each record's strings joined), [] for none."""
    try:
        answer = resolver().resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        raise LookupFailed(str(error)) from error
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# --- Checking and verifying -------------------------------------------------------------------


def _mark_verified(domain: Domain, actor: Any, method: str) -> None:
    domain.verified_at = timezone.now()
    domain.verified_by = recorded_user(actor) if method == VerificationMethod.MANUAL else None
    domain.verification_method = method
    domain.last_check_result = ""
    domain._history_user = recorded_user(actor)
    domain.save()
    # An organisation already in the directory gets its new suffix from an update job.
    apply_organisation_edit(actor=actor, organisation=domain.organisation)


def check_domain(*, actor: Any, domain: Domain) -> bool:
    """Look for the domain's TXT record; verify the domain when it is there.

    Returns whether the domain is verified; ``domain.last_check_result`` says what was found.
    The lookup runs outside any transaction (it may take seconds); the write is atomic.
    """
    if not has_permission(actor, "change_organisation", domain.organisation):
        raise PermissionDenied(_("You may not change this organisation's domains."))
    if domain.is_verified:
        return True
    expected = domain.txt_record
    try:
        found = txt_records(domain.name)
    except LookupFailed as error:
        message = _("The DNS lookup for %(name)s failed (%(error)s); it is tried again later.")
        result = message % {"name": domain.name, "error": error}
    else:
        ours = [text for text in found if text.startswith(TXT_PREFIX)]
        if expected in found:
            with transaction.atomic():
                locked = Domain.objects.select_for_update().get(pk=domain.pk)
                if not locked.is_verified:
                    _mark_verified(locked, actor, VerificationMethod.DNS)
            domain.refresh_from_db()
            return True
        if ours:
            result = _(
                "A TXT record %(found)s was found at %(name)s, but it is not this domain's "
                "token: publish %(expected)s."
            ) % {"found": ours[0], "name": domain.name, "expected": expected}
        else:
            result = _("No TXT record %(expected)s was found at %(name)s.") % {
                "expected": expected,
                "name": domain.name,
            }
    Domain.objects.filter(pk=domain.pk).update(
        last_checked_at=timezone.now(), last_check_result=result[:300]
    )
    domain.refresh_from_db()
    return False


def check_pending_domains() -> dict[str, int]:
    """The schedule's job: look once for the TXT record of every unverified domain."""
    counts = {"verified": 0, "pending": 0}
    pending = Domain.objects.filter(verified_at__isnull=True).exclude(
        organisation__status=Status.DELETED
    )
    for domain in pending.select_related("organisation").order_by("pk"):
        verified = check_domain(actor=SYSTEM, domain=domain)
        counts["verified" if verified else "pending"] += 1
    if counts["verified"]:
        logger.info("verified %d domain(s) by DNS", counts["verified"])
    return counts


def may_verify_by_hand(actor: Any, domain: Domain) -> bool:
    """Only the provider's administrators (who hold ``manage_catalogue``) vouch for a name."""
    return has_permission(actor, "manage_catalogue", domain.organisation)


@transaction.atomic
def verify_by_hand(*, actor: Any, domain: Domain) -> Domain:
    """A provider administrator verifies a domain without DNS; history names them."""
    if not may_verify_by_hand(actor, domain):
        raise PermissionDenied(_("Only the provider's administrators verify domains by hand."))
    locked = Domain.objects.select_for_update().get(pk=domain.pk)
    if not locked.is_verified:
        _mark_verified(locked, actor, VerificationMethod.MANUAL)
    return locked


# --- What verification decides ----------------------------------------------------------------


def verified_upn_domains(organisation: Organisation) -> set[str]:
    """The verified domains the organisation's users may sign in with: its own and its
    ancestors' (a customer without a domain lives under its reseller's)."""
    return set(
        Domain.objects.filter(
            organisation__in=organisation.get_ancestors(include_self=True),
            verified_at__isnull=False,
        ).values_list("name", flat=True)
    )


def needs_verified_upn(organisation: Organisation) -> bool:
    """Once the organisation is in the directory its users' UPNs must be on verified domains.

    Before that (a draft, or while its provisioning job runs) the portal accepts an unverified
    one, but no account on it reaches the directory: a draft cannot be provisioned with such
    users, and a job writing such an account fails, saying to verify the domain and retry.
    """
    return organisation.provisioned_at is not None


def upn_domain_names(organisation: Organisation) -> list[str]:
    """The domains a user of ``organisation`` may be given on the forms: its own (only the
    verified ones once it is in the directory), else its nearest ancestor's primary one."""
    domains = list(organisation.domains.all())
    strict = needs_verified_upn(organisation)
    names = [d.name for d in domains if d.is_verified or not strict]
    if not names and not domains:
        fallback = default_upn_domain(organisation)
        if fallback and (not strict or fallback in verified_upn_domains(organisation)):
            names = [fallback]
    return names


def check_upn_domain(organisation: Organisation, upn: str) -> None:
    """Refuse a UPN on an unverified domain once the organisation is in the directory."""
    if not upn or not needs_verified_upn(organisation):
        return
    domain = upn.rpartition("@")[2].lower()
    if domain not in verified_upn_domains(organisation):
        raise ValidationError(
            {
                "upn": _(
                    "%(domain)s is not a verified domain of this customer: verify it on the "
                    "Domains page before users sign in with it."
                )
                % {"domain": domain}
            }
        )


def unverified_upn_domains(organisation: Organisation) -> list[str]:
    """The customers' domains, not verified yet, that some of the organisation's users sign
    in with."""
    suffixes = {
        upn.rpartition("@")[2].lower()
        for upn in User.objects.filter(organisation=organisation).values_list("upn", flat=True)
        if upn
    }
    return sorted(
        Domain.objects.filter(name__in=suffixes, verified_at__isnull=True).values_list(
            "name", flat=True
        )
    )
