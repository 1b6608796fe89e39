"""The house map (docs/architecture.md) holds: imports run down, one owner per rule.

These read the source, not the running portal: a contributor who breaks the map finds out
here, with the file and line named, before a reviewer does.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "customers", "provisioning", "billing", "directory", "portal")
LIFECYCLE = Path("customers/actions/lifecycle.py")


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative, ast.parse(path.read_text(), filename=str(relative))


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layers_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_arrow_breaks_the_build(tmp_path):
    """The contracts are not decoration: customers reaching up into provisioning, even from
    inside a function, fails the check."""
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    contacts = tmp_path / "customers" / "actions" / "contacts.py"
    contacts.write_text(
        contacts.read_text()
        + "\n\ndef _sneaky():\n    from provisioning.actions import jobs\n\n    return jobs\n"
    )

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "customers.actions.contacts -> provisioning.actions.jobs" in result.stdout


def test_no_project_import_hides_inside_a_function():
    """An import inside a function is how a circle gets dodged; AppConfig.ready, where Django
    wants registrations loaded, is the one place for it."""
    hidden = []
    for relative, tree in _modules():
        if relative.name == "apps.py":
            continue
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module:
                    name = node.module
                elif isinstance(node, ast.Import):
                    name = node.names[0].name
                else:
                    continue
                if name.split(".")[0] in APPS:
                    hidden.append(f"{relative}:{node.lineno} imports {name}")
    assert hidden == []


def _writes_status(node: ast.AST) -> bool:
    """``x.status = Status...`` / ``x.status = target``, or ``.update(status=...)`` with such
    a value. Other models' own statuses (``SubscriptionStatus``, ``InvoiceStatus``, ...) are
    written where those models live."""

    def organisation_status(value: ast.AST) -> bool:
        return isinstance(value, ast.Name) or any(
            isinstance(part, ast.Attribute)
            and isinstance(part.value, ast.Name)
            and part.value.id == "Status"
            for part in ast.walk(value)
        )

    if isinstance(node, ast.Assign):
        return any(
            isinstance(target, ast.Attribute) and target.attr == "status" for target in node.targets
        ) and organisation_status(node.value)
    updates = (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"update", "bulk_update"}
    )
    if updates:
        # A subscription's filter names its model even when the new status is a variable.
        about_subscriptions = any(
            name in ast.unparse(node) for name in ("SubscriptionStatus", "CustomerService")
        )
        return not about_subscriptions and any(
            keyword.arg == "status" and organisation_status(keyword.value)
            for keyword in node.keywords
        )
    return False


def test_only_the_lifecycle_module_writes_an_organisations_status():
    writers = [
        f"{relative}:{node.lineno}"
        for relative, tree in _modules()
        if relative != LIFECYCLE
        for node in ast.walk(tree)
        if _writes_status(node)
    ]
    assert writers == []


def test_the_lifecycle_module_does_write_it():
    """The check above must be able to see a write: it finds the ones that are allowed."""
    tree = ast.parse((ROOT / LIFECYCLE).read_text())
    assert any(_writes_status(node) for node in ast.walk(tree))


def test_no_action_lets_a_missing_actor_skip_its_checks():
    """Actions take a required ``actor``; the portal itself is ``core.actors.SYSTEM``."""
    defaults_to_none = []
    for relative, tree in _modules():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            arguments = function.args
            for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
                if argument.arg == "actor" and isinstance(default, ast.Constant):
                    defaults_to_none.append(f"{relative}:{function.lineno} {function.name}")
    assert defaults_to_none == []


@pytest.mark.parametrize("package", ["customers", "provisioning", "billing"])
def test_no_module_named_services_is_a_write_layer(package):
    # Source files, not the folder: a checkout updated in place keeps the old package's
    # ignored __pycache__ folder, which is no module.
    assert list((ROOT / package / "services").glob("**/*.py")) == []
    assert not (ROOT / package / "services.py").exists()
