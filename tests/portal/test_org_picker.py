"""The organisation picker: the hierarchy switcher and the Parent Reseller filter search
every organisation in reach by name or code, show each one's path, and answer in a fixed
number of queries however many organisations there are."""

import pytest
from django.urls import reverse

from customers.models import Organisation
from portal.middleware import ACTING_SESSION_KEY
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def bulk_customers(parent: Organisation, count: int, prefix: str = "Bulk") -> None:
    """``count`` customers below ``parent`` in one insert and a tree rebuild."""
    Organisation.objects.bulk_create(
        Organisation(
            parent=parent,
            name=f"{prefix} {n:04}",
            code=f"{prefix.upper()[:4]}{n:04}",
            lft=0,
            rght=0,
            tree_id=parent.tree_id,
            tree_parent=parent,  # not a second root of the tree; the rebuild places it
            level=parent.level + 1,
        )
        for n in range(count)
    )
    Organisation.objects.rebuild()


def choices(client, term="", purpose="context"):
    name = "context_choices" if purpose == "context" else "customers:parent_choices"
    response = client.get(reverse(name), {"q": term}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_an_organisation_created_after_the_first_50_can_be_found_and_chosen(cast, login):
    """Issue 16, defect 4: the switcher listed the first 50 organisations and no more."""
    bulk_customers(cast.reseller, 60)
    late = OrganisationFactory(name="Zeta Latecomer", code="ZLATE", parent=cast.subreseller)
    client = login(cast.provider_admin)
    for term in ("latecomer", "zlate"):
        page = choices(client, term)
        assert f'data-pick="{late.pk}"' in page
        assert "Provider / Reseller One / Sub Reseller / " in page  # its path
    response = client.post(reverse("switch_context"), {"organisation": late.pk})
    assert response.status_code == 302
    assert client.session[ACTING_SESSION_KEY] == late.pk
    assert client.get(reverse("dashboard")).context["acting_organisation"] == late


def test_the_path_shows_only_what_the_user_may_see(cast, login):
    page = choices(login(cast.reseller_admin), "deep")
    assert "Reseller One / Sub Reseller / " in page
    assert "Provider /" not in page


def test_it_offers_nothing_outside_the_users_reach(cast, login):
    page = choices(login(cast.reseller_admin), "two")
    assert "Reseller Two" not in page and "Customer Two" not in page
    assert "Nothing matches" in page


def test_the_parent_picker_offers_resellers_inside_the_list(cast, login):
    client = login(cast.reseller_admin)
    page = choices(client, "", purpose="parent")
    assert f'data-pick="{cast.reseller.pk}"' in page
    assert f'data-pick="{cast.subreseller.pk}"' in page
    assert f'data-pick="{cast.customer.pk}"' not in page  # a customer has no customers
    assert "Any parent" in page
    # Choosing one filters the list; its name stands in the picker.
    listing = client.get(reverse("customers:list"), {"parent": cast.subreseller.pk})
    assert [row.record.name for row in listing.context["table"].paginated_rows] == ["Deep Customer"]
    assert 'value="Sub Reseller"' in listing.content.decode()


def test_a_long_list_says_there_are_more(cast, login):
    bulk_customers(cast.reseller, 30)
    page = choices(login(cast.reseller_admin), "bulk")
    assert page.count("data-pick=") == 20
    assert "More match" in page


# Session, user, the user's organisation (the acting one), the session's row, scope, the
# matches, and all the matches' ancestors at once.
PICKER_QUERIES = 7


@pytest.mark.parametrize("count", [5, 200])
def test_the_picker_keeps_its_query_count(cast, login, count, django_assert_num_queries):
    bulk_customers(cast.subreseller, count)
    client = login(cast.provider_admin)
    client.get(reverse("dashboard"))
    searches = [("context", ""), ("context", "bulk"), ("context", "RSUB")]
    searches += [("parent", ""), ("parent", "sub")]
    for purpose, term in searches:
        with django_assert_num_queries(PICKER_QUERIES):
            choices(client, term, purpose)
