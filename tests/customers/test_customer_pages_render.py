"""Every customer page renders for the provider admin (a smoke test of templates)."""

import pytest

from customers.models import Contact, Domain
from tests.customers.helpers import url

pytestmark = pytest.mark.django_db


def test_every_customer_page_renders_for_the_provider_admin(cast, login):
    client = login(cast.provider_admin)
    c = cast.customer
    contact = Contact.objects.create(organisation=c, name="Ann")
    alias = Domain.objects.create(organisation=c, name="alias.example")
    grant = cast.end_user.role_grants.first()
    pages = [
        url("list"),
        url("tree"),
        url("export"),
        url("create"),
        url("quick_create"),
        url("create_similar", c.pk),
        url("wizard_admin", c.pk),
        url("wizard_services", c.pk),
        url("wizard_summary", c.pk),
        url("detail", c.pk),
        url("edit", c.pk),
        url("contacts", c.pk),
        url("contact_edit", c.pk, contact.pk),
        url("contact_delete", c.pk, contact.pk),
        url("domains", c.pk),
        url("domain_remove", c.pk, alias.pk),
        url("roles", c.pk),
        url("jobs", c.pk),
        url("history", c.pk),
        url("security_log", c.pk),
        url("provision", c.pk),
        url("suspend", c.pk),
        url("resume", c.pk),
        url("deprovision", c.pk),
        url("delete", c.pk),
        url("restore", c.pk),
        url("make_reseller", c.pk),
    ]
    assert grant is not None
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
