"""What the German and French catalogues still lack, and a way to fill it in.

    python scripts/untranslated.py                 list the entries that are empty or fuzzy
                                                   (exit status 1 while any are left)
    python scripts/untranslated.py --tsv FILE      write them to FILE, one a line:
                                                   msgid <TAB> German <TAB> French
                                                   (a plural's msgid is "singular||plural",
                                                   its translations "one||many"; a newline
                                                   is written \\n)
    python scripts/untranslated.py --apply FILE    put FILE's translations into both
                                                   catalogues (and clear their fuzzy marks)

`make messages` runs the first after makemessages. Needs polib (a dev dependency).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("de", "fr")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"), wrapwidth=79)


def missing(po: polib.POFile) -> list[polib.POEntry]:
    return [
        entry
        for entry in po
        if not entry.obsolete and ("fuzzy" in entry.flags or not entry.translated())
    ]


def key(entry: polib.POEntry) -> str:
    text = f"{entry.msgid}||{entry.msgid_plural}" if entry.msgid_plural else entry.msgid
    return text.replace("\n", "\\n")


def report() -> int:
    left = 0
    for language in LANGUAGES:
        entries = missing(catalogue(language))
        left += len(entries)
        print(f"{language}: {len(entries)} to translate (locale/{language}/LC_MESSAGES/django.po)")
        for entry in entries:
            print(f"  {'fuzzy' if 'fuzzy' in entry.flags else 'empty'}: {entry.msgid!r}")
    return 1 if left else 0


def write_tsv(path: Path) -> int:
    keys: dict[str, None] = {}
    for language in LANGUAGES:
        for entry in missing(catalogue(language)):
            keys[key(entry)] = None
    path.write_text("".join(f"{k}\t\t\n" for k in keys), encoding="utf-8")
    print(f"{len(keys)} entries to translate in {path}")
    return 0


def apply_tsv(path: Path) -> int:
    rows: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 1 + len(LANGUAGES) or not all(parts):
            print(f"{path}:{number}: want msgid and {len(LANGUAGES)} translations", file=sys.stderr)
            return 2
        rows[parts[0]] = [part.replace("\\n", "\n") for part in parts[1:]]
    for column, language in enumerate(LANGUAGES):
        po = catalogue(language)
        for entry in po:
            if key(entry) not in rows:
                continue
            text = rows[key(entry)][column]
            if entry.msgid_plural:
                one, _sep, many = text.partition("||")
                entry.msgstr_plural = {0: one, 1: many or one}
            else:
                entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = None
        po.save()
    print(f"applied {len(rows)} entries; run `make messages` again to check")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tsv", type=Path, help="write what is left to this file")
    group.add_argument("--apply", type=Path, help="put this file's translations in")
    arguments = parser.parse_args()
    if arguments.tsv:
        return write_tsv(arguments.tsv)
    if arguments.apply:
        return apply_tsv(arguments.apply)
    return report()


if __name__ == "__main__":
    sys.exit(main())
