"""The sign-in throttle counts guesses per account, whatever spelling of its name is typed.

The attacks are tried twice: through Django's test client, and over real HTTP against the live
server (a fresh cookie jar, the CSRF token read from the form), which is how a guesser works.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

WRONG = "Not-the-password-1"


def sign_in(client: Client, login: str, password: str, **extra):
    return client.post(reverse("login"), {"username": login, "password": password}, **extra)


def mixed_case(upn: str) -> str:
    """``helpdesk@one.example`` -> ``HeLpDeSk@oNe.ExAmPlE``: the same account to the portal."""
    return "".join(ch.upper() if i % 2 else ch for i, ch in enumerate(upn))


# --- through the test client -----------------------------------------------------------------


@pytest.mark.django_db
def test_changing_the_case_of_a_upn_does_not_buy_more_password_guesses(cast, password, settings):
    upn = cast.help_desk.upn
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, upn, WRONG).status_code == 200
    sign_in(client, upn, WRONG)  # the last one allowed: axes answers it with the lock-out
    response = sign_in(client, mixed_case(upn), password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_every_spelling_of_an_account_shares_one_count_of_guesses(cast, password, settings):
    spellings = [
        cast.help_desk.upn,
        cast.help_desk.upn.upper(),
        "HelpDesk",
        mixed_case(cast.help_desk.upn),
        f"  {cast.help_desk.username}  ",
    ]
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, spellings[attempt % len(spellings)], WRONG)
    assert sign_in(client, "helpdesk", password).status_code == 429


@pytest.mark.django_db
def test_guessing_at_the_providers_superuser_in_upper_case_still_locks_it(cast, password, settings):
    cast.provider_admin.is_superuser = cast.provider_admin.is_staff = True
    cast.provider_admin.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.provider_admin.upn.upper(), WRONG)
    assert sign_in(client, cast.provider_admin.username, password).status_code == 429


@pytest.mark.django_db
def test_an_unknown_name_is_throttled_whatever_its_case(cast):
    from portal.auth import canonical_login

    assert canonical_login("  Nobody@Nowhere.Example ") == "nobody@nowhere.example"
    assert canonical_login("NOBODY") == "nobody"
    assert canonical_login(cast.help_desk.upn.upper()) == "helpdesk"


@pytest.mark.django_db
def test_an_unlock_by_an_administrator_forgets_guesses_made_under_any_spelling(
    cast, password, settings
):
    from customers.actions.users import unlock_user

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, mixed_case(cast.help_desk.upn), WRONG)
    unlock_user(actor=cast.customer_admin, person=cast.help_desk)
    assert sign_in(client, cast.help_desk.upn, password).status_code == 302


@pytest.mark.django_db
def test_a_guesser_at_one_address_cannot_lock_the_owner_out_at_another(cast, password, settings):
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, cast.help_desk.upn, WRONG)
    assert sign_in(guesser, cast.help_desk.upn, password).status_code == 429
    owner = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(owner, cast.help_desk.upn, password).status_code == 302


@pytest.mark.django_db
def test_guessing_from_many_addresses_locks_the_account_for_everyone(cast, password, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 3 * settings.AXES_FAILURE_LIMIT
    for address in range(settings.AXES_ACCOUNT_FAILURE_LIMIT):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{address + 1}"), mixed_case("helpdesk"), WRONG)
    owner = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(owner, cast.help_desk.upn, password).status_code == 429


# --- behind the reverse proxy ----------------------------------------------------------------

PROXY = "10.0.0.1"  # REMOTE_ADDR of every request that comes through the proxy


def through_proxy(client_address: str, written_by_client: str = "") -> Client:
    """A client whose request reaches the portal through one reverse proxy, which appends the
    client's address to whatever X-Forwarded-For the client sent itself."""
    forwarded = ", ".join(filter(None, [written_by_client, client_address]))
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_behind_the_proxy_a_guesser_cannot_lock_the_provider_out_for_everyone(
    cast, password, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = through_proxy("198.51.100.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, "padmin", WRONG)
    assert sign_in(guesser, "padmin", password).status_code == 429
    assert sign_in(through_proxy("192.0.2.10"), "padmin", password).status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_a_guesser_cannot_buy_guesses_by_writing_x_forwarded_for(
    cast, password, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(through_proxy("198.51.100.66", f"203.0.113.{attempt}"), "padmin", WRONG)
    guesser = through_proxy("198.51.100.66", "203.0.113.99")
    assert sign_in(guesser, "padmin", password).status_code == 429


@pytest.mark.django_db
def test_without_a_trusted_proxy_x_forwarded_for_proves_nothing(cast, password, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        sign_in(client, "padmin", WRONG)
    client = Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="192.0.2.10")
    assert sign_in(client, "padmin", password).status_code == 429


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        (1, PROXY, "198.51.100.7", "198.51.100.7"),
        (1, PROXY, "203.0.113.1, 198.51.100.7", "198.51.100.7"),
        (1, PROXY, "", PROXY),
        (2, PROXY, "203.0.113.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, PROXY, "10.0.0.2", PROXY),  # did not come through both proxies
        (1, PROXY, "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_address_is_read_from_as_far_as_our_own_proxies_vouch(
    settings, rf, proxies, remote, forwarded, client
):
    from portal.throttling import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(rf.get("/login/", **meta)) == client


# --- over HTTP against the live server -------------------------------------------------------


class HttpGuesser:
    """A script that signs in as a guesser would: its own cookies, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = headers or {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect
        )

    def _open(self, path: str, data: bytes | None = None) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base_url + path, data=data, headers={**self.headers, "Referer": self.base_url}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, login: str, password: str) -> int:
        status, page = self._open("/login/")
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": login, "password": password}
        status, _ = self._open("/login/", urllib.parse.urlencode(form).encode())
        return status


@pytest.fixture
def http_settings(settings):
    # The live server speaks plain http: cookies must travel without TLS.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


@pytest.mark.django_db(transaction=True)
def test_over_http_changing_the_case_of_a_upn_does_not_buy_more_guesses(
    live_server, http_settings, password
):
    from tests.cast import build_cast

    cast = build_cast()
    guesser = HttpGuesser(live_server.url)
    for _ in range(http_settings.AXES_FAILURE_LIMIT - 1):
        assert guesser.sign_in(cast.help_desk.upn, WRONG) == 200
    guesser.sign_in(cast.help_desk.upn, WRONG)
    assert guesser.sign_in(mixed_case(cast.help_desk.upn), password) == 429
    assert HttpGuesser(live_server.url).sign_in(cast.help_desk.upn.upper(), password) == 429


@pytest.mark.django_db(transaction=True)
def test_over_http_behind_the_proxy_a_guesser_cannot_lock_out_other_clients(
    live_server, http_settings, password
):
    from tests.cast import build_cast

    http_settings.TRUSTED_PROXY_COUNT = 1  # the live server's loopback peer plays the proxy
    build_cast()
    guesser = HttpGuesser(live_server.url, {"X-Forwarded-For": "198.51.100.66"})
    for _ in range(http_settings.AXES_FAILURE_LIMIT):
        guesser.sign_in("padmin", WRONG)
    assert guesser.sign_in("padmin", password) == 429
    owner = HttpGuesser(live_server.url, {"X-Forwarded-For": "192.0.2.10"})
    assert owner.sign_in("padmin", password) == 302


@pytest.mark.parametrize("value", ["-1", "one"])
def test_a_bad_trusted_proxy_count_stops_start_up_naming_the_variable(value):
    from tests.test_deployment import manage_check, production_env

    done = manage_check(production_env(TRUSTED_PROXY_COUNT=value))
    assert done.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in done.stderr
