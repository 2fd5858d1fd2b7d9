# SDMFormer co-design flow. Every target bootstraps ./.venv on first use.
#   make test   — install (CPU torch pinned by constraints.txt) and run the test suite
#   make sim    — the main job: generate the RTL of $(IR), simulate $(N) test samples in
#                 Verilator and compare every layer tap, logit and class with the golden model
#   make csim   — generate the HLS C++ of $(IR) and C-simulate it with g++ on the whole test
#                 split (CSIM_ARGS="--samples 20" for fewer), every tap compared with the golden model
#   make hls    — generate the HLS project of $(IR) and run Vitis HLS on it (csim, csynth,
#                 cosim, IP export; needs vitis_hls)
#   make bitstream — generate the project for $(BOARD) and build its bitstream (needs Vivado;
#                 BACKEND=hls: the HLS project, needs Vitis HLS and Vivado)
#   make deploy — generate the project for $(BOARD) and bundle it for the board
#                 (build/deploy/$(BOARD)/ and build/deploy/sdmf-$(BOARD).tar.gz; docs/board.md)
#   make lint   — ruff
#   make mutants — inject the faults of tests/mutations/catalog.py one at a time and show that
#                 the CPU tests catch each (exits non-zero if one survives)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SDMF := $(VENV)/bin/sdmf
STAMP := $(VENV)/.installed
PIP_FLAGS ?= --disable-pip-version-check -q
PYTEST_ARGS ?= -n 2 --durations=25
SLOW ?= -m "not slow"

.PHONY: venv test test-slow lint mutants sim csim hls bitstream deploy synth help clean models regress activity-ir

# ---------------------------------------------------------------- released models
# The small digits-dvs models committed under models/ and the exact commands that
# reproduce them (`make -B models` retrains from scratch).
DIGITS := models/digits-dvs
DIGITS_RECIPE := --dataset digits-dvs --img-size 32 -T 4 --heads 8 --epochs 40 \
	--warmup-epochs 3 --batch-size 32 --no-augment --mask-sparsity 0.1 --seed 2021 \
	--workers 0 --no-progress
SDMF_MODEL := $(DIGITS)/sdmformer-1-128.pt
SPIK_MODEL := $(DIGITS)/spikformer-1-128.pt
SDMF_IR := $(DIGITS)/sdmformer-1-128-int8.sdmfir
QUANT_RECIPE := --bits 8 --qat-epochs 1 --lr 1e-4 --seed 0 --no-progress

help:
	@echo "make sim [IR=... N=...] | make csim [IR=...] | make hls [BOARD=...] | make test | make bitstream [BOARD=pynq_z2|kv260 CLOCK_MHZ=... BACKEND=rtl|hls]"
	@echo "make deploy [BOARD=pynq_z2|kv260 CLOCK_MHZ=... SAMPLES=100] (bundle for the board)"
	@echo "make test-slow (the slow RTL tier, ~15 min) | make test SLOW= (both tiers)"
	@echo "make regress [JOBS=2] (>= 1,000 RTL vectors, ~1 h on 2 cores) | make mutants"
	@echo "make synth [IR=... FAMILY=xc7|xcup SYNTH_MODE=flat|units]"
	@echo "make models (retrain + requantize the shipped digits-dvs models) | make lint | make clean"
	@echo "make mutants (the CPU tests must catch every mutation of tests/mutations/catalog.py)"

$(STAMP): pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -c constraints.txt torch
	$(PY) -m pip install $(PIP_FLAGS) -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(STAMP)

# pytest exits 5 when it collects no tests: that is a failure too
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) $(SLOW)

# the slow tier (marker `slow`): the most expensive adversarial networks in RTL
test-slow: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check .

mutants: $(STAMP)
	$(PY) tests/mutations/run_mutations.py $(MUTANTS_ARGS)

models: $(SDMF_MODEL) $(SPIK_MODEL) $(SDMF_IR)

$(DIGITS)/%.pt: | $(STAMP)
	rm -rf runs/digits-$*
	$(SDMF) train --model $* $(DIGITS_RECIPE) --out runs/digits-$*
	$(PY) -c "from sdmf.model.checkpoint import slim_checkpoint as s; s('runs/digits-$*/last.pt', '$@')"

$(SDMF_IR): $(SDMF_MODEL) | $(STAMP)
	$(SDMF) quantize --checkpoint $< $(QUANT_RECIPE) --out $@

# ---------------------------------------------------------------- activity-realistic IR
# The paper's configuration with untrained weights, Fig. 5 masks and digits-dvs-calibrated
# activity (docs/activity.md; NOT a trained model). The content hash recorded here is checked.
ACTIVITY_DIR ?= build/activity
ACTIVITY_IR := $(ACTIVITY_DIR)/sdmformer-2-256-128-t16-int8.sdmfir
ACTIVITY_ARGS ?= --model sdmformer-2-256 --img-size 128 -T 16 --seed 0 --threads 2
ACTIVITY_HASH := c7fe343bc7203d707401806d2c36c153cd01dd0f61ed411718828cfcd7cb04e3

