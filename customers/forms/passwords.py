"""The check every form that sets a password shares: typed twice, and within the policy."""

from __future__ import annotations

from customers.actions.passwords import password_problems
from customers.models import Organisation


class PasswordCheckMixin:
    """``check_pair`` for a form with a ``password`` field and a repeat field.

    A form names its repeat field (`repeat_field`) and its wording (`mismatch_message`);
    `policy_despite_mismatch` lists the policy's objections even when the two differ.
    """

    repeat_field = "password_repeat"
    mismatch_message = "The two passwords differ."
    policy_despite_mismatch = False

    organisation: Organisation

    def check_pair(self, cleaned: dict, username: str, display_name: str) -> None:
        password, repeat = cleaned.get("password"), cleaned.get(self.repeat_field)
        differ = bool(password) and repeat is not None and password != repeat
        if differ:
            self.add_error(self.repeat_field, self.mismatch_message)
        if password and (not differ or self.policy_despite_mismatch):
            for problem in password_problems(
                self.organisation, password, username=username, display_name=display_name
            ):
                self.add_error("password", problem)
