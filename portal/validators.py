"""The portal's password floor, in the words of the organisations' own password rules."""

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import ngettext


class FloorLengthValidator(MinimumLengthValidator):
    """Django's minimum length, saying that no organisation's policy goes below it."""

    def get_error_message(self) -> str:
        return ngettext(
            "Use at least %(min_length)d character: the portal's minimum for every organisation.",
            "Use at least %(min_length)d characters: the portal's minimum for every organisation.",
            self.min_length,
        ) % {"min_length": self.min_length}