activity-ir: $(STAMP)
	@mkdir -p $(ACTIVITY_DIR)
	set -o pipefail; $(SDMF) activity-ir $(ACTIVITY_ARGS) --out $(ACTIVITY_IR) \
		--plot $(ACTIVITY_DIR)/firing_rates.png --report-json $(ACTIVITY_DIR)/report.json \
		| tee $(ACTIVITY_DIR)/report.txt
	@$(PY) -c "import json,sys; h=json.load(open('$(ACTIVITY_DIR)/report.json'))['hash']; \
		ok=h=='$(ACTIVITY_HASH)'; print('IR hash', h, 'matches docs/activity.md' if ok \
		else 'DIFFERS from docs/activity.md ($(ACTIVITY_HASH))'); sys.exit(0 if ok else 1)"

# ---------------------------------------------------------------- hardware
IR ?= $(SDMF_IR)
N ?= 20
BOARD ?= pynq_z2
HW_OUT ?= build/hw
FAMILY ?= xc7
SYNTH_MODE ?= flat
# planner options shared by sim, synth, bitstream and deploy, e.g. HW_ARGS="--row-parallel --budget 650"
HW_ARGS ?=
# the PL clock of the design (MHz); empty: the board's default (sdmf.device.blockdesign:
# pynq_z2 100, kv260 250). The Vivado scripts set it; img/s figures are at it.
CLOCK_MHZ ?=
BOARD_ARGS = --board $(BOARD) $(if $(CLOCK_MHZ),--clock-mhz $(CLOCK_MHZ),)
DEPLOY_OUT ?= build/deploy
SAMPLES ?= 100

sim: $(STAMP)
	$(SDMF) sim --ir $(IR) --samples $(N) $(HW_ARGS)

# the HLS backend: C simulation with g++ (whole test split by default)
CSIM_ARGS ?=
csim: $(STAMP)
	$(SDMF) csim --ir $(IR) $(CSIM_ARGS)

HLS_OUT ?= build/hls/project
hls: $(STAMP)
	$(SDMF) hwgen --ir $(IR) --out $(HLS_OUT) --backend hls $(BOARD_ARGS) $(HW_ARGS)
	@if command -v vitis_hls >/dev/null 2>&1; then \
	  cd $(HLS_OUT) && vitis_hls -f scripts/vitis_hls_$(BOARD).tcl; \
	else \
	  echo "make hls: the Vitis HLS project (C++, testbench, golden vectors) is in $(HLS_OUT)"; \
	  echo "  (scripts/vitis_hls_$(BOARD).tcl: csim, csynth, cosim, export as IP), but 'vitis_hls'"; \
	  echo "  is not on PATH. Install Vitis HLS, source its settings64.sh and run make hls again"; \
	  echo "  (the scripts are untested without it; make csim runs the C simulation with g++)."; \
	  exit 2; \
	fi

# >= 1,000 vectors through the RTL (docs/verification.md); JOBS parallel simulations
JOBS ?= 2
REGRESS_ARGS ?=
regress: $(STAMP)
	$(SDMF) regress --ir $(SDMF_IR) --jobs $(JOBS) $(REGRESS_ARGS)

synth: $(STAMP)
	$(SDMF) hwgen --ir $(IR) --out $(HW_OUT)/project --synth $(FAMILY) --synth-mode $(SYNTH_MODE) \
	  $(HW_ARGS)

# BACKEND=rtl: Vivado builds the RTL project in $(HW_OUT)/project; BACKEND=hls: Vitis HLS
# exports the core of the HLS project in $(HLS_OUT), then Vivado builds the same block design
# around it. Without the tools: one line naming them and the generated project, exit 2.
BACKEND ?= rtl
BITSTREAM_PROJECT = $(if $(filter hls,$(BACKEND)),$(HLS_OUT),$(HW_OUT)/project)
bitstream: $(STAMP)
	$(SDMF) hwgen --ir $(IR) --out $(BITSTREAM_PROJECT) --backend $(BACKEND) $(BOARD_ARGS) \
	  $(HW_ARGS)
	$(SDMF) bitstream --project $(BITSTREAM_PROJECT) --board $(BOARD)

# the same project as `make bitstream` (a bitstream built for it is kept and bundled)
deploy: $(STAMP)
	$(SDMF) hwgen --ir $(IR) --out $(HW_OUT)/project $(BOARD_ARGS) $(HW_ARGS)
	$(SDMF) deploy --board $(BOARD) --project $(HW_OUT)/project --out $(DEPLOY_OUT) \
	  --samples $(SAMPLES) --no-progress

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
