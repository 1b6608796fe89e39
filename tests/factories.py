"""factory-boy factories that build through the service layer, as the portal does."""

import itertools

import factory

from customers.models import Organisation, Role, User
from customers.services.organisations import create_organisation
from customers.services.roles import grant_role
from customers.services.users import create_user

_sequence = itertools.count(1)
PASSWORD = "Correct-horse-9!"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, domains=None, **kwargs):
        if domains is None:
            domains = [f"org{next(_sequence)}.example"]
        return create_organisation(actor=None, domains=domains, **kwargs)


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
        return create_user(actor=None, organisation=organisation, role=role, **kwargs)


def grant(user, organisation, role_name):
    return grant_role(
        actor=None, user=user, organisation=organisation, role=Role.objects.get(name=role_name)
    )
