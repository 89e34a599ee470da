# Builds and runs the side-by-side benchmarks against the reference
# implementation (bench/ref/*.c), which link its libraries, so they are not
# part of `make bench`.  Needs the library built first (make lib) and the
# reference fetched (make parity-fetch).
#   make -f bench/ref.mk BUILD=build/release run   [VOCAB=... MB=10 RUNS=5]
BUILD ?= build/release
REF ?= build/reference
CC ?= cc
VOCAB ?= $(REF)/llama.cpp/models/ggml-vocab-qwen2.gguf
MB ?= 10
RUNS ?= 5
REF_LIB := $(abspath $(REF)/lib)
REF_INC := -I$(REF)/llama.cpp/include -I$(REF)/llama.cpp/ggml/include
BENCH_REF_SRC := $(wildcard bench/ref/*.c)
BENCH_REF_BIN := $(BENCH_REF_SRC:bench/ref/%.c=$(BUILD)/bench/ref/%)

.PHONY: all run
all: $(BENCH_REF_BIN)

run: $(BENCH_REF_BIN)
	L1_REF_LIB=$(REF_LIB) $(BUILD)/bench/ref/bench_tokenize_ref $(VOCAB) $(MB) $(RUNS)

$(BUILD)/bench/ref/%: bench/ref/%.c bench/tok_corpus.h $(BUILD)/libl1.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -D_GNU_SOURCE -Iinclude -Ilib -Ibench $(REF_INC) -o $@ $< $(BUILD)/libl1.a \
	    -L$(REF_LIB) -Wl,-rpath,$(REF_LIB) -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -l:libggml-base.so \
	    -lm -lpthread

# l1 against the reference on one model file, alternating pp and tg runs
# (bench/ref/bench_vs_llama.c; see bench/README.md):
#   make -f bench/ref.mk BUILD=build/release speed MODEL=build/bench/l1-1.5b-q4_k_m.gguf
MODEL ?= build/bench/l1-1.5b-q4_k_m.gguf
THREADS ?= 2
PROMPT ?= 512
GEN ?= 128
DEPTH ?= 0
.PHONY: speed
speed: $(BUILD)/bench/ref/bench_vs_llama
	L1_REF_LIB=$(REF_LIB) $(BUILD)/bench/ref/bench_vs_llama $(MODEL) -p $(PROMPT) -n $(GEN) -d $(DEPTH) -r $(RUNS) -t $(THREADS)
