"""factory-boy factories: organisations through the actions, as the portal makes them; users
as bare members (see ``member``)."""

import itertools

import factory

from core.actors import SYSTEM
from customers.actions.organisations import create_organisation
from customers.actions.roles import grant_role
from customers.actions.verification import verify_by_hand
from customers.models import Organisation, Role, User

_sequence = itertools.count(1)
PASSWORD = "Correct-horse-9!"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, domains=None, verified=True, **kwargs):
        """``verified``: the stage's domains are proven, as the provider would vouch for
        them; a test about verification itself passes ``verified=False``."""
        if domains is None:
            domains = [f"org{next(_sequence)}.example"]
        organisation = create_organisation(actor=SYSTEM, domains=domains, **kwargs)
        if verified:
            for domain in organisation.domains.all():
                verify_by_hand(actor=SYSTEM, domain=domain)
        return organisation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")

    @classmethod
    def _create(cls, model_class, *args, organisation, role=None, **kwargs):
        domain = organisation.domains.filter(is_primary=True).first()
        kwargs.setdefault("upn", f"{kwargs['username']}@{domain.name if domain else 'x.example'}")
        kwargs.setdefault("password", PASSWORD)
        if isinstance(role, str):
            role = Role.objects.get(name=role)
        return member(organisation=organisation, role=role, **kwargs)


def member(*, organisation, role=None, password=None, is_admin=False, **fields):
    """A user row with its role and nothing else: no seat taken, no directory job requested.

    Fixtures set the stage; tests that are about creating a user call the action,
    ``customers.actions.users.create_user``, which does all of that.
    """
    is_admin = is_admin or not organisation.users.exists()  # as create_user decides it
    user = User(organisation=organisation, is_admin=is_admin, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if role is None:
        role = Role.objects.get(name="Customer Admin" if is_admin else "User")
    grant_role(actor=SYSTEM, user=user, organisation=organisation, role=role)
    return user


def grant(user, organisation, role_name):
    return grant_role(
        actor=SYSTEM, user=user, organisation=organisation, role=Role.objects.get(name=role_name)
    )
