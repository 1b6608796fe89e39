import time

from django.core.management.base import BaseCommand, CommandError

from customers.management.scale import analyze, create_logins, seed_scale
from customers.models import Organisation


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """One line per stage, redrawn in place: a bar, rows done, the rate and the time left.

    A stage's clock starts at its first report, so each stage's rate is its own.
    """

    WIDTH = 30

    def __init__(self, out) -> None:
        self.out = out
        self.stage: str | None = None
        self.started = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            if self.stage is not None:
                self.out.write("")
            self.stage, self.started = stage, now
        elapsed = now - self.started
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate else 0.0
        if done >= total:
            timing = _duration(elapsed)
        elif done == 0:
            timing = "starting"
        else:
            timing = f"{rate:,.0f}/s, {_duration(left)} left"
        self.out.write(f"\r{stage:<14} [{bar}] {done:,}/{total:,}  {timing}   ", ending="")
        self.out.flush()

    def finish(self) -> None:
        if self.stage is not None:
            self.out.write("")
        self.stage = None


class Command(BaseCommand):
    help = (
        "Insert a large tenant tree for benchmarks (100,000 organisations load in minutes), "
        "ANALYZE it, and print a provider admin's and a reseller admin's login."
    )

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
        progress = Progress(self.stdout)
        root = seed_scale(organisations=orgs, users=users, prefix=prefix, progress=progress)
        logins = create_logins(root, prefix)
        # After the commit: statistics of the rows as they are, or the planner guesses from
        # empty tables and the first benchmarks measure sequential scans.
        analyze(progress)
        progress.finish()
        self.stdout.write(
            f"Created {orgs:,} organisations and {users:,} users in "
            f"{_duration(time.monotonic() - started)}."
        )
        self.stdout.write("Logins (the passwords are shown only now):")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<14} {login.password}  {login.role} of "
                f"{login.organisation.name} ({login.organisation.get_descendant_count():,} "
                "organisations below)"
            )
