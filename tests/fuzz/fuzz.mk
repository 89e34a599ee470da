# tests/fuzz/fuzz.mk - libFuzzer targets, run by `make fuzz`.
#
# Targets (each built with clang -fsanitize=fuzzer,address,undefined):
#   fuzz_gguf       the GGUF reader and writer on arbitrary bytes
#   fuzz_model      l1_model_load of mutated tiny Qwen2 files
#   fuzz_tokenizer  tokenize/detokenize of arbitrary bytes on the Qwen2 vocabulary
#   fuzz_sample     the sampler and budget controller (when tests/fuzz/fuzz_sample.c exists)
#   fuzz_cli        the `l1` command line in-process: arguments and prompt files
# `make fuzz` builds them, writes the seed corpora with the generators,
# replays the regression corpus (tests/corpus/fuzz/<target>/ and, for
# fuzz_model, tests/corpus/bad/) and then fuzzes each target in turn for
# FUZZ_SECONDS, one after the other so that one core is used at a time.
#   make fuzz FUZZ_SECONDS=300         longer runs
#   make fuzz FUZZ_ARGS=-jobs=2        extra libFuzzer flags
#   make fuzz FUZZ_TARGETS=fuzz_model  a subset
#   make -f tests/fuzz/fuzz.mk corpus  regenerate tests/corpus/bad (gen_bad)
# Logs go to $(BUILDROOT)/fuzz/<target>.log; a crash leaves its input in
# $(BUILDROOT)/fuzz/<target>-crash-*, to be minimized (-minimize_crash=1)
# into tests/corpus/fuzz/<target>/ with a regression test.

BUILDROOT ?= build
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_ARGS ?=
FUZZ := $(BUILDROOT)/fuzz
CORPUS := $(FUZZ)/corpus
REGRESS := tests/corpus/fuzz
VOCAB ?= build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf

FUZZ_CFLAGS := -std=c11 -g -O1 -Iinclude -Ilib -Itests -D_GNU_SOURCE -fno-omit-frame-pointer
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined

# The harnesses' own checks (oracle loops, round trips) are not what the
# fuzzer should steer by, and comparison tracing there costs more than the
# code under test on the cheap targets: harness sources get edge counters
# only.  The library keeps full instrumentation.
HARNESS_COV := -fno-sanitize-coverage=trace-cmp

# The GGUF target builds from the reader, the writer and what they stand on
# only, so the rest of the library's state does not matter to it.
GGUF_SRC := lib/base/base.c lib/base/file.c lib/gguf/types.c lib/gguf/gguf.c lib/gguf/gguf_write.c lib/api/base.c
GGUF_HDR := lib/gguf/gguf.h lib/base/base.h lib/gguf/types.h include/l1.h

