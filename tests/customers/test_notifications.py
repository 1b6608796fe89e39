"""Notifications and Send E-Mail, as a real SMTP server on a loopback port receives them
(tests/fixtures/smtp.py): recipients, language, branding; nothing sent inside a request.

Executing the captured on-commit callbacks is the worker's turn (the ``smtp`` fixture runs
Celery in this process)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from customers import notifications
from customers.actions import users as user_actions
from customers.models import Contact, CustomerEmail, NoticeKind, Organisation, Status
from tests.factories import UserFactory
from tests.fixtures.smtp import run_mail_worker

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-7"
CHOSEN_PASSWORD = "Chosen-by-admin-8"


@pytest.fixture
def active_cast(cast):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.ACTIVE)
    cast.refresh()
    return cast


def create(cast, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person, _jobs = user_actions.create_user(
            actor=cast.customer_admin,
            organisation=cast.customer,
            username=fields.pop("username", "jane"),
            upn=f"jane@{cast.customer.primary_domain.name}",
            first_name="Jane",
            last_name="Doe",
            **fields,
        )
    return person, callbacks


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/password/set/\S+/)", text).group(1)


def test_a_new_user_gets_a_welcome_with_a_one_time_link_and_never_the_password(
    active_cast, smtp, settings, django_capture_on_commit_callbacks, client
):
    settings.PORTAL_URL = "http://testserver"
    cast = active_cast
    person, callbacks = create(
        cast, django_capture_on_commit_callbacks, email="jane@example.com", password=CHOSEN_PASSWORD
    )
    assert smtp.messages == []  # queued, not sent, until the worker runs
    run_mail_worker(callbacks)
    assert smtp.recipients == [["jane@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == "Welcome to Canopy"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "jane" in text and person.upn in text
    assert CHOSEN_PASSWORD not in text and CHOSEN_PASSWORD not in html

    path = link_in(message)
    assert client.get(path).status_code == 200
    answer = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    # The link worked once.
    assert client.get(path).status_code == 400
    again = client.post(path, {"new_password1": "Other-pass-word-9", "new_password2": "x"})
    assert again.status_code == 400
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_the_set_password_link_checks_the_customers_password_policy(
    active_cast, smtp, settings, django_capture_on_commit_callbacks, client
):
    settings.PORTAL_URL = "http://testserver"
    person, callbacks = create(active_cast, django_capture_on_commit_callbacks, email="j@x.example")
    run_mail_worker(callbacks)
    path = link_in(smtp.messages[0])
    answer = client.post(path, {"new_password1": "short", "new_password2": "short"})
    assert answer.status_code == 200 and b"invalid-feedback" in answer.content
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_no_address_no_welcome(active_cast, smtp, django_capture_on_commit_callbacks):
    _person, callbacks = create(active_cast, django_capture_on_commit_callbacks)
    run_mail_worker(callbacks)
    assert smtp.messages == []


def test_the_welcome_is_in_the_organisations_inherited_language_and_its_resellers_brand(
    active_cast, smtp, django_capture_on_commit_callbacks
):
    cast = active_cast
    Organisation.objects.filter(pk=cast.reseller.pk).update(
        language="de", brand_name="Reseller Cloud"
    )
    cast.refresh()
    assert cast.customer.effective_language() == "de"
    person, callbacks = create(cast, django_capture_on_commit_callbacks, email="jane@example.com")
    run_mail_worker(callbacks)
    message = smtp.messages[0]
    assert message["Subject"] == "Willkommen bei Reseller Cloud"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Hallo Jane Doe,")
    # Dates follow the language too: the account's date is written the German way.
    with translation.override("de"):
        german = formats.date_format(person.date_joined, "DATE_FORMAT")
    with translation.override("en"):
        english = formats.date_format(person.date_joined, "DATE_FORMAT")
    assert german != english and german in text and english not in text
    assert "Reseller Cloud" in message.get_body(("html",)).get_content()


def test_a_users_own_language_wins_over_the_organisations(
    active_cast, smtp, django_capture_on_commit_callbacks
):
    cast = active_cast
    Organisation.objects.filter(pk=cast.customer.pk).update(language="de")
    cast.refresh()
    french = UserFactory(organisation=cast.customer, email="fr@example.com", language="fr")
    german = UserFactory(organisation=cast.customer, email="de@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for person in (french, german):
            user_actions.reset_password(
                actor=cast.customer_admin, person=person, password=CHOSEN_PASSWORD
            )
    run_mail_worker(callbacks)
    subjects = {tuple(to): m["Subject"].strip() for to, m in zip(smtp.recipients, smtp.messages)}
    assert subjects == {
        ("fr@example.com",): "Canopy : votre mot de passe a été modifié",
        ("de@example.com",): "Canopy: Ihr Passwort wurde geändert",
    }
    assert notifications.language_of(None, None) == settings.LANGUAGE_CODE


def test_an_admins_password_reset_tells_the_user_without_the_password(
    active_cast, smtp, django_capture_on_commit_callbacks
):
    cast = active_cast
    cast.end_user.email = "end@example.com"
    cast.end_user.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_actions.reset_password(
            actor=cast.customer_admin, person=cast.end_user, password=CHOSEN_PASSWORD
        )
    assert smtp.messages == []
    run_mail_worker(callbacks)
    assert smtp.recipients == [["end@example.com"]]
    message = smtp.messages[0]
    assert "your password was changed" in message["Subject"]
    assert CHOSEN_PASSWORD not in message.as_string()


def test_send_email_queues_nothing_in_the_request_then_reaches_the_chosen_people(
    active_cast, smtp, login, django_capture_on_commit_callbacks
):
    cast = active_cast
    for person, address in ((cast.customer_admin, "admin@c1.example"), (cast.end_user, "")):
        person.email = address
        person.save()
    quiet = UserFactory(organisation=cast.customer, email="quiet@c1.example", is_admin=True)
    quiet.email_opt_outs = [NoticeKind.CUSTOMER_EMAIL]
    quiet.save()
    Contact.objects.create(organisation=cast.customer, name="Tech", email="tech@c1.example")
    Contact.objects.create(organisation=cast.customer, name="Same", email="ADMIN@c1.example")
    Contact.objects.create(organisation=cast.customer2, name="Other", email="x@c2.example")
    Organisation.objects.filter(pk=cast.reseller.pk).update(brand_name="Reseller Cloud")
    client = login(cast.reseller_admin)
    url = reverse("customers:send_email", args=[cast.customer.pk])
    data = {"audience": ["admins", "contacts"], "subject": "Maintenance", "body": "Sunday 2am."}

    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert b'id="email-preview"' in preview.content and b"2 recipients" in preview.content
    assert not CustomerEmail.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = client.post(url, {**data, "send": "1"})
    assert answer.status_code == 302
    assert smtp.messages == []  # nothing left inside the request
    run_mail_worker(callbacks)
    assert sorted(smtp.recipients) == [["admin@c1.example"], ["tech@c1.example"]]
    for message in smtp.messages:
        assert message["Subject"] == "Maintenance"
        assert "Sunday 2am." in message.get_body(("plain",)).get_content()
        assert "Reseller Cloud" in message.get_body(("plain",)).get_content()
    record = CustomerEmail.objects.get()
    assert record.recipient_count == 2 and record.sent_by == cast.reseller_admin
    history = client.get(reverse("customers:history", args=[cast.customer.pk])).content.decode()
    assert "Maintenance" in history and "Sunday 2am." in history


def test_send_email_validates_every_field(active_cast, login):
    cast = active_cast
    client = login(cast.customer_admin)
    url = reverse("customers:send_email", args=[cast.customer.pk])
    page = client.post(url, {"subject": "  ", "body": "", "send": "1"}).content.decode()
    assert "Choose who receives the message." in page
    assert page.count("invalid-feedback") >= 3
    # Nobody with an address: an error on Recipients, nothing recorded.
    page = client.post(url, {"audience": ["users"], "subject": "S", "body": "B", "send": "1"})
    assert "None of these recipients has an e-mail address." in page.content.decode()
    assert not CustomerEmail.objects.exists()


def test_a_user_turns_off_optional_notices_on_their_email_page(cast, login):
    client = login(cast.end_user)
    url = reverse("users:my_email")
    page = client.get(url).content.decode()
    assert re.search(r'value="job_failed"[^>]* checked', page)
    assert re.search(r'value="customer_email"[^>]* checked', page)
    answer = client.post(url, {"wanted": ["job_failed"]})
    assert answer.status_code == 302
    cast.end_user.refresh_from_db()
    assert cast.end_user.email_opt_outs == [NoticeKind.CUSTOMER_EMAIL]
    cast.end_user.email = "e@example.com"
    assert cast.end_user.wants_email(NoticeKind.JOB_FAILED)
    assert not cast.end_user.wants_email(NoticeKind.CUSTOMER_EMAIL)


def test_a_themes_logo_and_support_details_reach_the_mail(settings):
    """What ``effective_branding`` returns once themes give logos and support details (the
    themes issue): relative logo URLs become absolute, the support address the reply-to."""
    settings.PORTAL_URL = "https://portal.example"
    themed = SimpleNamespace(
        effective_branding=lambda: {
            "brand_name": "Blue Cloud",
            "brand_colour": "#123456",
            "logo_url": "/themes/3/logo",
            "support_email": "help@blue.example",
            "support_phone": "+44 20 0000",
        }
    )
    brand = notifications.branding(themed)
    assert brand["name"] == "Blue Cloud" and brand["colour"] == "#123456"
    assert brand["logo_url"] == "https://portal.example/themes/3/logo"
    assert brand["support_email"] == "help@blue.example"
    assert notifications.branding(None)["name"] == "Canopy"
