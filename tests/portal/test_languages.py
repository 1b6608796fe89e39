"""Which language a page speaks, step by step down README's order of precedence: the user's
own choice, their organisation's Default language (inherited down the tree), the browser
(the sign-in page's picker, then Accept-Language), LANGUAGE_CODE."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Job
from customers.models import Organisation, RoleGrant

pytestmark = pytest.mark.django_db


def language_of(response) -> str:
    """The language a page was rendered in, as it tells the browser."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    declared = html.split("<html lang=", 1)[1].split(">", 1)[0].strip("\"'")
    assert response["Content-Language"] == declared
    return declared


def set_language(org: Organisation, language: str) -> None:
    Organisation.objects.filter(pk=org.pk).update(language=language)


# --- the tree ---------------------------------------------------------------------------------


def test_an_organisation_without_a_language_inherits_its_nearest_ancestors(cast):
    set_language(cast.reseller, "de")
    deep = Organisation.objects.get(pk=cast.deep_customer.pk)  # below Sub Reseller, below it

    assert deep.effective_language() == "de"


def test_a_language_set_lower_in_the_tree_wins_over_one_above(cast):
    set_language(cast.reseller, "de")
    set_language(cast.subreseller, "fr")

    assert Organisation.objects.get(pk=cast.deep_customer.pk).effective_language() == "fr"
    assert Organisation.objects.get(pk=cast.customer.pk).effective_language() == "de"


def test_a_tree_that_sets_no_language_leaves_it_to_the_browser(cast):
    assert Organisation.objects.get(pk=cast.customer.pk).effective_language() == ""


def test_inheriting_reads_the_ancestors_once_and_shares_them(cast, django_assert_num_queries):
    set_language(cast.provider, "fr")
    customer = Organisation.objects.get(pk=cast.customer.pk)

    with django_assert_num_queries(1):
        assert customer.effective_language() == "fr"
    with django_assert_num_queries(0):
        customer.ancestor_list()  # what the breadcrumb reads: already there
        assert customer.effective_language() == "fr"


# --- the order of precedence, page by page -----------------------------------------------------


def test_with_nothing_said_the_portal_speaks_english(client):
    assert language_of(client.get(reverse("login"))) == "en"


