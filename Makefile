# Canopy: `make run` to try it on this machine, `make test` for what CI runs.
#
# Every recipe is one bash script (.ONESHELL) that stops at the first failing command.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Present when the venv holds what pyproject.toml asks for; older than pyproject -> reinstall.
VENV_STAMP := $(VENV)/.canopy-installed
STATE := .state
WORKER_PID := $(STATE)/worker.pid
WORKER_LOG := $(STATE)/worker.log
RUN_ADDR ?= 127.0.0.1:8000

# Stops the `make run` worker if one is still alive. Its pid is only trusted while that
# process is still a Celery worker for this project (pids get reused).
define STOP_WORKER
stop_worker() {
    local pid
    [[ -s $(WORKER_PID) ]] || return 0
    pid="$$(tr -dc '0-9' <$(WORKER_PID))"
    if [[ -n $$pid ]] && grep -qa 'celery' "/proc/$$pid/cmdline" 2>/dev/null; then
        echo "Stopping the Celery worker (pid $$pid)"
        kill -TERM "$$pid" 2>/dev/null || true
        for _ in $$(seq 1 40); do kill -0 "$$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$$pid" 2>/dev/null || true
    fi
    rm -f $(WORKER_PID)
}
endef

# What the tests and benchmarks run against: PostgreSQL, Redis and the project's Samba DC.
define SERVICES_ENV
scripts/services.sh install-packages
scripts/services.sh ensure-postgres
scripts/services.sh ensure-redis
scripts/samba-dc.sh start || {
    echo "The Samba DC did not start. If another checkout's DC holds its ports, share it:" >&2
    echo "  CANOPY_STATE_DIR=<that checkout>/.state make $@" >&2
    exit 1
}
eval "$$(scripts/samba-dc.sh env)"
export CELERY_BROKER_URL=redis://127.0.0.1:6379/15
export SECRET_KEY=canopy-test-only-secret-key-not-for-any-real-deployment-0123456789
export DEBUG=false
# Django's test client and live server speak plain http; everything else stays as in production.
export SECURE_SSL_REDIRECT=false
endef

# The catalogues' languages besides English (settings.LANGUAGES), and what makemessages skips.
MESSAGE_LANGUAGES := -l de -l fr
MESSAGE_IGNORES := --ignore=.venv --ignore=staticfiles --ignore=node_modules --ignore=.state \
	--ignore=static --ignore=tests --ignore=bench --ignore=docs

.PHONY: help venv run test lint format bench clean-state messages

help:
	@echo "make run          start Canopy on http://$(RUN_ADDR)/ with demo data, a worker and (as root) a local Samba DC"
	echo "make test         lint, migration check and the whole test suite on PostgreSQL, Redis and Samba (what CI runs)"
	echo "make lint         ruff check + ruff format --check"
	echo "make format       ruff format + ruff check --fix"
	echo "make bench        every bench/*.py that runs as a script"
	echo "make messages     extract new strings into locale/{de,fr}/LC_MESSAGES/django.po to translate"
	echo "make clean-state  stop the local worker and DC and delete .state/ and staticfiles/"

$(VENV_STAMP): pyproject.toml
	@if [[ ! -x $(BIN)/python ]]; then
	    echo "Creating $(VENV) with $(PYTHON)"
	    $(PYTHON) -m venv $(VENV) || {
	        rm -rf $(VENV)
	        scripts/services.sh ensure-python
	        $(PYTHON) -m venv $(VENV)
	    }
	fi
	echo "Installing Canopy and its dev dependencies into $(VENV) (pyproject.toml changed)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV_STAMP)

