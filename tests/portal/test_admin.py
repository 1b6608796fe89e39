"""The Django admin is there for provider superusers: every model of the project has a page."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

PROJECT_APPS = ["customers", "provisioning", "billing"]


def project_models():
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m.__name__)
def test_every_model_is_registered_in_the_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.django_db
def test_a_superuser_can_open_every_admin_list(cast, login):
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    client = login(cast.provider_admin)
    for model in project_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_organisation_and_user_lists_never_count_every_row(cast, login, settings):
    """At 100,000 organisations a COUNT(*) per page view is most of the page: the admin's
    counts are bounded (exact up to COUNT_EXACT_UP_TO, then the planner's estimate) and the
    unfiltered total next to a search is not counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.COUNT_EXACT_UP_TO = 3  # the cast has more organisations and users than that
    cast.provider_admin.is_staff = cast.provider_admin.is_superuser = True
    cast.provider_admin.save()
    client = login(cast.provider_admin)
    for model in ("organisation", "user"):
        url = reverse(f"admin:customers_{model}_changelist")
        for params in ({}, {"q": "e"}):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, params).status_code == 200
            counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
            assert counts, (url, params)
            for sql in counts:
                assert "LIMIT 4" in sql, sql  # reads at most COUNT_EXACT_UP_TO + 1 rows
            assert any(q["sql"].startswith("EXPLAIN") for q in queries)  # the estimate
