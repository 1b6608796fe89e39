from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # Every way into a session (the sign-in form, the admin's, a test's force_login) ends
        # in django.contrib.auth.login, whose signal is the one place to see them all.
        from portal.middleware import remember_two_factor_at_sign_in

        user_logged_in.connect(remember_two_factor_at_sign_in, dispatch_uid="canopy-two-factor")
        # The security log's and the list of sessions' receivers.
        from portal import signals

        # Django's last-login update, minus the user's history row per sign-in.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(
            signals.update_last_login_outside_history, dispatch_uid="canopy_update_last_login"
        )
