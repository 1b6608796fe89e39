"""List what the German and French catalogues still lack: entries that are empty or fuzzy.

`make messages` runs it after makemessages; exit status 1 while anything is left, so the
lead sees at once what to translate. Needs polib (a dev dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def missing(po_path: Path) -> list[polib.POEntry]:
    catalogue = polib.pofile(str(po_path))
    return [
        entry
        for entry in catalogue
        if not entry.obsolete and ("fuzzy" in entry.flags or not entry.translated())
    ]


def main() -> int:
    left = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        entries = missing(po_path)
        left += len(entries)
        language = po_path.parent.parent.name
        print(f"{language}: {len(entries)} to translate ({po_path.relative_to(LOCALE.parent)})")
        for entry in entries:
            print(f"  {'fuzzy' if 'fuzzy' in entry.flags else 'empty'}: {entry.msgid!r}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
