"""Credit quota (effective and end dates, consumption in the window, 80% and 100%, history),
licence expiry (reminders 30, 7 and 1 days before; warn, block new users or suspend) and the
cutoff's grace period, which suspends through the lifecycle and resumes after a top-up.

The directory side of a suspension (AD accounts disabled by the job) is the lifecycle's and
is tested there; here the organisation's status and the jobs requested are checked."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from billing.actions.accounts import account_for, update_profile
from billing.actions.ledger import credit, debit
from billing.actions.licences import run_daily_checks
from billing.actions.provider import save_settings, settings_for
from billing.actions.quotas import quota_use, set_credit_quota
from billing.models import LicenceReminder
from core.actors import SYSTEM
from customers.actions.users import create_user
from customers.models import Organisation, Status

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
GERMAN_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
GERMAN_MONTHS = GERMAN_MONTHS.split()
DAY = datetime.timedelta(days=1)


def test_the_quota_counts_debits_in_its_window_and_warns_at_80_and_100(cast):
    account = account_for(cast.customer)
    credit(actor=SYSTEM, account=account, units=500, description="Opening")
    old = set_credit_quota(
        actor=cast.reseller_admin,
        account=account,
        amount=50,
        effective_date=TODAY - 30 * DAY,
        end_date=TODAY - 10 * DAY,
    )
    quota = set_credit_quota(
        actor=cast.reseller_admin,
        account=account,
        amount=100,
        effective_date=TODAY - 5 * DAY,
        end_date=TODAY + 5 * DAY,
    )
    debit(actor=SYSTEM, account=account, units=70, description="Use")
    use = quota_use(account)
    assert (use.quota, use.consumed, use.warning) == (quota, 70, None)
    debit(actor=SYSTEM, account=account, units=15, description="Use")
    assert quota_use(account).warning == 80
    debit(actor=SYSTEM, account=account, units=20, description="Use")
    assert quota_use(account).warning == 100
    assert list(account.quotas.all()) == [quota, old]  # the history stays


def test_a_quota_window_must_be_in_order_and_set_by_the_parent(cast):
    account = account_for(cast.customer)
    with pytest.raises(ValidationError) as refused:
        set_credit_quota(
            actor=cast.reseller_admin,
            account=account,
            amount=10,
            effective_date=TODAY,
            end_date=TODAY - DAY,
        )
    assert "end_date" in refused.value.error_dict
    with pytest.raises(PermissionDenied):
        set_credit_quota(
            actor=cast.customer_admin,
            account=account,
            amount=10,
            effective_date=TODAY,
            end_date=TODAY,
        )


def test_licence_reminders_30_7_and_1_days_before_each_once(
    cast, smtp, django_capture_on_commit_callbacks
):
    cast.customer.email = "billing@customer.example"
    cast.customer.save()
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"licence_expiry_date": TODAY + 20 * DAY})
    with django_capture_on_commit_callbacks(execute=True):  # the daily task's commits
        for _ in range(2):
            run_daily_checks(TODAY, actor=SYSTEM)
    assert len(smtp.messages) == 1
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_checks(TODAY + 14 * DAY, actor=SYSTEM)  # 6 days left: the 7-day reminder
        run_daily_checks(TODAY + 19 * DAY, actor=SYSTEM)  # 1 day left
        run_daily_checks(TODAY + 19 * DAY, actor=SYSTEM)
    assert len(smtp.messages) == 3
    assert "expires on" in smtp.messages[-1]["Subject"]
    assert smtp.recipients[-1] == ["billing@customer.example"]
    assert sorted(
        LicenceReminder.objects.filter(account=account).values_list("days_before", flat=True)
    ) == [1, 7, 30]


def test_a_licence_reminder_speaks_the_organisations_language(
    cast, smtp, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=cast.reseller.pk).update(language="de")  # inherited
    cast.customer.email = "billing@customer.example"
    cast.customer.save()
    account = account_for(Organisation.objects.get(pk=cast.customer.pk))
    expiry = TODAY + 20 * DAY
    update_profile(actor=SYSTEM, account=account, changes={"licence_expiry_date": expiry})

    with django_capture_on_commit_callbacks(execute=True):
        run_daily_checks(TODAY, actor=SYSTEM)

    mail = smtp.messages[-1]
    german_date = f"{expiry.day}. {GERMAN_MONTHS[expiry.month - 1]} {expiry.year}"
    # An encoded (non-ASCII) subject is folded onto its own line: the parser keeps a space.
    assert mail["Subject"].strip() == f"Customer One: Lizenz läuft am {german_date} ab"
    assert "Die Lizenz von Customer One läuft am" in mail.get_body(("plain",)).get_content()


def test_an_expired_licence_blocks_new_users_when_the_provider_says_so(cast):
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"licence_expiry_date": TODAY - DAY})
    domain = cast.customer.domains.get(is_primary=True).name
    create_user(actor=SYSTEM, organisation=cast.customer, username="warned", upn=f"w@{domain}")
    rules = settings_for(cast.customer)
    rules.expiry_action = "block_users"
    with pytest.raises(PermissionDenied):
        save_settings(actor=cast.reseller_admin, settings=rules)
    save_settings(actor=cast.provider_admin, settings=rules)
    with pytest.raises(ValidationError) as refused:
        create_user(actor=SYSTEM, organisation=cast.customer, username="blocked", upn=f"b@{domain}")
    assert "expired on" in " ".join(refused.value.messages)


def _active(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(status=Status.ACTIVE)
    organisation.refresh_from_db()


def test_on_expiry_the_suspend_setting_suspends_and_a_new_date_resumes(
    cast, django_capture_on_commit_callbacks
):
    _active(cast.customer)
    rules = settings_for(cast.customer)
    rules.expiry_action = "suspend"
    save_settings(actor=SYSTEM, settings=rules)
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"licence_expiry_date": TODAY})
    done = run_daily_checks(TODAY, actor=SYSTEM)
    cast.customer.refresh_from_db()
    assert done.suspended == [account.pk] and cast.customer.status == Status.SUSPENDED
    assert run_daily_checks(TODAY, actor=SYSTEM).suspended == []
    with django_capture_on_commit_callbacks(execute=True):
        update_profile(
            actor=SYSTEM, account=account, changes={"licence_expiry_date": TODAY + 365 * DAY}
        )
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.ACTIVE


def test_after_the_grace_period_the_cutoff_suspends_and_a_top_up_resumes(
    cast, django_capture_on_commit_callbacks
):
    _active(cast.customer)
    rules = settings_for(cast.customer)
    rules.cutoff_action, rules.cutoff_grace_days = "suspend", 0
    save_settings(actor=SYSTEM, settings=rules)
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": 0})
    credit(actor=SYSTEM, account=account, units=5, description="Opening")
    assert run_daily_checks(TODAY, actor=SYSTEM).suspended == []
    debit(actor=SYSTEM, account=account, units=5, description="Use")  # at the cutoff
    assert run_daily_checks(TODAY, actor=SYSTEM).suspended == [account.pk]
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.SUSPENDED
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=10, description="Top-up")
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.ACTIVE
    account.refresh_from_db()
    assert account.suspended_by_billing_at is None and account.cut_off_since is None


def test_an_admins_suspension_is_not_resumed_by_a_top_up(cast, django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=cast.customer.pk).update(status=Status.SUSPENDED)
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"cutoff_balance": 0})
    debit(actor=SYSTEM, account=account, units=1, description="Use")
    with django_capture_on_commit_callbacks(execute=True):
        credit(actor=SYSTEM, account=account, units=10, description="Top-up")
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.SUSPENDED


def test_billing_never_suspends_a_public_sector_or_inactive_billing_customer(cast):
    _active(cast.customer)
    rules = settings_for(cast.customer)
    rules.expiry_action = "suspend"
    save_settings(actor=SYSTEM, settings=rules)
    account = account_for(cast.customer)
    update_profile(actor=SYSTEM, account=account, changes={"licence_expiry_date": TODAY})
    for flag in ("public_sector", "inactive_billing"):
        Organisation.objects.filter(pk=cast.customer.pk).update(**{flag: True})
        assert run_daily_checks(TODAY, actor=SYSTEM).suspended == []
        Organisation.objects.filter(pk=cast.customer.pk).update(**{flag: False})
    cast.customer.refresh_from_db()
    assert cast.customer.status == Status.ACTIVE


def test_the_quota_warns_by_email_at_80_and_at_100_percent_once_each(
    cast, smtp, django_capture_on_commit_callbacks
):
    cast.customer.email = "billing@customer.example"
    cast.customer.save()
    account = account_for(cast.customer)
    set_credit_quota(
        actor=SYSTEM, account=account, amount=100, effective_date=TODAY, end_date=TODAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        debit(actor=SYSTEM, account=account, units=79, description="Use")
        assert run_daily_checks(TODAY, actor=SYSTEM).quota_warnings == []
        debit(actor=SYSTEM, account=account, units=2, description="Use")
        assert [p for _q, p in run_daily_checks(TODAY, actor=SYSTEM).quota_warnings] == [80]
        assert run_daily_checks(TODAY, actor=SYSTEM).quota_warnings == []
        debit(actor=SYSTEM, account=account, units=30, description="Use")
        assert [p for _q, p in run_daily_checks(TODAY, actor=SYSTEM).quota_warnings] == [100]
        run_daily_checks(TODAY, actor=SYSTEM)
    assert [m["Subject"].split(": ")[1] for m in smtp.messages] == [
        "80% of the credit quota used",
        "100% of the credit quota used",
    ]
