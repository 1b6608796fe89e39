from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers.management.demo import DEMO_PASSWORD, fresh_password, seed_demo


class Command(BaseCommand):
    help = "Create the demo provider, resellers, customers and a login for every built-in role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run with DEBUG off too; the logins then get a fresh random password.",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if settings.DEBUG:
            password = DEMO_PASSWORD
        elif allow_production:
            # The published demo password would open a superuser on a real portal.
            password = fresh_password()
        else:
            raise CommandError(
                "seed_demo makes logins, a superuser among them, with the password printed in "
                "the README; it does not run with DEBUG off. Add --allow-production to load "
                "the demo with a fresh random password instead."
            )
        logins = seed_demo(password=password)
        self.stdout.write(f"Demo logins (password for all new ones: {password}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.role} of {login.organisation}")
