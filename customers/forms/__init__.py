"""Customer forms: labels are the seed products' field names; choices are scoped."""

from customers.forms.administrator import AdministratorForm
from customers.forms.lifecycle import DeleteForm, MoveForm
from customers.forms.organisation import OrganisationEditForm, OrganisationForm, QuickCreateForm
from customers.forms.related import ContactForm, DomainForm, GrantForm

__all__ = [
    "AdministratorForm",
    "ContactForm",
    "DeleteForm",
    "DomainForm",
    "GrantForm",
    "MoveForm",
    "OrganisationEditForm",
    "OrganisationForm",
    "QuickCreateForm",
]