# Every other target links the whole library, instrumented.
LIB_SRC := $(wildcard lib/*/*.c lib/kernels/scalar/*.c lib/kernels/x86/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ)/obj/%.o)
ISA_avx2 := -mavx2 -mfma -mf16c
ISA_avx512 := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni

ALL_TARGETS := fuzz_gguf fuzz_model fuzz_tokenizer $(if $(wildcard tests/fuzz/fuzz_sample.c),fuzz_sample) fuzz_cli

# The command-line target compiles the tool's sources without their main()
# and drives l1cli_main; the commands' own messages are silenced
# (-close_fd_mask=2), libFuzzer's report is not.
CLI_SRC := $(wildcard tools/l1/*.c)
CLI_HDR := $(wildcard tools/l1/*.h)
FUZZ_TARGETS ?= $(ALL_TARGETS)

.PHONY: run build seeds replay corpus
run: build seeds replay
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "$$t: $(FUZZ_SECONDS) s"; \
	    rc=0; $(FUZZ)/$$t $(CORPUS)/$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=$$(case $$t in fuzz_tokenizer) echo 512;; fuzz_sample|fuzz_cli) echo 2048;; *) echo 65536;; esac) \
        $$([ $$t = fuzz_cli ] && echo -close_fd_mask=2 -dict=tests/fuzz/fuzz_cli.dict) \
	        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ)/$$t- \
	        $(FUZZ_ARGS) 2>$(FUZZ)/$$t.log || rc=$$?; \
	    if [ $$rc -ne 0 ]; then tail -n 40 $(FUZZ)/$$t.log; echo "$$t: FAILED (log: $(FUZZ)/$$t.log)"; exit $$rc; fi; \
	    grep -a -h '^Done\|^stat::number_of_executed_units' $(FUZZ)/$$t.log; \
	done

build: $(addprefix $(FUZZ)/,$(ALL_TARGETS) gen_gguf_corpus gen_bad gen_text_seeds)

# Seeds: generated valid inputs plus the committed malformed corpus.
seeds: build
	@mkdir -p $(CORPUS)/fuzz_gguf $(CORPUS)/fuzz_model $(CORPUS)/fuzz_tokenizer $(CORPUS)/fuzz_sample $(CORPUS)/fuzz_cli
	@cp tests/fuzz/cli_seeds/* $(CORPUS)/fuzz_cli/
	@$(FUZZ)/gen_gguf_corpus $(CORPUS)/fuzz_gguf
	@cp tests/corpus/bad/*.gguf $(CORPUS)/fuzz_gguf/
	@$(FUZZ)/gen_bad seeds $(CORPUS)/fuzz_model
	@cp tests/corpus/bad/*.gguf $(CORPUS)/fuzz_model/
	@$(FUZZ)/gen_text_seeds tokenizer $(CORPUS)/fuzz_tokenizer $(wildcard $(VOCAB).inp)
	@$(FUZZ)/gen_text_seeds sample $(CORPUS)/fuzz_sample

# Every committed regression input must pass (libFuzzer runs each file given
# on the command line once).
replay: build
	@set -e; for t in $(ALL_TARGETS); do \
	    files=$$(ls $(REGRESS)/$$t/* 2>/dev/null || true); \
	    [ $$t = fuzz_model ] && files="$$files $$(ls tests/corpus/bad/*.gguf)"; \
	    [ $$t = fuzz_gguf ] && files="$$files $$(ls tests/corpus/bad/*.gguf)"; \
	    [ -n "$$files" ] || continue; \
	    if ! $(FUZZ)/$$t $$files >$(FUZZ)/$$t.replay.log 2>&1; then \
	        tail -n 40 $(FUZZ)/$$t.replay.log; echo "$$t: regression replay FAILED"; exit 1; fi; \
	    echo "$$t: replayed $$(echo $$files | wc -w) regression inputs"; \
	done

corpus: $(FUZZ)/gen_bad
	@rm -f tests/corpus/bad/*.gguf
	@$(FUZZ)/gen_bad bad tests/corpus/bad

# The numeric kernels (lib/kernels, lib/quant) keep their edge counters and
# sanitizers but not comparison tracing: their compares are loop bounds over
# the model's numbers, which steer no fuzzer toward anything, and tracing
# them was half the time of a fuzz_cli execution that reaches generation.
NUMERIC_COV = $(if $(filter lib/kernels/% lib/quant/%,$<),$(HARNESS_COV))

$(FUZZ)/obj/%.o: %.c
	@tools/ensure-deps.sh clang
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link $(NUMERIC_COV) \
	    $(ISA_$(lastword $(subst _, ,$(basename $(notdir $<))))) -MMD -MP -c $< -o $@

$(FUZZ)/fuzz_gguf: tests/fuzz/fuzz_gguf.c $(GGUF_SRC) $(GGUF_HDR)
	@tools/ensure-deps.sh clang
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ tests/fuzz/fuzz_gguf.c $(GGUF_SRC) -lm -lpthread

# l1 bench reports the build; the fuzz build is no particular commit.
$(FUZZ)/gen/l1_build_info.h:
	@mkdir -p $(dir $@)
	@printf '#define L1_BUILD_COMMIT "fuzz"\n#define L1_BUILD_NUMBER 0\n' > $@

$(FUZZ)/fuzz_cli: tests/fuzz/fuzz_cli.c $(CLI_SRC) $(CLI_HDR) $(LIB_OBJ) $(FUZZ)/gen/l1_build_info.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itools/l1 -I$(FUZZ)/gen -DL1CLI_NO_MAIN -DL1_SERVE=0 $(SAN) -fsanitize=fuzzer -o $@ tests/fuzz/fuzz_cli.c \
	    $(CLI_SRC) $(LIB_OBJ) -lm -lpthread

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -fsanitize=fuzzer $(HARNESS_COV) -o $@ $< $(LIB_OBJ) -lm -lpthread

# Generators: sanitized but not fuzzed.
$(FUZZ)/gen_gguf_corpus: tests/fuzz/gen_gguf_corpus.c $(GGUF_SRC) $(GGUF_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/gen_gguf_corpus.c $(GGUF_SRC) -lm -lpthread

$(FUZZ)/gen_bad: tests/corpus/gen_bad.c tests/support/gguf_craft.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(SAN) -o $@ tests/corpus/gen_bad.c tests/support/gguf_craft.c $(LIB_OBJ) -lm -lpthread

$(FUZZ)/gen_text_seeds: tests/fuzz/gen_text_seeds.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<

-include $(LIB_OBJ:.o=.d)
