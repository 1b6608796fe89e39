"""An action's refusal is shown on the field at fault, not only as a general error."""

import pytest

from customers.forms import DeleteForm, DomainForm
from customers.models import Status
from tests.customers.helpers import set_status, url

pytestmark = pytest.mark.django_db


def test_a_domain_taken_after_the_form_checked_it_is_marked_on_the_domain_field(
    cast, login, monkeypatch
):
    # Another customer takes the domain between the form's check and the action's.
    monkeypatch.setattr(DomainForm, "clean_name", lambda form: form.cleaned_data["name"])
    taken = cast.customer2.primary_domain.name
    client = login(cast.reseller_admin)
    response = client.post(url("domains", cast.customer.pk), {"name": taken})
    form = response.context["form"]
    assert "is not available" in " ".join(form.errors["name"])
    assert form.non_field_errors() == []


def test_a_wrong_confirm_code_refused_by_the_action_is_marked_on_confirm_code(
    cast, login, monkeypatch
):
    set_status(cast.customer, Status.DEPROVISIONED)
    monkeypatch.setattr(DeleteForm, "clean_confirm_code", lambda form: "cone")
    client = login(cast.reseller_admin)
    response = client.post(url("delete", cast.customer.pk), {"confirm_code": "cone"})
    form = response.context["form"]
    assert "exactly" in " ".join(form.errors["confirm_code"])
    assert form.non_field_errors() == []
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.DEPROVISIONED
