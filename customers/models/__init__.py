"""Organisations, their people, roles and the grants that give those people power."""

from customers.models.api_keys import ApiKey
from customers.models.branding import PortalHost, Theme
from customers.models.contact import Contact
from customers.models.domain import Domain
from customers.models.email import Audience, CustomerEmail, NoticeKind
from customers.models.imports import ImportState, UserImport
from customers.models.organisation import Organisation, OrganisationType, Status, Tag
from customers.models.permissions import (
    OrganisationGroupObjectPermission,
    OrganisationUserObjectPermission,
)
from customers.models.roles import Role, RoleGrant
from customers.models.security import SecurityEvent, SecurityEventKind, UserSession
from customers.models.services import (
    CustomerService,
    Plan,
    Service,
    ServiceType,
    SubscriptionStatus,
    UserService,
)
from customers.models.user import User
from customers.models.webhooks import (
    DeliveryState,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)

__all__ = [
    "ApiKey",
    "Audience",
    "Contact",
    "CustomerEmail",
    "CustomerService",
    "DeliveryState",
    "Domain",
    "ImportState",
    "NoticeKind",
    "Organisation",
    "OrganisationGroupObjectPermission",
    "OrganisationType",
    "OrganisationUserObjectPermission",
    "Plan",
    "PortalHost",
    "Role",
    "RoleGrant",
    "SecurityEvent",
    "SecurityEventKind",
    "Service",
    "ServiceType",
    "Status",
    "SubscriptionStatus",
    "Tag",
    "Theme",
    "User",
    "UserImport",
    "UserService",
    "UserSession",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
]
