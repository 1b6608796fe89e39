from django.core.management.base import BaseCommand

from customers.management.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo provider, resellers, customers and a login for every built-in role."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.role} of {login.organisation}")