run: venv
	@mkdir -p $(STATE)
	if [[ -f .env ]]; then set -a; source ./.env; set +a; fi  # your overrides (see .env.example)
	$(STOP_WORKER)
	stop_worker  # one left over from an earlier run that did not end cleanly
	trap stop_worker EXIT
	trap 'exit 130' INT TERM
	state="$${CANOPY_STATE_DIR:-$(STATE)}"  # where the settings and scripts/samba-dc.sh keep it
	# DEBUG off (nobody sees a debug traceback), plain http allowed, a key of our own.
	eval "$$(scripts/run-env.sh "$$state")"
	if [[ -n $${DIRECTORY_URL:-} ]]; then
	    directory="$$DIRECTORY_URL (from your environment)"
	elif [[ $$(id -u) -eq 0 ]] && scripts/samba-dc.sh start; then
	    eval "$$(scripts/samba-dc.sh env)"
	    directory="$$DIRECTORY_URL (the local Samba DC in $$state/samba; stop it with: scripts/samba-dc.sh stop)"
	else
	    directory=""
	fi
	scripts/services.sh ensure-gettext
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0  # locale/*.mo are build output
	$(MANAGE) migrate --noinput
	# The demo logins get the README's published password only in a DEBUG process: this one
	# command runs with DEBUG, the portal and the worker do not.
	logins="$$(DEBUG=true $(MANAGE) seed_demo)"
	$(MANAGE) collectstatic --noinput --verbosity 0  # WhiteNoise serves the manifest's files
	# kombu's file-system transport (the default broker) does not create its own folders.
	mkdir -p "$$state/broker/queue" "$$state/broker/processed"
	$(BIN)/celery -A portal worker -B --loglevel=info >$(WORKER_LOG) 2>&1 &
	echo $$! >$(WORKER_PID)
	for _ in $$(seq 1 60); do
	    grep -q ' ready\.' $(WORKER_LOG) && break
	    if ! kill -0 "$$(cat $(WORKER_PID))" 2>/dev/null; then
	        tail -n 30 $(WORKER_LOG)
	        echo "The Celery worker exited during start-up (log: $(WORKER_LOG))." >&2
	        exit 1
	    fi
	    sleep 0.5
	done
	echo
	echo "Canopy: http://$(RUN_ADDR)/"
	echo "$$logins"
	echo "Celery worker: pid $$(cat $(WORKER_PID)), log $(WORKER_LOG)"
	case $$EMAIL_URL in
	    filemail://*) echo "E-mail: written as files to $${EMAIL_URL#filemail://}/ (nothing leaves this machine)" ;;
	    *) echo "E-mail: sent through $${EMAIL_URL##*@} (EMAIL_URL)" ;;
	esac
	if [[ -n $$directory ]]; then
	    echo "Directory: $$directory"
	else
	    echo "Directory: NONE CONNECTED. The local Samba DC could not be started (it needs root on"
	    echo "  Debian and free LDAP ports; see the messages above). The portal works, but its jobs"
	    echo "  cannot reach a directory until DIRECTORY_URL is set (see .env.example)."
	fi
	echo "Stop with Ctrl-C."
	echo
	$(MANAGE) runserver $(RUN_ADDR)

test: venv
	@$(SERVICES_ENV)
	# TEST_DATABASE_URL lets two checkouts on one machine test side by side (test_<name>_gwN).
	export DATABASE_URL="$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/canopy}"
	echo "== ruff check"
	$(BIN)/ruff check .
	echo "== ruff format --check"
	$(BIN)/ruff format --check .
	echo "== lint-imports (the house map: docs/architecture.md)"
	$(BIN)/lint-imports --no-cache
	echo "== makemigrations --check"
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) collectstatic --noinput --verbosity 0  # DEBUG=false serves the manifest's files
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0  # locale/*.mo are build output
	echo "== pytest, in parallel"
	$(BIN)/pytest -n 2 -m "not serial"
	# Tests that start real Celery workers on the shared broker, or stop the shared DC,
	# would disturb whatever runs beside them: they run alone, after the rest.
	echo "== pytest, serial tests"
	$(BIN)/pytest -m serial

lint: venv
	@$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: venv
	@$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks get the same services as the tests, and a database of their own (canopy_bench,
# which they migrate and fill themselves; see BENCH_DATABASE_URL in bench/*.py).
bench: venv
	@$(SERVICES_ENV)
	CANOPY_DB_NAME=canopy_bench scripts/services.sh ensure-postgres
	failed=()
	ran=0
	for script in bench/*.py; do
	    [[ -f $$script ]] && grep -q '__name__ == "__main__"' "$$script" || continue
	    echo "== $$script"
	    ran=$$((ran + 1))
	    PYTHONPATH="$(CURDIR)" $(BIN)/python "$$script" || failed+=("$$script")
	done
	echo "Ran $$ran benchmark(s)."
	if (($${#failed[@]})); then
	    echo "Failed: $${failed[*]}"
	    exit 1
	fi

# New and changed strings into the German and French catalogues (then translate the entries
# that are empty or fuzzy; tests/portal/test_catalogues.py names any that are left).
messages: venv
	@$(MANAGE) makemessages $(MESSAGE_LANGUAGES) --no-obsolete --no-location $(MESSAGE_IGNORES)
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0
	$(BIN)/python scripts/untranslated.py

clean-state:
	@$(STOP_WORKER)
	stop_worker
	if [[ -x scripts/samba-dc.sh ]]; then scripts/samba-dc.sh stop; fi
	rm -rf $(STATE) staticfiles
	echo "Removed $(STATE)/ and staticfiles/"
