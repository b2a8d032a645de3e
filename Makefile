# The two commands of the README: `make demo` and `make test`. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.12 (rdk_config.json); tests run on the same minor version.
PYTHON ?= $(shell for p in $(HOME)/.pyenv/versions/3.12.*/bin/python python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v "$$p"; break; }; done)
PYTHON311 ?= $(shell for p in $(HOME)/.pyenv/versions/3.11.*/bin/python python3.11; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null && { command -v "$$p"; break; }; done)
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
RULE := MQ_NETWORK_OF_BROKERS
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check
CODE := MQ_NETWORK_OF_BROKERS src tests bench scripts

.PHONY: help demo test lint typecheck template-checks unit activemq activemq-diff browser rdk-test bench package build-RuleFunction build-HookFunction generate embed clean

help:
	@echo "make demo   - set up, then run the rule on an emulated account (no AWS credentials)"
	@echo "make test   - set up, then run every check and test (what CI runs)"
	@echo "make bench  - print API-call, cold-start, audit, pattern and prevent (hook, checker) figures"
	@echo "make package - build/lambda and build/template.yaml for aws cloudformation package"
	@echo "make generate - rewrite the generated parts (parameters, rule metadata, the SSM script) after an edit"
	@echo "make activemq-diff SEED=1 N=24 - the rule against real ActiveMQ on N generated topologies from SEED"

$(VENV)/.python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it (e.g. pyenv install 3.12) or run make PYTHON=/path/to/python3.12" >&2; exit 2; }
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip
	touch $@

$(VENV)/.demo: $(VENV)/.python requirements-demo.txt MQ_NETWORK_OF_BROKERS/requirements.txt pyproject.toml
	$(BIN)/pip install $(PIP_QUIET) -r requirements-demo.txt
	$(BIN)/pip install $(PIP_QUIET) --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.demo requirements-dev.txt
	$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found" >&2; exit 2; }
	"$(PYTHON)" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_QUIET) -r requirements-checkov.txt
	touch $@

demo: $(VENV)/.demo
	$(BIN)/mq-network-demo

lint: $(VENV)/.dev
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

typecheck: $(VENV)/.dev
	$(BIN)/mypy
	@# The rule's code must also load on Python 3.11 (older runtimes, SSM's executeScript for mesh.py).
	@if [ -n "$(PYTHON311)" ]; then "$(PYTHON311)" -c 'import pathlib; \
		[compile(p.read_text(), str(p), "exec") for d in ("MQ_NETWORK_OF_BROKERS", "src") for p in pathlib.Path(d).rglob("*.py")]' \
		&& echo "compiles on Python 3.11"; \
	else echo "Python 3.11 not found: 3.11 compile check skipped"; fi

template-checks: $(VENV)/.dev $(CHECKOV_VENV)/.installed
	$(BIN)/cfn-lint template.yaml member-role.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		-f template.yaml -f member-role.yaml

unit: $(VENV)/.dev activemq browser
	$(BIN)/pytest

# The picture tests need Graphviz, Debian's Chromium, and tests/browser's npm packages (Mermaid's
# parser, Playwright): installed here when possible; elsewhere those tests skip loudly (fail under CI).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! command -v dot >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's chromium and graphviz for the picture tests"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q chromium graphviz fonts-dejavu-core >/dev/null 2>&1 || \
				{ apt-get update -q >/dev/null && apt-get install -y -q chromium graphviz fonts-dejavu-core >/dev/null; } || \
				echo "could not install chromium/graphviz: the picture tests will skip (and fail under CI)"; \
		else echo "chromium/graphviz missing and this is not root on Debian: the picture tests will skip"; fi; \
	fi
	@if command -v npm >/dev/null; then \
		[ -d tests/browser/node_modules/playwright-core ] || \
			npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error || \
			echo "npm ci failed: the Mermaid and browser tests will skip (and fail under CI)"; \
	else echo "npm missing: the Mermaid and browser tests will skip"; fi

