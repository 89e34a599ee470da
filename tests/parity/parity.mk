# Builds and runs the llama.cpp parity programs (tests/parity/parity_*.c).
# Invoked by the top-level Makefile (`make parity`, and `make test` when the
# reference is present); expects BUILD, REF, CC, CFLAGS, CPPFLAGS, LDLIBS.
PARITY_SRC := $(wildcard tests/parity/parity_*.c)
PARITY_BIN := $(PARITY_SRC:tests/parity/%.c=$(BUILD)/parity/%)
REF_LIB := $(abspath $(REF)/lib)
REF_INC := -I$(REF)/llama.cpp/include -I$(REF)/llama.cpp/ggml/include
PARITY_SUPPORT := $(wildcard tests/parity/support/*.c)

.PHONY: run
run: $(PARITY_BIN)
	@L1_REF_LIB=$(REF_LIB) L1_REF_DIR=$(abspath $(REF)) LD_LIBRARY_PATH=$(REF_LIB) BUILD=$(BUILD) \
	    tests/run.sh --no-checks $(PARITY_BIN)

$(BUILD)/parity/%: tests/parity/%.c $(PARITY_SUPPORT) $(BUILD)/libl1.a $(wildcard tests/parity/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests -Itests/parity $(REF_INC) $(CFLAGS) -Wno-pedantic -o $@ $< $(PARITY_SUPPORT) \
	    $(BUILD)/libl1.a -L$(REF_LIB) -Wl,-rpath,$(REF_LIB) \
	    -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -l:libggml-base.so $(LDSAN) -lcmocka $(LDLIBS) -ldl
