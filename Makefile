# dbready - see README.md. `make` builds build/dbready; `make check` runs every test.
CC      ?= cc
PKGS     = libpq libcurl libcjson openssl
VERSION ?= 0.1.0
BUILD   ?= build
# the real-world migration folders beside the checkout (../shared/corpora)
DBREADY_CORPORA ?= $(abspath ../shared/corpora)

WARN     = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wno-format-nonliteral
HARDEN   = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(HARDEN) $(CFLAGS) -I/usr/include/postgresql \
             -DDBREADY_VERSION='"$(VERSION)"' -MMD -MP
LDFLAGS ?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS     = -lpq -lcurl -lcjson -lssl -lcrypto -lpthread -lm

SRCS     = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS     = $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/*.c)

.PHONY: all deps asan check check-asan unit integration demo clean format format-check

all: $(BUILD)/dbready

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/dbready: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(BUILD)/unit-tests: $(LIB_OBJS) $(UNIT_SRCS)
	$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) $(UNIT_SRCS) $(LIB_OBJS) -o $@ $(LIBS)

# Address and undefined-behaviour sanitizers: `make asan` builds build-asan/dbready.
# float-cast-overflow is not part of "undefined": a double out of range converted to an
# integer (a journal's "when" of 1e308) is undefined behaviour all the same.
SANITIZE = -fsanitize=address,undefined,float-cast-overflow
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g $(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="$(SANITIZE)" build-asan/dbready build-asan/unit-tests

# Installs every build and test dependency (Debian 12); prints the command when not root.
deps:
	@sh tests/lib/deps.sh

check:
	@sh tests/lib/deps.sh -q
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	@DBREADY=$(abspath $(BUILD)/dbready) UNIT=$(abspath $(BUILD)/unit-tests) \
		DBREADY_CORPORA=$(DBREADY_CORPORA) bash tests/run.sh

# The same suite against the sanitizer build.
check-asan:
	@sh tests/lib/deps.sh -q
	@$(MAKE) --no-print-directory asan
	@DBREADY=$(abspath build-asan/dbready) UNIT=$(abspath build-asan/unit-tests) \
		DBREADY_CORPORA=$(DBREADY_CORPORA) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 bash tests/run.sh

demo:
	@sh tests/lib/deps.sh -q
	@$(MAKE) --no-print-directory all
	@bash examples/demo.sh $(abspath $(BUILD)/dbready)

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c

format-check:
	clang-format --dry-run --Werror src/*.c src/*.h tests/unit/*.c

clean:
	rm -rf build build-asan

-include $(OBJS:.o=.d)

# --- the splitter against PostgreSQL's own lexer (tests/oracle) -----------------------------
# build/split-oracle compares src/sqlsplit.c with libpg_query (Debian 12: libpg-query-dev)
# over files and folders of .sql and its own table of tricky cases: `make oracle` runs it over
# DBREADY_CORPORA. `make fuzz` builds build/fuzz-split (libFuzzer, ASan, UBSan; clang and
# libclang-rt-14-dev) and runs it for FUZZ_SECONDS on a temporary copy of the seed corpus
# (the oracle's table and the corpora's small files); a failing input is kept as
# build/fuzz-split-crash-* (or -leak-, -timeout-).
ORACLE_SRCS  = tests/oracle/oracle.c src/sqlsplit.c
ORACLE_DEPS  = $(ORACLE_SRCS) tests/oracle/oracle.h src/sqlsplit.h
PGQUERY_LIBS = -lpg_query -lpthread -lm
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 60

.PHONY: oracle fuzz

$(BUILD)/split-oracle: tests/oracle/split_oracle.c $(ORACLE_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) -Isrc -Itests/oracle tests/oracle/split_oracle.c $(ORACLE_SRCS) \
		-o $@ $(LDFLAGS) $(PGQUERY_LIBS)

# build/ii-oracle: the names src/invalid_index.c reads from CONCURRENTLY index statements,
# against libpg_query's parse tree (its own table, and the .sql files it is given)
$(BUILD)/ii-oracle: tests/oracle/ii_oracle.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) tests/oracle/ii_oracle.c $(LIB_OBJS) -o $@ \
		-lpg_query $(LIBS)

oracle: $(BUILD)/split-oracle
	$(BUILD)/split-oracle $(wildcard $(DBREADY_CORPORA))

$(BUILD)/fuzz-split: tests/oracle/fuzz_split.c $(ORACLE_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -Itests/oracle \
		tests/oracle/fuzz_split.c $(ORACLE_SRCS) -o $@ $(PGQUERY_LIBS)

fuzz: $(BUILD)/fuzz-split $(BUILD)/split-oracle
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/dbready-fuzz.XXXXXX") && trap 'rm -rf "$$tmp"' EXIT && \
	$(BUILD)/split-oracle --write-seeds "$$tmp/corpus" >/dev/null && \
	if [ -d "$(DBREADY_CORPORA)" ]; then \
		find "$(DBREADY_CORPORA)" -name '*.sql' -size -4k | sort | { i=0; \
		while read -r f; do i=$$((i + 1)); cp "$$f" "$$tmp/corpus/corpora-$$i.sql"; done; }; \
	fi && \
	echo "fuzz: $$(ls "$$tmp/corpus" | wc -l) seeds, $(FUZZ_SECONDS) s" && \
	$(BUILD)/fuzz-split -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
		-dict=tests/oracle/sql.dict -artifact_prefix=$(BUILD)/fuzz-split- \
		-print_final_stats=1 "$$tmp/corpus"

# --- the container image (Dockerfile; scripts/image) ----------------------------------------
# `make image` builds the Dockerfile with podman (scripts/image/podman.sh adds the flags this
# machine needs) on a local debootstrap base image (scripts/image/base.sh, made once and
# cached as IMAGE_BASE), with the OCI labels from git. Needs root and podman runc debootstrap.
# `make image-test` runs tests/integration/image.sh alone (it also runs in `make check`).
IMAGE       ?= localhost/dbready:$(VERSION)
IMAGE_SUITE ?= bookworm
IMAGE_BASE  ?= localhost/dbready-builder-base:$(IMAGE_SUITE)
IMAGE_SOURCE ?= https://github.com/OWNER/dbready

.PHONY: image image-base image-test

image-base:
	@sh scripts/image/base.sh $(IMAGE_BASE) $(IMAGE_SUITE)

image:
	@IMAGE=$(IMAGE) IMAGE_BASE=$(IMAGE_BASE) IMAGE_SUITE=$(IMAGE_SUITE) VERSION=$(VERSION) \
		SOURCE=$(IMAGE_SOURCE) sh scripts/image/build.sh

image-test: all
	@DBREADY=$(abspath $(BUILD)/dbready) bash tests/run.sh image

# --- the fully static musl binary (scripts/static) ------------------------------------------
# `make static` builds build/dbready-static (stripped), build/dbready-static.unstripped,
# build/dbready-static.cdx.json (CycloneDX SBOM) and build/dbready-static.sha256 against musl,
# libpq, libcurl, cJSON and OpenSSL built from the Debian source packages pinned (name,
# version, SHA-256) in scripts/static/deps.lock. The dependencies are built once into
# $${XDG_CACHE_HOME:-$$HOME/.cache}/dbready-static/<hash> (about 5 minutes on 2 cores); then
# `make static` takes seconds. `make static-repro` builds twice and compares the SHA-256
# (REPRO_DEPS=1: the dependencies a second time too); `make static-clean-cache` drops the cache.
# `make static-lock` moves deps.lock to the newest downloadable version of each package's
# series (after a Debian security update; review and commit the diff).
.PHONY: static static-repro static-clean-cache static-lock

static:
	@BUILD='$(BUILD)' VERSION='$(VERSION)' WARN='$(WARN)' sh scripts/static/build.sh

static-repro:
	@VERSION='$(VERSION)' WARN='$(WARN)' sh scripts/static/repro.sh

static-lock:
	@sh scripts/static/lock.sh

static-clean-cache:
	rm -rf "$${DBREADY_STATIC_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/dbready-static}"

# --- deployment files (charts/, manifests/, examples/compose/, .github/, action.yml) --------
# `make deploy-check` runs tests/integration/deploy_*.sh alone (they run in `make check` too):
# Kubernetes schemas and Pod Security Standards, the chart rendered, compose, actionlint, and
# the manifests' runtime contract on the real binary and image. See tests/deploy/README.md.
.PHONY: deploy-check

deploy-check: all
	@sh tests/lib/deps.sh -q
	@DBREADY=$(abspath $(BUILD)/dbready) bash tests/run.sh deploy