# The real-broker tests (tests/activemq) need Debian's ActiveMQ 5.17, and a JDK (javac) for the
# URI reader test, which compiles a few lines of Java against ActiveMQ's jars (the activemq package
# brings only a JRE): installed here when root on Debian; elsewhere those tests skip with one loud
# line (and fail under CI=true).
activemq:
	@if [ ! -f /usr/share/activemq/bin/activemq.jar ] || ! command -v javac >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's activemq and default-jdk-headless for the real-broker tests"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q activemq default-jdk-headless >/dev/null 2>&1 || \
				{ apt-get update -q >/dev/null && apt-get install -y -q activemq default-jdk-headless >/dev/null; } || \
				echo "could not install activemq and a JDK: the real-broker tests will skip (and fail under CI)"; \
		else echo "ActiveMQ or javac is not installed and this is not root on Debian: the real-broker tests will skip"; fi; \
	fi

# More generated topologies against real ActiveMQ than make test runs (tests/activemq/test_differential.py):
# seeds SEED..SEED+N-1, booted BATCH topologies at a time. A disagreement prints its seed and topology.
SEED ?= 1
N ?= 24
BATCH ?= 40
activemq-diff: $(VENV)/.dev activemq
	ACTIVEMQ_DIFF_SEED=$(SEED) ACTIVEMQ_DIFF_N=$(N) ACTIVEMQ_DIFF_BATCH=$(BATCH) ACTIVEMQ_DIFF_ONLY_GENERATED=1 \
		$(BIN)/pytest tests/activemq/test_differential.py -k generated

rdk-test: $(VENV)/.dev
	$(BIN)/rdk test-local $(RULE)
	$(BIN)/rdk create-rule-template $(RULE) -o "$$(mktemp -d)/rdk-rule-template.json"

test: lint typecheck template-checks rdk-test unit

bench: $(VENV)/.dev
	$(BIN)/python bench/api_calls.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/audit_regions.py
	$(BIN)/python bench/audit_floor.py
	$(BIN)/python bench/audit_org.py
	$(BIN)/python bench/pattern_bench.py
	$(BIN)/python bench/prevent_bench.py
	$(BIN)/python bench/rule_metadata.py

# sam build runs this target (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set: the
# rule's code and requirements for Lambda arm64, with bytecode that needs no writable disk.
# manylinux_2_28 too: google-re2's wheels need glibc 2.28 (Lambda's python3.12 runtime has 2.34).
build-RuleFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "set ARTIFACTS_DIR (sam build does)" >&2; exit 2; }
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: run make PYTHON=/path/to/python3.12" >&2; exit 2; }
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -R "$(ROOT)/$(RULE)/$(RULE).py" "$(ROOT)/$(RULE)/mq_network" "$(ARTIFACTS_DIR)/"
	rm -rf "$(ARTIFACTS_DIR)/mq_network/__pycache__"
	"$(PYTHON)" -m pip install $(PIP_QUIET) --no-compile --target "$(ARTIFACTS_DIR)" \
		--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
		--implementation cp --python-version 3.12 --only-binary=:all: \
		-r "$(ROOT)/$(RULE)/requirements.txt"
	"$(PYTHON)" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"

# The hook function is the same package with another handler (template.yaml: HookFunction).
build-HookFunction: build-RuleFunction

# Writes every generated part (scripts/generate.py): the SSM document's script (mesh.py and the rule
# modules it imports), the rule's parameters from PARAMETER_SPECS into rdk_config.json, parameters.json,
# template.yaml and the README's table, and the rule's metadata (mq_network/core/rule_metadata.json).
# tests/test_generated.py fails when any of them differs. `make embed` is its former name.
generate: $(VENV)/.python
	$(BIN)/python scripts/generate.py

embed: generate

# Without the SAM CLI: aws cloudformation package --template-file build/template.yaml ...
package:
	rm -rf build
	$(MAKE) build-RuleFunction ARTIFACTS_DIR="$(ROOT)/build/lambda"
	sed -e 's#CodeUri: $(RULE)/#CodeUri: lambda/#' -e '/BuildMethod: makefile/d' -e '/ContextPath: \./d' \
		-e '/ProjectRootDirectory: \./d' template.yaml > build/template.yaml
	@echo "built build/lambda ($$(du -sh build/lambda | cut -f1)) and build/template.yaml"

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .aws-sam .pytest_cache .mypy_cache .ruff_cache
