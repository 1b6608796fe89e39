"""API keys: stored hashed, shown once, limited to their scopes and subtree, and never more
than their owner can do today."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.scoping import has_permission, limit
from customers.actions.api_keys import create_api_key, revoke_api_key
from customers.actions.roles import revoke_role
from customers.models import ApiKey, Organisation
from tests.api.helpers import api_client, bearer, make_key

pytestmark = pytest.mark.django_db


def detail(org):
    return reverse("api:organisation-detail", args=[org.pk])


def test_a_key_is_stored_as_a_prefix_and_a_keyed_digest_never_in_clear(cast):
    key, plain = make_key(cast.customer_admin)
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    secret = plain.split("_")[2]
    assert plain.startswith(f"cnp_{key.prefix}_")
    assert all(secret not in str(value) for value in stored.values())
    assert key.matches(secret) and not key.matches(secret + "x")


def test_a_key_acts_as_its_owner_and_records_when_and_from_where(cast):
    key, plain = make_key(cast.customer_admin)
    response = bearer(plain).get(detail(cast.customer), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    assert response.json()["code"] == "CONE"
    key.refresh_from_db()
    assert key.last_used_ip == "192.0.2.7" and key.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(cast, django_assert_num_queries):
    key, plain = make_key(cast.customer_admin)
    client = bearer(plain)
    client.get(detail(cast.customer))
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    client.get(detail(cast.customer), REMOTE_ADDR="192.0.2.99")
    again = ApiKey.objects.get(pk=key.pk)
    assert again.last_used_at == first and again.last_used_ip != "192.0.2.99"


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer cnp_00000000_wrong", "Bearer a b", "Basic Zm9vOmJhcg=="],
)
def test_a_missing_or_wrong_key_is_a_401_that_says_how_to_authenticate(cast, header):
    from django.test import Client

    response = Client(HTTP_AUTHORIZATION=header).get(detail(cast.customer))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_right_prefix_with_a_wrong_secret_is_refused(cast):
    key, _plain = make_key(cast.customer_admin)
    assert bearer(f"cnp_{key.prefix}_guessed").get(detail(cast.customer)).status_code == 401


def test_an_expired_key_is_a_401(cast):
    key, plain = make_key(cast.customer_admin)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(plain).get(detail(cast.customer)).status_code == 401


def test_a_revoked_key_is_a_401(cast):
    key, plain = make_key(cast.customer_admin)
    client = bearer(plain)
    assert client.get(detail(cast.customer)).status_code == 200
    revoke_api_key(actor=cast.customer_admin, key=key)
    assert client.get(detail(cast.customer)).status_code == 401


def test_a_disabled_owner_or_a_suspended_organisation_ends_the_key(cast):
    _key, plain = make_key(cast.help_desk)
    cast.help_desk.is_active = False
    cast.help_desk.save()
    assert bearer(plain).get(detail(cast.customer)).status_code == 401
    _key, plain = make_key(cast.customer_admin)
    Organisation.objects.filter(pk=cast.customer.pk).update(status="suspended")
    assert bearer(plain).get(detail(cast.customer)).status_code == 401


def test_a_deleted_owner_takes_the_key_with_them(cast):
    key, plain = make_key(cast.help_desk)
    cast.help_desk.delete()
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    assert bearer(plain).get(detail(cast.customer)).status_code == 401


def test_a_key_limited_to_one_customer_cannot_read_its_sibling(cast):
    client = api_client(cast.reseller_admin, organisation=cast.customer)
    assert client.get(detail(cast.customer)).status_code == 200
    assert client.get(detail(cast.subreseller)).status_code == 404
    assert client.get(detail(cast.reseller)).status_code == 404
    listed = client.get(reverse("api:organisation-list")).json()["results"]
    assert [o["code"] for o in listed] == ["CONE"]


def test_a_key_cannot_do_what_its_owner_can_no_longer_do(cast):
    client = api_client(cast.customer_admin)
    assert client.get(detail(cast.customer)).status_code == 200
    for grant in cast.customer_admin.role_grants.all():
        revoke_role(actor=cast.reseller_admin, grant=grant)
    assert client.get(detail(cast.customer)).status_code == 404


def test_a_key_without_a_scope_is_refused_what_that_scope_allows(cast):
    client = api_client(cast.customer_admin, scopes=["view_organisation"])
    assert client.get(detail(cast.customer)).status_code == 200
    response = client.patch(detail(cast.customer), {"name": "Renamed"}, "application/json")
    assert response.status_code == 403
    assert client.get(reverse("api:user-list")).json()["results"] == []
    cast.customer.refresh_from_db()
    assert cast.customer.name == "Customer One"


def test_a_superusers_key_is_only_as_strong_as_its_scopes_and_subtree(cast):
    from customers.models import User

    root = User.objects.create_superuser("root", "root@example.com", "x" * 16)
    key, _plain = make_key(root, organisation=cast.customer, scopes=["view_organisation"])
    narrowed = limit(root, key.scopes, key.organisation)
    assert has_permission(narrowed, "view_organisation", cast.customer)
    assert not has_permission(narrowed, "view_organisation", cast.customer2)
    assert not has_permission(narrowed, "change_organisation", cast.customer)


def test_nobody_makes_a_key_with_more_than_they_hold(cast):
    with pytest.raises(ValidationError) as refused:
        make_key(cast.help_desk, scopes=["view_organisation", "change_organisation"])
    assert "scopes" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        make_key(cast.customer_admin, organisation=cast.customer2)
    assert "organisation" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        make_key(cast.customer_admin, days=400)
    assert "expires_at" in refused.value.error_dict


def test_nobody_makes_a_key_for_someone_else(cast):
    with pytest.raises(PermissionDenied):
        create_api_key(
            actor=cast.customer_admin,
            owner=cast.end_user,
            name="x",
            organisation=cast.customer,
            scopes=["view_organisation"],
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_a_key_cannot_reach_the_portals_pages(cast):
    """Keys are for /api/: a page needs a signed-in session."""
    _key, plain = make_key(cast.customer_admin)
    response = bearer(plain).get(reverse("customers:detail", args=[cast.customer.pk]))
    assert response.status_code == 302


# --- The pages -----------------------------------------------------------------------------


def test_the_keys_page_shows_a_new_key_once(cast, login):
    client = login(cast.customer_admin)
    response = client.post(
        reverse("users:my_api_keys"),
        {
            "name": "Shop",
            "organisation": "cone",
            "scopes": ["view_organisation", "view_users"],
            "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(owner=cast.customer_admin)
    plain = response.context["plain"]
    assert plain.startswith(f"cnp_{key.prefix}_") and plain in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    again = client.get(reverse("users:my_api_keys"))
    assert plain not in again.content.decode() and key.prefix in again.content.decode()
    assert bearer(plain).get(detail(cast.customer)).status_code == 200


def test_the_keys_form_puts_errors_on_its_fields(cast, login):
    response = login(cast.help_desk).post(
        reverse("users:my_api_keys"),
        {
            "name": "x",
            "organisation": "CTWO",
            "scopes": ["view_organisation"],
            "expires_on": "2000-01-01",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"organisation"}
    response = login(cast.help_desk).post(
        reverse("users:my_api_keys"),
        {
            "name": "x",
            "organisation": "CONE",
            "scopes": ["change_organisation"],
            "expires_on": "2000-01-01",
        },
    )
    assert set(response.context["form"].errors) == {"scopes", "expires_on"}
    assert not ApiKey.objects.exists()


def test_people_revoke_their_own_keys_and_nobody_elses_from_their_page(cast, login):
    mine, _ = make_key(cast.customer_admin)
    theirs, _ = make_key(cast.help_desk)
    client = login(cast.customer_admin)
    url = reverse("users:my_api_key_revoke", args=[theirs.pk])
    assert client.post(url).status_code == 404
    assert client.post(reverse("users:my_api_key_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked


def test_the_customers_keys_tab_lets_its_administrators_revoke_keys(cast, login):
    key, _ = make_key(cast.help_desk)
    page = login(cast.customer_admin).get(reverse("customers:api_keys", args=[cast.customer.pk]))
    assert page.status_code == 200 and key.prefix in page.content.decode()
    url = reverse("customers:api_key_revoke", args=[cast.customer.pk, key.pk])
    assert login(cast.reseller2_admin).post(url).status_code == 404
    assert (
        login(cast.help_desk)
        .get(reverse("customers:api_keys", args=[cast.customer.pk]))
        .status_code
        == 200
    )
    assert login(cast.customer_admin).post(url).status_code == 302
    key.refresh_from_db()
    assert key.is_revoked


def test_nobody_revokes_the_key_of_someone_more_powerful(cast, login):
    key, _ = make_key(cast.customer_admin)
    url = reverse("customers:api_key_revoke", args=[cast.customer.pk, key.pk])
    assert login(cast.help_desk).post(url).status_code == 403
    key.refresh_from_db()
    assert not key.is_revoked


def test_a_change_made_with_a_key_is_attributed_to_the_key_and_its_owner(cast, login):
    key, plain = make_key(cast.customer_admin)
    response = bearer(plain).patch(
        detail(cast.customer), '{"city": "Bath"}', content_type="application/json"
    )
    assert response.status_code == 200
    record = Organisation.history.filter(id=cast.customer.pk).latest("history_date")
    assert record.history_user == cast.customer_admin
    page = login(cast.reseller_admin).get(reverse("customers:history", args=[cast.customer.pk]))
    assert f"key cnp_{key.prefix} of {cast.customer_admin}" in page.content.decode()


# Session, user, the session's record... then the page's own: the keys (with their
# organisations). The Keys tab also asks, once per owner (here two), what the owner holds:
# nobody revokes the key of someone more powerful.
MY_KEYS_PAGE_QUERIES = 7
KEYS_TAB_QUERIES = 9


def test_the_keys_pages_cost_a_fixed_number_of_queries(cast, login, django_assert_num_queries):
    for n in range(3):
        make_key(cast.customer_admin, name=f"k{n}")
        make_key(cast.help_desk, name=f"h{n}", scopes=["view_organisation"])
    client = login(cast.customer_admin)
    client.get(reverse("users:my_api_keys"))  # the session's first-request work
    with django_assert_num_queries(MY_KEYS_PAGE_QUERIES):
        assert client.get(reverse("users:my_api_keys")).status_code == 200
    tab = reverse("customers:api_keys", args=[cast.customer.pk])
    with django_assert_num_queries(KEYS_TAB_QUERIES):
        assert client.get(tab).status_code == 200
