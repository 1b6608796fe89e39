"""The German and French catalogues are complete: every string the source marks for
translation (templates, forms, models, messages, e-mails) has a translation that is not
fuzzy, and each translation keeps its msgid's placeholders.

The source's strings are extracted again exactly as `make messages` does (same command,
same ignores, read from the Makefile), into a copy of the tree, so the shipped catalogues are
never touched. A new or changed string without its translation fails here, named.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def make_variable(name: str) -> str:
    """A ``NAME := value`` from the Makefile, with its backslash-continued lines."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name} := ((?:.*\\\n)*.*)$", text, re.M)
    assert match, f"{name} is not in the Makefile"
    return " ".join(match.group(1).replace("\\\n", " ").split())


IGNORES = make_variable("MESSAGE_IGNORES").split()
# Never copied: what makemessages skips anyway, and the repository's own machinery.
NOT_COPIED = {pattern.split("=", 1)[1] for pattern in IGNORES} | {
    ".git",
    "__pycache__",
    ".ruff_cache",
    ".import_linter_cache",
    ".pytest_cache",
    "test-results",
}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A copy of the source with its catalogues brought up to date by makemessages."""
    tree = tmp_path_factory.mktemp("source") / "canopy"
    shutil.copytree(
        ROOT,
        tree,
        ignore=lambda folder, names: [
            name for name in names if name in NOT_COPIED or name.endswith((".mo", ".pyc"))
        ],
    )
    languages = [flag for code in LANGUAGES for flag in ("-l", code)]
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            *languages,
            "--no-obsolete",
            "--no-location",
            *IGNORES,
        ],
        cwd=tree,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=True,
        capture_output=True,
        timeout=180,
    )
    return tree


def catalogue(root: Path, language: str) -> polib.POFile:
    return polib.pofile(str(root / "locale" / language / "LC_MESSAGES" / "django.po"))


def test_the_makefile_extracts_the_languages_the_portal_speaks():
    flags = make_variable("MESSAGE_LANGUAGES").split()
    assert sorted(flags[1::2]) == sorted(LANGUAGES)
    assert all(flag == "-l" for flag in flags[::2])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_source_has_a_translation_that_is_not_fuzzy(extracted, language):
    left = [
        ("fuzzy" if "fuzzy" in entry.flags else "missing", entry.msgid)
        for entry in catalogue(extracted, language)
        if not entry.obsolete and ("fuzzy" in entry.flags or not entry.translated())
    ]

    assert not left, (
        f"locale/{language}/LC_MESSAGES/django.po lacks {len(left)} translation(s); run "
        f"`make messages` and translate them:\n" + "\n".join(f"  {k}: {m!r}" for k, m in left)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_catalogue_is_what_extraction_gives(extracted, language):
    """Nothing is translated only in the copy: the shipped file already holds every msgid."""
    shipped = {entry.msgid for entry in catalogue(ROOT, language) if not entry.obsolete}
    fresh = {entry.msgid for entry in catalogue(extracted, language) if not entry.obsolete}

    assert not fresh - shipped, sorted(fresh - shipped)


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w+\}|</?[a-z]+[^>]*>")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_translation_keeps_its_placeholders_and_markup(language):
    wrong = []
    for entry in catalogue(ROOT, language):
        pairs = (
            [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, text in pairs:
            if text and sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append((entry.msgid, text))

    assert not wrong, wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_compiles_with_its_formats_checked(language, tmp_path):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