def test_the_browsers_accept_language_is_followed_before_sign_in(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert language_of(response) == "de"
    assert "Accept-Language" in response["Vary"]


def test_a_language_the_portal_does_not_speak_falls_back_to_english(client):
    assert language_of(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja")) == "en"


def test_the_sign_in_pages_picker_outranks_accept_language(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")})
    assert response.status_code == 302

    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")

    assert language_of(page) == "fr"
    assert 'id="language-picker"' in page.content.decode()


def test_a_signed_in_user_with_no_language_anywhere_gets_the_browsers(cast, login):
    page = login(cast.customer_admin).get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="fr")

    assert language_of(page) == "fr"


def test_the_organisations_default_outranks_the_browser(cast, login):
    set_language(cast.reseller, "de")  # Customer One inherits it

    page = login(cast.customer_admin).get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="fr")

    assert language_of(page) == "de"


def test_the_organisations_default_outranks_the_sign_in_pages_picker(cast, login):
    set_language(cast.customer, "de")
    client = login(cast.customer_admin)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert language_of(client.get(reverse("dashboard"))) == "de"


def test_the_users_own_choice_outranks_the_organisations(cast, login):
    set_language(cast.reseller, "de")
    cast.customer_admin.language = "fr"
    cast.customer_admin.save(update_fields=["language"])

    page = login(cast.customer_admin).get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de")

    assert language_of(page) == "fr"


def test_a_superuser_without_an_organisation_follows_their_own_choice(cast, login):
    admin = type(cast.provider_admin).objects.create_superuser("root", password="x" * 16)
    admin.language = "de"
    admin.save(update_fields=["language"])

    assert language_of(login(admin).get(reverse("dashboard"))) == "de"


# --- choosing it -----------------------------------------------------------------------------


def test_a_user_chooses_their_own_language_on_my_language(cast, login):
    set_language(cast.reseller, "de")
    client = login(cast.end_user)

    page = client.get(reverse("users:my_language"))
    assert "Deutsch" in page.content.decode()  # what "the organisation's default" means here

    response = client.post(reverse("users:my_language"), {"language": "fr"}, follow=True)

    cast.end_user.refresh_from_db()
    assert cast.end_user.language == "fr"
    assert language_of(response) == "fr"


def test_choosing_the_organisations_default_again_clears_the_own_choice(cast, login):
    cast.end_user.language = "fr"
    cast.end_user.save(update_fields=["language"])

    login(cast.end_user).post(reverse("users:my_language"), {"language": ""})

    cast.end_user.refresh_from_db()
    assert cast.end_user.language == ""


def test_a_language_the_portal_does_not_offer_is_refused_on_the_field(cast, login):
    response = login(cast.end_user).post(reverse("users:my_language"), {"language": "es"})

    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    cast.end_user.refresh_from_db()
    assert cast.end_user.language == ""


def test_an_admin_sets_a_users_language_without_a_directory_job(cast, login):
    person = cast.end_user
    before = Job.objects.count()
    data = {
        "upn_local": person.upn.partition("@")[0],
        "domain": person.upn.partition("@")[2],
        "first_name": person.first_name,
        "last_name": person.last_name,
        "display_name": person.display_name,
        "email": person.email,
        "language": "de",
    }

    response = login(cast.customer_admin).post(reverse("users:edit", args=[person.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.language == "de"
    assert Job.objects.count() == before  # nothing of the directory changed
    detail = login(cast.customer_admin).get(reverse("users:detail", args=[person.pk]))
    assert "data-language>Deutsch<" in detail.content.decode()


def test_an_organisations_default_language_says_what_empty_inherits(cast, login):
    set_language(cast.reseller, "fr")

    page = login(cast.provider_admin).get(reverse("customers:edit", args=[cast.customer.pk]))

    assert "Inherited (Français)" in page.content.decode()


# --- dates and numbers --------------------------------------------------------------------------


def test_dates_and_numbers_follow_the_active_language():
    moment = datetime(2026, 12, 1, 9, 5)
    template = Template(
        '{{ moment|date:"DATE_FORMAT" }}|{{ moment|date:"SHORT_DATE_FORMAT" }}|{{ n }}'
    )
    context = Context({"moment": moment, "n": 1234.5})
    rendered = {}
    for language in ("en", "de", "fr"):
        with translation.override(language):
            rendered[language] = template.render(context)

    assert rendered["en"] == "1 Dec 2026|01/12/2026|1234.5"  # the portal's British English
    assert rendered["de"] == "1. Dezember 2026|01.12.2026|1234,5"
    assert rendered["fr"] == "1 décembre 2026|01/12/2026|1234,5"


def test_a_german_user_reads_dates_the_german_way(cast, login):
    set_language(cast.customer, "de")
    granted = timezone.localtime(
        RoleGrant.objects.filter(organisation=cast.customer).earliest("created").created
    )

    page = login(cast.customer_admin).get(reverse("customers:roles", args=[cast.customer.pk]))

    html = page.content.decode()
    assert granted.strftime("%d.%m.%Y") in html
    assert granted.strftime("%Y-%m-%d") not in html


# --- the catalogues at work -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "heading", "button"),
    [
        ("en", "Log in to Canopy", "Change language"),
        ("de", "Bei Canopy anmelden", "Sprache ändern"),
        ("fr", "Se connecter à Canopy", "Changer de langue"),
    ],
)
def test_the_sign_in_page_speaks_each_language(client, accept, heading, button):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert heading in html
    assert button in html


def test_a_german_organisations_users_see_german_labels_and_messages(cast, login):
    set_language(cast.reseller, "de")
    client = login(cast.customer_admin)

    page = client.get(reverse("customers:detail", args=[cast.customer.pk])).content.decode()
    assert "Kundentyp" in page  # Customer Type
    assert "Abmelden" in page  # Log out

    response = client.post(reverse("users:my_language"), {"language": ""}, follow=True)
    assert "Ihre Sprache wurde gespeichert." in response.content.decode()
