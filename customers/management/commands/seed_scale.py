import sys
import time

from django.core.management.base import BaseCommand, CommandError

from customers.management.scale import seed_scale
from customers.models import Organisation


class Command(BaseCommand):
    help = "Insert a large tenant tree for benchmarks (100,000 organisations load in minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, required=True, help="organisations to create")
        parser.add_argument("--users", type=int, default=0, help="users to create")
        parser.add_argument("--prefix", default="S", help="code prefix (letters and digits)")

    def handle(self, *args, orgs, users, prefix, **options):
        if orgs < 1 or users < 0:
            raise CommandError("--orgs must be at least 1 and --users not negative")
        if not prefix.isalnum():
            raise CommandError("--prefix must be letters and digits")
        if Organisation.objects.filter(code=f"{prefix}P").exists():
            raise CommandError(f"a tree with prefix {prefix!r} exists; choose another --prefix")
        started = time.monotonic()
        seed_scale(organisations=orgs, users=users, prefix=prefix, progress=self.progress)
        sys.stdout.write("\n")
        self.stdout.write(
            f"Created {orgs} organisations and {users} users in {time.monotonic() - started:.1f} s."
        )

    def progress(self, stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(f"\r{stage:<14} [{bar}] {done}/{total}", ending="")
        self.stdout.flush()
