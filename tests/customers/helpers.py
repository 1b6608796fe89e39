"""Shared helpers for the customer page tests."""

from __future__ import annotations

from django.urls import reverse

from customers.models import Organisation, Status


def url(name: str, *args) -> str:
    return reverse(f"customers:{name}", args=args)


def detailed_form_data(parent: Organisation, **overrides) -> dict:
    """Every field of the New Customer form, filled as a person would."""
    data = {
        "parent": parent.pk,
        "name": "Globex Corporation",
        "code": "",
        "contact_name": "Hank Scorpio",
        "email": "hank@globex.example",
        "phone": "+1 555 0100",
        "customer_type": "standard",
        "language": "en",
        "tags_text": "gold, emea",
        "domain_name": "globex.example",
        "domain_aliases": ["globex.test", "globex-corp.example"],
        "address": "1 Cypress Creek",
        "city": "Cypress Creek",
        "state": "OR",
        "zip_code": "97000",
        "country": "United States",
        "description": "Volcano lair",
        "extended_name": "Globex Corporation (Cypress Creek)",
        "external_id": "EXT-1",
        "account_id": "ACC-9",
        "deal_ids_text": "D1, D2 ,D3",
        "public_sector": "",
        "inactive_billing": "on",
        "brand_name": "",
        "brand_colour": "",
        "password_min_length": 10,
        "password_complexity": "on",
        "password_history": 5,
        "password_max_age_days": 60,
        "lockout_threshold": 5,
        "lockout_duration_minutes": 15,
        "user_limit": 50,
        "save": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def set_status(organisation: Organisation, status: str, provisioned: bool = False) -> None:
    """Move a customer without a worker: the engine is another issue, so tests that need an
    active (or provisioned) customer set its state directly on the model."""
    from django.utils import timezone

    Organisation.objects.filter(pk=organisation.pk).update(
        status=status, provisioned_at=timezone.now() if provisioned else None
    )
    organisation.refresh_from_db()


def in_directory(organisation: Organisation) -> None:
    """An active organisation that the directory already holds (its customers can be built)."""
    import uuid

    set_status(organisation, Status.ACTIVE, provisioned=True)
    Organisation.objects.filter(pk=organisation.pk).update(directory_guid=uuid.uuid4())
    organisation.refresh_from_db()


ACTIVE = Status.ACTIVE


def edit_data(org, **overrides) -> dict:
    """Every field of the Edit Customer form, as the organisation has it now."""
    data = {
        "name": org.name,
        "code": org.code,
        "contact_name": org.contact_name,
        "email": org.email,
        "customer_type": org.customer_type,
        "language": org.language,
        "password_min_length": org.password_min_length,
        "password_complexity": "on",
        "password_history": org.password_history,
        "password_max_age_days": org.password_max_age_days or "",
        "lockout_threshold": org.lockout_threshold,
        "lockout_duration_minutes": org.lockout_duration_minutes,
        "user_limit": org.user_limit or "",
        "allowed_roles": [r.pk for r in org.allowed_roles.all()],
        "save": "1",
    }
    data.update(overrides)
    return data
