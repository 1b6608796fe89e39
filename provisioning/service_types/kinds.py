"""The job kinds of services and user administration that ``provisioning.plans.services`` runs.

Plain strings (a job row stores its kind as text), kept apart from the plans so that the
portal's service functions can name a kind without importing the engine.
"""


class ServiceJobKind:
    PROVISION_SERVICE = "provision_service"  # a service to a customer (also after a plan change)
    DEPROVISION_SERVICE = "deprovision_service"  # members removed, then the group deleted
    ASSIGN_SERVICES = "assign_services"  # make some users' services in AD match the portal
    IMPORT_USERS = "import_users"  # a bulk import: accounts, passwords, services
    CHANGE_PASSWORD = "change_password"  # a user's own new password
    UNLOCK_USER = "unlock_user"
    SET_ADMINISTRATOR = "set_administrator"  # membership of the customer's Admins group
