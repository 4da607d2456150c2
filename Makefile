# tacit — plain Makefile, overridable variables first (wireguard-tools style).
CXX      ?= g++
CXXFLAGS ?= -O2 -g
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
PORT     ?= 7700
SANFLAGS ?=
NPROC    ?= $(shell nproc 2>/dev/null || echo 2)

override CXXFLAGS += -std=c++20 -Wall -Wextra -Werror $(SANFLAGS)
override CPPFLAGS += -I. -I/usr/include/postgresql -MMD -MP
LDFLAGS  ?=
override LDFLAGS += $(SANFLAGS)

LIBS_CRYPTO := -lmbedcrypto -lfmt
LIBS_LMDB   := -llmdb
LIBS_PQ     := -lpq
LIBS_CURSES := -lpanelw -lncursesw -ltinfo
LIBS_ICU    := -licuuc -licudata

# Debian 12 packages the build, the tests and `make run` need.
PKGS := g++ make pkg-config libmbedtls-dev liblmdb-dev libncurses-dev libfmt-dev \
        catch2 nlohmann-json3-dev tmux mandoc lmdb-utils clang libclang-rt-14-dev libicu-dev \
        python3 python3-cryptography postgresql-15 libpq-dev

SHARED_SRC := $(wildcard shared/*.cpp)
STORE_SRC  := $(wildcard srv/store/*.cpp)
SRV_SRC    := $(filter-out srv/main.cpp,$(wildcard srv/*.cpp)) $(wildcard srv/handlers/*.cpp)
CLIENT_SRC := $(wildcard tui/client/*.cpp) $(wildcard tui/batch/*.cpp)
UI_SRC     := $(wildcard tui/ui/*.cpp)
UNIT_SRC   := $(wildcard tests/unit/*.cpp)
INTEG_SRC  := $(wildcard tests/integration/*.cpp)
BENCH_SRC  := $(wildcard tests/bench/*.cpp)

obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(1))

LIB_SHARED := $(BUILD)/libshared.a
LIB_STORE  := $(BUILD)/libstore.a
LIB_SRV    := $(BUILD)/libsrv.a
LIB_CLIENT := $(BUILD)/libclient.a
LIB_UI     := $(BUILD)/libui.a

TACITD := $(BUILD)/tacitd
TACIT  := $(BUILD)/tacit
UNIT   := $(BUILD)/unit_tests
INTEG  := $(BUILD)/integration_tests
BENCH  := $(BUILD)/tacit-bench
VECTORS := $(BUILD)/tacit-vectors

.PHONY: all deps run test check sanitized-suite fuzz bench install uninstall clean lint-man
all: $(TACITD) $(TACIT)

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(LIB_SHARED): $(call obj,$(SHARED_SRC))
$(LIB_STORE): $(call obj,$(STORE_SRC))
$(LIB_SRV): $(call obj,$(SRV_SRC))
$(LIB_CLIENT): $(call obj,$(CLIENT_SRC))
$(LIB_UI): $(call obj,$(UI_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(TACITD): $(call obj,srv/main.cpp) $(LIB_SRV) $(LIB_STORE) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_LMDB) $(LIBS_PQ) $(LIBS_CRYPTO)

$(TACIT): $(call obj,tui/main.cpp) $(LIB_UI) $(LIB_CLIENT) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CURSES) $(LIBS_ICU) $(LIBS_LMDB) $(LIBS_CRYPTO)

$(UNIT): $(call obj,tests/catch_main.cpp $(UNIT_SRC)) $(LIB_UI) $(LIB_CLIENT) $(LIB_SRV) $(LIB_STORE) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CURSES) $(LIBS_ICU) $(LIBS_LMDB) $(LIBS_PQ) $(LIBS_CRYPTO)

$(INTEG): $(call obj,tests/catch_main.cpp $(INTEG_SRC)) $(LIB_CLIENT) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_LMDB) $(LIBS_CRYPTO)

# Prints X3DH, ratchet and group chain runs for tests/crypto/crosscheck.py.
$(VECTORS): $(call obj,tests/crypto/vectors.cpp) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CRYPTO)

$(BENCH): $(call obj,$(BENCH_SRC)) $(LIB_CLIENT) $(LIB_SHARED)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_LMDB) $(LIBS_CRYPTO)

# Installs only what is absent, so a provisioned machine makes no apt call.
deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "run as root, or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

tests-bin: $(UNIT) $(INTEG) $(TACITD) $(TACIT) $(VECTORS)

# Starts a local tacitd on data/, opens the client, stops the server on exit.
run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@BUILD=$(BUILD) PORT=$(PORT) bash srv/run-local.sh

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) tests-bin
	@BUILD=$(BUILD) bash tests/run.sh

# Everything under ASan+UBSan (clang), the whole suite. The suite runs in a
# sub-make given the same variables, so they reach it in MAKEFLAGS and a make
# the suite starts itself (the man check's make install) builds the same way
# instead of mixing g++ objects into build-asan.
# -fno-sanitize=function: clang 14 cannot emit its checks in the client
# core's coroutines ("Cannot represent a difference across sections").
ASAN_VARS := BUILD=build-asan CXX=clang++ CXXFLAGS="-O1 -g" \
  SANFLAGS="-fsanitize=address,undefined -fno-sanitize=function -fno-omit-frame-pointer -fno-sanitize-recover=all"
check: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(ASAN_VARS) tests-bin
	@$(MAKE) --no-print-directory $(ASAN_VARS) sanitized-suite

sanitized-suite:
	@BUILD=$(BUILD) TACIT_SANITIZED=1 bash tests/run.sh

fuzz: deps
	@BUILD=build-fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash tests/fuzz/run.sh

# Only the server and the load generator: the bench never needs the TUI.
bench: deps
	@$(MAKE) --no-print-directory $(TACITD) $(BENCH)
	@BUILD=$(BUILD) bash tests/bench/run.sh

lint-man:
	@for m in man/*.[0-9]; do mandoc -Tlint -W warning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(TACITD) $(TACIT) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/tacit.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/tacit-protocol.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 0644 man/tacitd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|@PREFIX@|$(PREFIX)|g' srv/tacitd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/tacitd.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tacitd $(DESTDIR)$(PREFIX)/bin/tacit \
	  $(DESTDIR)$(PREFIX)/share/man/man1/tacit.1 $(DESTDIR)$(PREFIX)/share/man/man7/tacit-protocol.7 \
	  $(DESTDIR)$(PREFIX)/share/man/man8/tacitd.8 $(DESTDIR)$(PREFIX)/lib/systemd/system/tacitd.service

clean:
	rm -rf build build-asan build-fuzz build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
