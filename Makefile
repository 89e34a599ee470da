# l1 - build, test, install.  `make help` lists the targets.
#
# CONFIG=release|debug|asan|ubsan|tsan|scalar|coverage   (default release)
# WERROR=1        treat warnings as errors (CI)
# ARCH=aarch64    cross-compile with aarch64-linux-gnu-gcc; tests run under qemu-aarch64
# PREFIX, DESTDIR, LIBDIR, INCLUDEDIR   for install/uninstall
# INSTALL_STRIP=0 installs the shared library and the tool with their debug info
# SERVE=0         build `l1` without `l1 serve` (no libmicrohttpd / cJSON); the
#                 default for cross builds

CONFIG ?= release
WERROR ?= 0
PARITY ?= auto
BUILDROOT ?= build
ARCH ?= $(shell uname -m)
HOST_ARCH := $(shell uname -m)
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/l1
INSTALL_STRIP ?= 1

VERSION_MAJOR := $(shell sed -n 's/^\#define L1_VERSION_MAJOR \([0-9]*\).*/\1/p' include/l1.h)
VERSION_MINOR := $(shell sed -n 's/^\#define L1_VERSION_MINOR \([0-9]*\).*/\1/p' include/l1.h)
VERSION_PATCH := $(shell sed -n 's/^\#define L1_VERSION_PATCH \([0-9]*\).*/\1/p' include/l1.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

ifeq ($(ARCH),$(HOST_ARCH))
  CC ?= cc
  STRIP ?= strip
  BUILD := $(BUILDROOT)/$(CONFIG)
  RUNNER :=
else ifeq ($(ARCH),aarch64)
  CC := aarch64-linux-gnu-gcc
  STRIP := aarch64-linux-gnu-strip
  BUILD := $(BUILDROOT)/aarch64-$(CONFIG)
  # The arm64 multiarch libc (installed with libcmocka-dev:arm64) runs threads
  # under qemu-user; the older cross libc in /usr/aarch64-linux-gnu hangs there.
  RUNNER := qemu-aarch64 -cpu max -L /
else
  $(error ARCH=$(ARCH): only the host architecture and aarch64 are supported)
endif
ifeq ($(origin CC),default)
  CC := cc
  ifeq ($(ARCH),aarch64)
    ifneq ($(HOST_ARCH),aarch64)
      CC := aarch64-linux-gnu-gcc
    endif
  endif
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wcast-qual -Wundef -Wno-unused-parameter
ifeq ($(WERROR),1)
  WARN += -Werror
endif

OPT_release  := -O2 -g
OPT_debug    := -O0 -g3
OPT_asan     := -O1 -g -fsanitize=address -fno-omit-frame-pointer
OPT_ubsan    := -O1 -g -fsanitize=undefined -fno-sanitize-recover=all
OPT_tsan     := -O1 -g -fsanitize=thread
OPT_scalar   := -O2 -g -DL1_SCALAR_ONLY=1
OPT_coverage := -O0 -g --coverage
OPT := $(OPT_$(CONFIG))
ifeq ($(OPT),)
  $(error CONFIG=$(CONFIG): use release, debug, asan, ubsan, tsan, scalar or coverage)
endif
LDSAN := $(filter -fsanitize=% --coverage,$(OPT))

CPPFLAGS += -Iinclude -Ilib -D_GNU_SOURCE -MMD -MP
CFLAGS += -std=c11 $(WARN) $(OPT) -fPIC -fvisibility=hidden
LDLIBS += -lm -lpthread

# Per-ISA kernel files carry their own target flags; the rest of the library
# is built for the baseline of the architecture.
ISA_FLAGS_avx2   := -mavx2 -mfma -mf16c
ISA_FLAGS_avx512 := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
ISA_FLAGS_neon   := -march=armv8.2-a+dotprod+fp16
ISA_FLAGS_i8mm   := -march=armv8.2-a+dotprod+fp16+i8mm

# Sources by folder: lib/<layer>/*.c, and the kernel tiers of
# lib/kernels/{scalar,x86,arm}/ for the architectures that run them.
LIB_SRC_ALL := $(wildcard lib/*/*.c) $(wildcard lib/kernels/scalar/*.c)
ifneq ($(CONFIG),scalar)
  ifeq ($(ARCH),aarch64)
    LIB_SRC_ALL += $(wildcard lib/kernels/arm/*.c)
  else
    LIB_SRC_ALL += $(wildcard lib/kernels/x86/*.c)
  endif
endif
LIB_SRC := $(LIB_SRC_ALL)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)

CLI_SRC := $(wildcard tools/l1/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
# TESTS="kernels quant" restricts `make test` to those binaries (default: all).
ifneq ($(TESTS),)
  TEST_SRC := $(foreach t,$(TESTS),tests/test_$(t).c)
endif
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/%.o)
EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

STATIC_LIB := $(BUILD)/libl1.a
SONAME := libl1.so.$(VERSION_MAJOR)
SHARED_LIB := $(BUILD)/libl1.so.$(VERSION)
CLI := $(BUILD)/l1

.PHONY: all lib test check-deps serve-deps parity parity-fetch bench fuzz demo install uninstall \
        symbols format clean help FORCE

all: lib $(CLI) $(EXAMPLE_BIN)
lib: $(STATIC_LIB) $(SHARED_LIB)

# make -j runs check-deps beside the compiles: when a package they need is
# missing, they wait for it (a cross build's objects need the cross
# compiler; the test support objects and binaries need cmocka).  Only then:
# a phony prerequisite would make every build look out of date.
ifneq ($(RUNNER),)
  ifeq ($(shell command -v $(CC) 2>/dev/null),)
    OBJ_ORDER := check-deps
  endif
endif
CMOCKA_FILE := $(if $(RUNNER),/usr/lib/aarch64-linux-gnu/libcmocka.so,/usr/include/cmocka.h)
ifeq ($(wildcard $(CMOCKA_FILE)),)
  $(TEST_SUPPORT_OBJ) $(TEST_BIN): | check-deps
endif

$(BUILD)/%.o: %.c | $(OBJ_ORDER)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ISA_FLAGS_$(lastword $(subst _, ,$(basename $(notdir $<))))) -c $< -o $@

# The commit and commit count the tool reports (l1 bench's build_commit and
# build_number, as llama-bench reports its own); the version outside git.
# The header is rewritten only when they change, so it costs no rebuild.
BUILD_INFO := $(BUILD)/gen/l1_build_info.h
BUILD_COMMIT := $(or $(shell git rev-parse --short=8 HEAD 2>/dev/null),v$(VERSION))
BUILD_NUMBER := $(or $(shell git rev-list --count HEAD 2>/dev/null),0)
BUILD_INFO_TEXT := \#define L1_BUILD_COMMIT "$(BUILD_COMMIT)"\n\#define L1_BUILD_NUMBER $(BUILD_NUMBER)\n
ifneq ($(shell cat $(BUILD_INFO) 2>/dev/null),$(shell printf '$(BUILD_INFO_TEXT)'))
  $(shell mkdir -p $(dir $(BUILD_INFO)) && printf '$(BUILD_INFO_TEXT)' > $(BUILD_INFO))
endif
$(CLI_OBJ): CPPFLAGS += -I$(BUILD)/gen

# `l1 serve` links libmicrohttpd and cJSON (Debian's libmicrohttpd-dev and
# libcjson-dev, installed when missing); the library itself stays libc-only.
ifeq ($(ARCH),$(HOST_ARCH))
  SERVE ?= 1
else
  SERVE ?= 0
endif
ifeq ($(SERVE),1)
  SERVE_LIBS := -lmicrohttpd -lcjson
  $(BUILD)/tools/l1/cmd_serve.o: CPPFLAGS += -DL1_SERVE=1
  ifneq ($(words $(wildcard /usr/include/microhttpd.h /usr/include/cjson/cJSON.h)),2)
    $(BUILD)/tools/l1/cmd_serve.o: | serve-deps
  endif
else
  $(BUILD)/tools/l1/cmd_serve.o: CPPFLAGS += -DL1_SERVE=0
endif
serve-deps:
	@tools/ensure-deps.sh serve

# The library's own objects define its functions (L1_API in include/l1.h
# exports them from a Windows DLL; elsewhere it only sets visibility).
$(LIB_OBJ): CPPFLAGS += -DL1_BUILD
# Built only as a prerequisite of the test binaries: keep it, or every
# `make test` would rebuild it and relink them all.
.SECONDARY: $(TEST_SUPPORT_OBJ)

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDSAN) -o $@ $^ $(LDLIBS)
	ln -sf libl1.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libl1.so

$(CLI): $(CLI_OBJ) $(STATIC_LIB)
	$(CC) $(LDSAN) -o $@ $(CLI_OBJ) $(STATIC_LIB) $(SERVE_LIBS) $(LDLIBS)

$(BUILD)/examples/%: examples/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(STATIC_LIB) $(LDSAN) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(STATIC_LIB) $(LDSAN) $(LDLIBS)

# Test binaries see the library's internal headers and link it statically,
# so they can exercise hidden functions.
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(STATIC_LIB) \
	    $(LDSAN) -lcmocka $(LDLIBS)

# ---- tests -------------------------------------------------------------------

check-deps:
	@tools/ensure-deps.sh cmocka cmake curl $(if $(RUNNER),qemu cmocka-arm64) \
	    $(if $(wildcard build/reference/.ok),bench-compare)

# bench/budget_eval serves the reasoner's budget check (tests/checks).
test: check-deps all $(TEST_BIN) $(BUILD)/bench/budget_eval
	@BUILDROOT=$(BUILDROOT) BUILD=$(BUILD) RUNNER="$(RUNNER)" CONFIG=$(CONFIG) ARCH=$(ARCH) CC="$(CC)" \
	    PARITY=$(PARITY) tests/run.sh $(TEST_BIN)

# The llama.cpp parity suite: fetches the pinned reference (npm packages,
# cached under build/reference) and compares l1 with it.
REF := build/reference
parity-fetch:
	@tools/fetch-reference.sh $(REF)

parity: parity-fetch all
	@$(MAKE) --no-print-directory -f tests/parity/parity.mk BUILD=$(BUILD) REF=$(REF) \
	    CC="$(CC)" CFLAGS="$(CFLAGS)" CPPFLAGS="$(CPPFLAGS)" LDLIBS="$(LDLIBS)" LDSAN="$(LDSAN)" run

bench: all $(BENCH_BIN)
	@echo "benchmarks built in $(BUILD)/bench; see bench/README.md"

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk

demo: all
	@tools/demo.sh $(BUILD) $(MODEL)

# ---- install -------------------------------------------------------------------

# Files that embed the install paths are rewritten whenever PREFIX, LIBDIR,
# INCLUDEDIR, CMAKEDIR or the version differ from what they were written for
# (install.vars changes only then), so no stale l1.pc is ever installed.
INSTALL_VARS := $(PREFIX)|$(LIBDIR)|$(INCLUDEDIR)|$(CMAKEDIR)|$(VERSION)
$(BUILD)/install.vars: FORCE
	@mkdir -p $(dir $@)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(INSTALL_VARS)' ]; then echo '$(INSTALL_VARS)' > $@; fi

# pkg-config: libdir and includedir relative to ${prefix} when under it.
PC_LIBDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
$(BUILD)/l1.pc: $(BUILD)/install.vars
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: l1\nDescription: CPU inference for Qwen2 reasoning models in GGUF files\nVersion: %s\nLibs: -L$${libdir} -ll1\nLibs.private: -lm -lpthread\nCflags: -I$${includedir}\n' \
	    '$(PREFIX)' '$(PC_LIBDIR)' '$(PC_INCLUDEDIR)' '$(VERSION)' > $@

# CMake package: paths relative to the package file when everything lies
# under PREFIX (the tree stays usable after DESTDIR staging or a move).
ifneq ($(filter $(PREFIX)/%,$(CMAKEDIR)),)
  CMAKE_UP := $(subst $(eval) ,/,$(patsubst %,..,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(CMAKEDIR)))))
  CMAKE_LIBDIR := $(patsubst $(PREFIX)/%,<prefix>/%,$(LIBDIR))
  CMAKE_INCLUDEDIR := $(patsubst $(PREFIX)/%,<prefix>/%,$(INCLUDEDIR))
else
  CMAKE_UP := .
  CMAKE_LIBDIR := $(LIBDIR)
  CMAKE_INCLUDEDIR := $(INCLUDEDIR)
endif
$(BUILD)/cmake/%.cmake: tools/cmake/%.cmake.in $(BUILD)/install.vars
	@mkdir -p $(dir $@)
	sed -e 's|@L1_UP@|$(CMAKE_UP)|g' -e 's|@L1_LIBDIR@|$(CMAKE_LIBDIR)|g' \
	    -e 's|@L1_INCLUDEDIR@|$(CMAKE_INCLUDEDIR)|g' -e 's|@L1_VERSION@|$(VERSION)|g' \
	    -e 's|@L1_VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@L1_VERSION_MINOR@|$(VERSION_MINOR)|g' $< > $@

CMAKE_FILES := $(BUILD)/cmake/l1Config.cmake $(BUILD)/cmake/l1ConfigVersion.cmake

install: all $(BUILD)/l1.pc $(CMAKE_FILES)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(CMAKEDIR)
	install -m 644 include/l1.h $(DESTDIR)$(INCLUDEDIR)/l1.h
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libl1.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libl1.so.$(VERSION)
	ln -sf libl1.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libl1.so
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/l1
ifeq ($(INSTALL_STRIP),1)
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/libl1.so.$(VERSION)
	$(STRIP) $(DESTDIR)$(BINDIR)/l1
endif
	install -m 644 $(BUILD)/l1.pc $(DESTDIR)$(PKGCONFIGDIR)/l1.pc
	install -m 644 $(CMAKE_FILES) $(DESTDIR)$(CMAKEDIR)/

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/l1.h $(DESTDIR)$(LIBDIR)/libl1.a \
	    $(DESTDIR)$(LIBDIR)/libl1.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libl1.so $(DESTDIR)$(BINDIR)/l1 $(DESTDIR)$(PKGCONFIGDIR)/l1.pc \
	    $(DESTDIR)$(CMAKEDIR)/l1Config.cmake $(DESTDIR)$(CMAKEDIR)/l1ConfigVersion.cmake
	-rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null

# ---- housekeeping ----------------------------------------------------------------

symbols: $(SHARED_LIB)
	@nm -D --defined-only $(SHARED_LIB) | awk '$$2 ~ /^[TDBR]$$/ {print $$3}' | sort > $(BUILD)/symbols.txt
	@cat $(BUILD)/symbols.txt
	@if grep -v '^l1_' $(BUILD)/symbols.txt; then \
	    echo "symbols: the lines above are exported without the l1_ prefix" >&2; exit 1; fi
	@if grep '^l1__' $(BUILD)/symbols.txt; then \
	    echo "symbols: internal l1__ names are exported" >&2; exit 1; fi

# Only the lines changed since the last commit (staged or not): the tree is
# not reformatted whole.
format:
	git clang-format --force HEAD -- include lib tools tests examples bench

clean:
	rm -rf build/release build/debug build/asan build/ubsan build/tsan build/scalar \
	    build/coverage build/aarch64-* build/fuzz

help:
	@echo "make [all]        library (static + shared), the l1 tool, examples  -> $(BUILD)/"
	@echo "make test         build and run every test (installs cmocka if it can)"
	@echo "make parity       compare with llama.cpp (fetches the pinned reference from npm)"
	@echo "make bench        build the benchmarks (see bench/README.md)"
	@echo "make fuzz         build and briefly run the libFuzzer targets (clang)"
	@echo "make demo         synthesize a small model and generate with a budget (MODEL=f.gguf to use yours)"
	@echo "make install      PREFIX=$(PREFIX) DESTDIR= LIBDIR= INCLUDEDIR=   (l1.pc, CMake package l1::l1;"
	@echo "                  stripped; INSTALL_STRIP=0 keeps debug info)"
	@echo "make uninstall    remove what install wrote"
	@echo "make symbols      list exported symbols; fails unless all are l1_*"
	@echo "make format       clang-format the lines changed since the last commit (.clang-format)"
	@echo "make clean        remove build outputs (keeps build/reference)"
	@echo "options: CONFIG=release|debug|asan|ubsan|tsan|scalar|coverage  WERROR=1  ARCH=aarch64"
	@echo "         TESTS=\"gguf quant\" (only those test binaries)  PARITY=auto|require|skip"
	@echo "         SERVE=0 (l1 without l1 serve: no libmicrohttpd/cJSON; the default for ARCH=aarch64)"

# ---- the trained reasoner model (tools/train) ----------------------------------
# `make reasoner` retrains examples/reasoner.gguf from scratch (Debian's
# python3-torch and python3-numpy, libopenblas0-pthread for speed; gguf-py
# from build/reference); `make budget-eval` runs bench/budget_eval on it.
PYTHON3 ?= /usr/bin/python3
REASONER_F32 := $(BUILD)/reasoner-f32.gguf
BUDGET_EVAL_N ?= 500
.PHONY: reasoner budget-eval
reasoner: all parity-fetch
	OPENBLAS_NUM_THREADS=2 $(PYTHON3) tools/train/train.py --out $(REASONER_F32)
	$(CLI) quantize $(REASONER_F32) examples/reasoner.gguf Q8_0
budget-eval: all $(BUILD)/bench/budget_eval
	$(BUILD)/bench/budget_eval -m examples/reasoner.gguf -n $(BUDGET_EVAL_N) -o $(BUILD)/budget_eval.csv


-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(TEST_BIN:=.d)
