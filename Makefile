# dla - dimensional-load orchestrator.  See README.md.
#
#   make            build build/dla and build/libdla.a
#   make demo       install missing packages, build, run the demo warehouse
#   make check      install missing packages, build, run every test
#   make unit       cmocka unit tests          make asan   unit tests under ASan+UBSan
#   make golden     golden error / SQL tests   make integration  real binary vs databases
#   make integration-asan   the run's life-cycle integration tests against the
#                   ASan+UBSan build (LeakSanitizer on, tests/lsan.supp)
#   make bench      benchmarks (never part of check)
#   make fuzz       libFuzzer targets (clang, build-fuzz/), FUZZ_SECONDS each
#                   (default 60); FUZZ_RUNS=N runs N inputs each instead
#   make install PREFIX=/usr/local             make clean
#   V=1             show full commands         WERROR=0  do not fail on warnings

VERSION   := 0.1.0
PREFIX    ?= /usr/local
CC        ?= cc
WERROR    ?= 1
BUILD     ?= build
SANITIZE  ?=

PKGS      := odbc yaml-0.1 libpcre2-8 jansson libgvc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-unused-parameter -Wvla
ifeq ($(WERROR),1)
WARN      += -Werror
endif
OPT       ?= -O2 -g
CFLAGS    ?=
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              -DDLA_VERSION='"$(VERSION)"' $(OPT) $(WARN) $(SANITIZE) \
              -Idla -Iorchestrator $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS   ?=
ALL_LDFLAGS := $(SANITIZE) $(LDFLAGS)
LIBS      := $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

LIB_SRC   := $(sort $(wildcard dla/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC   := $(sort $(wildcard orchestrator/*.c))
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=

.PHONY: all deps demo check unit asan golden integration integration-asan sqlglot bench general-build \
	install clean \
	fuzz fuzz-build
all: $(BUILD)/dla

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libdla.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/dla: $(CLI_OBJ) $(BUILD)/libdla.a
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libdla.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdla.a tests/unit/test_util.h
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libdla.a $(LIBS) $(CMOCKA_LIBS)

# libFuzzer targets: tests/fuzz/fuzz_*.c linked with -fsanitize=fuzzer
# against a libdla built with coverage instrumentation (see `fuzz`).
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libdla.a
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libdla.a $(LIBS)

deps:
	@sh scripts/deps.sh

# Unit tests: every tests/unit/test_*.c is one cmocka program; run from the
# repository root so they can read tests/data/.
unit: $(UNIT_BIN)
	@sh tests/run_unit.sh $(UNIT_BIN)

# LeakSanitizer is on (ASan's default on Linux x86_64, made explicit; a
# caller's ASAN_OPTIONS still override): a leak fails the unit test or the
# golden case that caused it.
asan:
	@ASAN_OPTIONS="detect_leaks=1:$${ASAN_OPTIONS:-}" \
	$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all' unit golden-asan

# Fuzzing (docs/RELIABILITY.md): clang with ASan+UBSan+libFuzzer in
# build-fuzz/, then each target for FUZZ_SECONDS (or FUZZ_RUNS inputs)
# from its seed corpus tests/fuzz/corpus/<target>/.
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang WERROR=0 \
		OPT='-O1 -g -fno-omit-frame-pointer' \
		SANITIZE='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		fuzz-build
	@sh tests/fuzz/run.sh build-fuzz "$(FUZZ_SECONDS)" "$(FUZZ_RUNS)"

fuzz-build: $(FUZZ_BIN)

golden: $(BUILD)/dla
	@sh tests/golden/run.sh $(BUILD)/dla

golden-asan: $(BUILD)/dla
	@sh tests/golden/run.sh $(BUILD)/dla

.PHONY: cli
cli: $(BUILD)/dla
	@sh tests/cli/run.sh $(BUILD)/dla

# Every generated Snowflake statement (dumped by the unit tests into
# build/sqlglot/) must parse with sqlglot in the snowflake dialect.
sqlglot: unit
	@sh tests/golden/sqlglot_run.sh

# build-general/dla: every dimension load takes the general SCD path
# (-DDLA_SCD_GENERAL_ONLY); test_scenarios.sh runs the dimension scenarios
# with it too, so both paths are held to the same expected tables.
integration: $(BUILD)/dla general-build
	@DLA_GENERAL_BIN=build-general/dla sh tests/integration/run.sh $(BUILD)/dla

general-build:
	@$(MAKE) --no-print-directory BUILD=build-general CFLAGS=-DDLA_SCD_GENERAL_ONLY \
		build-general/dla

# test_dims, test_crash (every 4th statement boundary) and test_concurrency
# against build-asan/dla; any sanitizer report fails (docs/RELIABILITY.md).
integration-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		build-asan/dla build-asan/tests/test_db_sqlite
	@sh tests/integration/run_asan.sh build-asan/dla

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory sqlglot
	@$(MAKE) --no-print-directory golden
	@$(MAKE) --no-print-directory cli
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory integration-asan
	@echo "make check: all suites passed"

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BUILD)/dla

# Benchmarks (docs/PERFORMANCE.md): BENCH_SCALE=0.1 shrinks every size for
# a quick run; BENCH_ONLY="scd fact" picks benchmarks (see bench/run.sh).
BENCH_SCALE ?= 1
BENCH_ONLY ?=
$(BUILD)/sqlrun: bench/sqlrun.c $(BUILD)/libdla.a
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libdla.a $(LIBS)

bench: $(BUILD)/dla $(BUILD)/sqlrun
	@BENCH_SCALE="$(BENCH_SCALE)" BENCH_ONLY="$(BENCH_ONLY)" sh bench/run.sh $(BUILD)/dla

install: $(BUILD)/dla
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/dla
	install -m 755 $(BUILD)/dla $(DESTDIR)$(PREFIX)/bin/dla
	install -m 644 $(BUILD)/libdla.a $(DESTDIR)$(PREFIX)/lib/libdla.a
	install -m 644 dla/*.h $(DESTDIR)$(PREFIX)/include/dla/

clean:
	rm -rf build build-asan build-fuzz build-general

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
