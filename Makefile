# mxconform: the quick start's two commands.
#   make run   install what is missing, build, run the conformance suite (reference client)
#   make test  install what is missing, build, run every test, plus the sanitizer build
BUILD      ?= build
ASAN_BUILD ?= build-asan
REPORTS    ?= $(BUILD)/reports
JOBS       ?= 2
# -Werror in CI (CI=true), warnings only on a developer's machine
WERROR     := $(if $(CI),ON,OFF)

.PHONY: all deps build build-asan run test test-asan clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMXC_WERROR=$(WERROR)
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMXC_SANITIZE=ON -DMXC_WERROR=$(WERROR)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	@mkdir -p $(REPORTS)
	./$(BUILD)/mxconform run --junit $(REPORTS)/junit.xml --tap $(REPORTS)/results.tap \
	  --json $(REPORTS)/run.json --html $(REPORTS)/report.html

test: build build-asan
	ctest --test-dir $(BUILD) --output-on-failure
	$(MAKE) --no-print-directory test-asan

test-asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
