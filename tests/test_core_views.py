"""The view helpers in core: a 404 for what is out of sight, a 403 for what is not allowed, and
an action's ValidationError on the field it concerns."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory

from core.views import form_errors_from, require, visible_or_404
from customers.models import Organisation, User

pytestmark = pytest.mark.django_db


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_visible_or_404_returns_what_the_viewer_may_see(cast):
    request = request_by(cast.reseller_admin)
    assert visible_or_404(request, Organisation, pk=cast.customer.pk) == cast.customer
    person = visible_or_404(
        request, User.objects.select_related("organisation"), pk=cast.end_user.pk
    )
    assert person == cast.end_user


def test_visible_or_404_answers_404_for_another_tenants_object(cast):
    request = request_by(cast.reseller_admin)
    with pytest.raises(Http404):
        visible_or_404(request, Organisation, pk=cast.customer2.pk)
    with pytest.raises(Http404):
        visible_or_404(request, User.objects.all(), pk=cast.customer2_admin.pk)


def test_require_answers_403_for_what_is_visible_but_not_allowed(cast):
    require(cast.customer_admin, "add_users", cast.customer)
    require(request_by(cast.customer_admin), "change", cast.customer)
    with pytest.raises(PermissionDenied):
        require(request_by(cast.end_user), "add_users", cast.customer)
    with pytest.raises(PermissionDenied):
        require(cast.customer_admin, "manage_lifecycle", cast.reseller)


class DomainForm(forms.Form):
    name = forms.CharField()
    primary = forms.BooleanField(required=False)


def test_form_errors_from_puts_each_error_on_its_field_and_the_rest_above_the_form():
    form = DomainForm({"name": "example.com"})
    assert form.is_valid()
    form_errors_from(
        form,
        ValidationError(
            {
                "name": "The domain example.com is not available.",
                "upn": "Not a field of this form.",
                "__all__": "Something general.",
            }
        ),
    )
    assert form.errors["name"] == ["The domain example.com is not available."]
    assert form.non_field_errors() == ["Not a field of this form.", "Something general."]
    assert "primary" not in form.errors


def test_form_errors_from_puts_an_error_without_fields_above_the_form():
    form = DomainForm({"name": "example.com"})
    assert form.is_valid()
    form_errors_from(form, ValidationError(["First.", "Second."]))
    assert form.non_field_errors() == ["First.", "Second."]
    assert "name" not in form.errors
