# worksafe — one GNU Makefile. Targets:
#   make            release binary build/worksafe
#   make demo       install missing packages, build, start a demo plant on 127.0.0.1:8080
#   make test       every test: unit, integration (SQLite and PostgreSQL), fuzz, browser
#   make install    binary, web assets, config and systemd unit under $(PREFIX)
#   make bench-http wrk against GET /api/v1/me next to nginx serving a file
#   make bench-hazards the hazard ledger's queries on 1,000,000 rows, both backends
#   make bench-alarm  threshold evaluations per second for 2,000 points (src/alarm)
#   make bench-series  bytes per stored reading of the series chunk codec
#   make bench-sse    alarm event latency on 1,000 and 10,000 live streams under ingest load
#   make bench-reload ingest latency while points are made (the register reload) vs alone
#   make bench-audit  one record's evidence check on a 1,000,000-entry log vs its proofs one by one
#   make bench-mqtt   MQTT messages/s of worksafe's client vs a bare mosquitto_sub
#   make bench-permits  permit pre-check latency with 500 active permits in the site
#   make bench-nab    the streaming anomaly detector on the NAB corpus, scored by the C NAB scorer
#   make bench-tep    multivariate monitoring on the Tennessee Eastman process against classic PCA
#   make bench-mvmon-minute  false alarms a day of a process monitor judged every minute, per kind of limits
#   make bench-riskidx  backtest of the risk index's projection on a generated history (hit rate, lead time)
#   make bench-nuisance  plain thresholds vs worksafe's limits + rules + detector on a generated plant
#   make check-layers  the dependency rules of docs/ARCHITECTURE.md
include config.mk

# Build with every core unless the caller chose (-jN on the command line).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

PKGS := libmicrohttpd jansson sqlite3 libpq libsodium gnutls nettle libzip expat xlsxwriter vips libqrencode libcurl libmodbus libmosquitto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Wformat=2 -Wno-missing-field-initializers \
        -Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -DWS_VERSION='"$(VERSION)"'

REL_CFLAGS := $(BASE_CFLAGS) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -DWS_TEST_CLOCK -DWS_TEST_HASH
# gold links a sanitized test binary five times faster than the default
# ld.bfd (0.14 s against 0.73 s; about 90 binaries), and is part of binutils.
TEST_LDFLAGS := -fsanitize=address,undefined -fuse-ld=gold

# The library holds every module; the command line (src/cli, main.c) is
# linked only into the binary, so unit tests never depend on it.
LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC := src/main.c $(wildcard src/cli/*.c)
REL_OBJ := $(LIB_SRC:src/%.c=build/rel/%.o)
TEST_OBJ := $(LIB_SRC:src/%.c=build/test/%.o)
REL_CLI_OBJ := $(CLI_SRC:src/%.c=build/rel/%.o)
TEST_CLI_OBJ := $(CLI_SRC:src/%.c=build/test/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/test/unit/%)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=build/test/integration/%)
INTEG_COMMON := $(wildcard tests/integration/common.c)
TEST_LIBS := $(shell pkg-config --libs cmocka libcurl 2>/dev/null)

.PHONY: bench-permits bench-sse bench-audit bench-reload bench-mqtt bench-decode all deps demo test install uninstall clean check-layers bench-http bench-hazards bench-series bench-alarm web fuzz

all: build/worksafe web

deps:
	@scripts/deps.sh

build/rel/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

build/test/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC test $<"
	@$(CC) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

build/rel/libworksafe.a: $(REL_OBJ)
	@rm -f $@; ar rcs $@ $^

build/test/libworksafe.a: $(TEST_OBJ)
	@rm -f $@; ar rcs $@ $^

build/worksafe: $(REL_CLI_OBJ) build/rel/libworksafe.a
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $(REL_CLI_OBJ) build/rel/libworksafe.a $(PKG_LIBS) -o $@

# The test build: sanitizers and a clock tests can move. Never installed.
build/test/worksafe: $(TEST_CLI_OBJ) build/test/libworksafe.a
	@echo "  LD      $@"
	@$(CC) $(TEST_CFLAGS) $(TEST_CLI_OBJ) build/test/libworksafe.a $(PKG_LIBS) $(TEST_LDFLAGS) -o $@

# the tests' shared helpers, compiled once rather than into every test binary
build/test/helpers/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(CC) $(TEST_CFLAGS) -Itests -MMD -MP -c $< -o $@
UNIT_HELP := build/test/helpers/unit/pgdb.o
INTEG_HELP := $(INTEG_COMMON:tests/%.c=build/test/helpers/%.o)
.SECONDARY: $(UNIT_HELP) $(INTEG_HELP)

build/test/unit/%: tests/unit/%.c tests/unit/pgdb.h $(UNIT_HELP) build/test/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(TEST_CFLAGS) -Itests $< $(UNIT_HELP) build/test/libworksafe.a $(PKG_LIBS) $(TEST_LIBS) $(TEST_LDFLAGS) -o $@
# the permission matrix's route calls, as data
build/test/integration/test_permissions: tests/integration/permission_calls.h
# the engine's fixture, shared by two test files
build/test/unit/test_warn build/test/unit/test_warn_plant: tests/unit/warn_fixture.h

build/test/integration/%: tests/integration/%.c $(INTEG_HELP) build/test/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(TEST_CFLAGS) -Itests $< $(INTEG_HELP) build/test/libworksafe.a $(PKG_LIBS) $(TEST_LIBS) $(TEST_LDFLAGS) -o $@

# libFuzzer targets, one per decoder (clang-14). The sources they share are
# compiled once into build/fuzz/obj (coverage and sanitizers, no libFuzzer
# main), not once a target (the fuzzers' build: 25 s -> 17 s with -j2).
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -g -O1 $(shell pkg-config --cflags jansson libpq)
FUZZ_COMMON := src/core/json.c src/core/err.c src/core/clock.c src/core/buf.c
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@clang-14 $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
build/fuzz/%: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang-14 $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    $^ $(shell pkg-config --libs jansson) $(FUZZ_LIBS_$(notdir $@)) -o $@
# Per-target extra sources: FUZZ_EXTRA_<target> := files linked into that fuzzer only.
FUZZ_EXTRA_fuzz_gorilla := src/telemetry/gorilla.c
FUZZ_EXTRA_fuzz_line := src/ingest/line.c
FUZZ_EXTRA_fuzz_batch := src/ingest/batch.c src/ingest/line.c
FUZZ_EXTRA_fuzz_csv := src/ingest/csv.c src/ingest/line.c src/org/table.c
FUZZ_LIBS_fuzz_csv := $(shell pkg-config --libs libzip expat 2>/dev/null)
FUZZ_EXTRA_fuzz_sparkplug := src/ingest/sparkplug.c
FUZZ_EXTRA_fuzz_hikvision := src/ingest/hikvision.c
FUZZ_EXTRA_fuzz_dahua := src/ingest/dahua.c
FUZZ_EXTRA_fuzz_modbus_cfg := src/ingest/modbus.c src/ingest/line.c src/core/log.c
FUZZ_LIBS_fuzz_modbus_cfg := $(shell pkg-config --libs libmodbus 2>/dev/null) -lpthread -lm
FUZZ_LIBS_fuzz_hikvision := $(shell pkg-config --libs expat 2>/dev/null)
FUZZ_EXTRA_fuzz_rule := src/alarm/rule.c src/alarm/rule_json.c src/anomaly/detector.c src/core/bigmem.c
FUZZ_LIBS_fuzz_rule := -lm
FUZZ_EXTRA_fuzz_permit := src/permit/rules.c src/permit/rules_parse.c src/permit/calendar.c src/permit/snapshot.c src/permit/profiles_data.c \
                          src/ledger/tz.c
FUZZ_LIBS_fuzz_permit := -lm -lpthread
# The proof checker shares its files with the log, which reaches the store
# (checkpoint.c seals with it, encode.c encodes its rows): the store is
# linked too, and never called.
FUZZ_EXTRA_fuzz_proof := src/audit/proof.c src/audit/checkpoint.c src/audit/encode.c src/audit/merkle.c \
                         src/audit/log.c src/store/store.c src/store/store_sqlite.c src/store/store_pg.c \
                         src/store/q_audit.c src/core/log.c
FUZZ_LIBS_fuzz_proof := $(shell pkg-config --libs libsodium nettle sqlite3 libpq 2>/dev/null) -lpthread -lm
FUZZ_OBJ = $(patsubst src/%.c,build/fuzz/obj/%.o,$(FUZZ_COMMON) $(FUZZ_EXTRA_$(1)))
$(foreach f,$(FUZZ_BIN),$(eval $(f): $(call FUZZ_OBJ,$(notdir $(f)))))
fuzz: $(FUZZ_BIN)

# Web assets: copied into build/web, with the npm packages the pages use
# (package.json; scripts/deps.sh installs them) copied into build/web/vendor:
# Apache ECharts for the trend and KPI charts. Nothing is fetched at run time.
WEB_SRC := $(shell find web -type f 2>/dev/null)
ECHARTS := node_modules/echarts/dist/echarts.min.js
build/web/.stamp: $(WEB_SRC) $(ECHARTS) package.json
	@rm -rf build/web; mkdir -p build/web/vendor
	cp -r web/. build/web/
	cp $(ECHARTS) build/web/vendor/echarts.min.js
	cp node_modules/echarts/LICENSE build/web/vendor/echarts.LICENSE
	@touch $@
$(ECHARTS):
	@scripts/deps.sh
web: build/web/.stamp

# The release binary is built too: its -O2 warnings are errors, and the test
# run checks that it has no movable clock.
test-build: build/worksafe build/test/worksafe $(UNIT_BIN) $(INTEG_BIN) $(FUZZ_BIN) build/web/.stamp

demo: deps
	$(MAKE) all
	scripts/demo.sh

# Only the test server and the pages first: scripts/test-run.sh starts the
# browser tests on them, the longest job, and builds the rest (test-build)
# while they run.
test: deps
	$(MAKE) build/test/worksafe build/web/.stamp
	scripts/test-run.sh

check-layers:
	@scripts/check-layers.sh

bench-http: deps
	$(MAKE) all
	bench/http.sh

# Bench tools link the release library (the server's own SQL and tokeniser).
build/bench/hazards: bench/hazards.c bench/hazard_seed.c build/rel/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< build/rel/libworksafe.a $(PKG_LIBS) $(shell pkg-config --libs libcurl 2>/dev/null) -o $@

bench-hazards: deps
	$(MAKE) all build/bench/hazards
	bench/hazards.sh

# Text decoders of ingestion: readings/s per format on one core (no server).
build/bench/ingest_decode: bench/ingest_decode.c build/rel/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< build/rel/libworksafe.a $(PKG_LIBS) -o $@

bench-decode: build/bench/ingest_decode
	build/bench/ingest_decode

build/bench/series_bytes: bench/series_bytes.c build/rel/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< build/rel/libworksafe.a $(PKG_LIBS) -o $@

TEP_D00 ?= ../shared/data/tep-train/d00.dat
bench-series: build/bench/series_bytes
	build/bench/series_bytes $(TEP_D00)

# The alarm core is pure (core/err + jansson): linked from its sources, -O2.
ALARM_BENCH_SRC := src/alarm/threshold.c src/alarm/alarm.c src/alarm/alarm_json.c src/core/err.c src/core/bigmem.c src/core/buf.c
build/bench/alarm_eval: bench/alarm_eval.c $(ALARM_BENCH_SRC) $(wildcard src/alarm/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(ALARM_BENCH_SRC) $(PKG_LIBS) -o $@

bench-alarm: build/bench/alarm_eval
	build/bench/alarm_eval

# Ingest through HTTP line batches into the whole engine vs a raw-append
# server on the same HTTP library, plus the MQTT, Node-RED, bytes-per-reading
# and SSE figures; ends with the one line of issue 4 (bench/ingest/run.sh).
build/bench/ingest_bench: bench/ingest/ingest_bench.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror $< -lpthread -o $@

build/bench/raw_sink: bench/ingest/raw_sink.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror $< $(shell pkg-config --cflags --libs libmicrohttpd) -o $@

# The engine alone (no HTTP), linked like the server (cli objects + library).
build/bench/engine_cost: bench/ingest/engine_cost.c $(filter-out build/rel/main.o,$(REL_CLI_OBJ)) build/rel/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $^ $(PKG_LIBS) -o $@

bench-ingest: deps
	$(MAKE) all build/bench/ingest_bench build/bench/raw_sink build/bench/engine_cost
	bench/ingest/run.sh

# Live alarm streams: an epoll client with N streams + 10 probes against a
# running server that ingests 100,000 readings a second (bench/sse/run.sh).
build/bench/sse_bench: bench/sse/sse_bench.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror $< $(shell pkg-config --cflags --libs gnutls) -lpthread -o $@

# Its ceiling: a bare one-thread epoll server that writes the frame to every
# stream, driven by the same client in the same run (bench/sse/raw_fanout.c).
build/bench/raw_fanout: bench/sse/raw_fanout.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror $< -lpthread -o $@

bench-sse: build/worksafe build/bench/sse_bench build/bench/raw_fanout
	bench/sse/run.sh

# A regulator's check of one record on a log of 1,000,000 entries, against
# the same proofs asked one by one (bench/audit/run.sh).
bench-audit: build/worksafe
	bench/audit/run.sh

# Ingest latency while points are made (each reloads the engine's register).
bench-reload: build/worksafe
	bench/reload/run.sh

# MQTT ingestion vs a bare mosquitto_sub through one broker (bench/mqtt).
# The worksafe side's sink is pluggable: MQTT_BENCH_SINK (and MQTT_BENCH_LIBS).
MQTT_BENCH_SINK ?= bench/mqtt/sink_count.c
MQTT_BENCH_LIBS ?=
MQTT_BENCH_SRC := src/ingest/mqtt.c src/ingest/line.c src/ingest/batch.c src/ingest/sparkplug.c \
                  src/core/err.c src/core/log.c src/core/clock.c src/core/buf.c
build/bench/mqtt_bench: bench/mqtt/mqtt_bench.c bench/mqtt/sink.h $(MQTT_BENCH_SINK) $(MQTT_BENCH_SRC)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(MQTT_BENCH_SINK) $(if $(MQTT_BENCH_LIBS),$(MQTT_BENCH_LIBS),$(MQTT_BENCH_SRC)) \
	    $(PKG_LIBS) -o $@

bench-mqtt: build/bench/mqtt_bench
	build/bench/mqtt_bench run

# The 10,000-hazard ledger test seeds with the bench's generator (#include).
build/test/integration/test_hazard_ledger: bench/hazard_seed.c

install: all
	scripts/install.sh "$(DESTDIR)" "$(PREFIX)"

clean:
	rm -rf build

-include $(REL_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(REL_CLI_OBJ:.o=.d) $(TEST_CLI_OBJ:.o=.d) $(wildcard build/fuzz/obj/*/*.d) \
         $(wildcard build/test/helpers/*/*.d)

# Special-work permits: the pre-check with 500 active permits (bench/permits).
bench-permits: all
	bench/permits/run.sh

# Issue 7 item 3 — multivariate monitoring on the Tennessee Eastman process:
# src/anomaly/mvmon (dynamic PCA + EWMA, held-out limits) against classic PCA
# T² and SPE at 99 %, linked from its sources at -O2 (bench/tep/tep_bench.c).
TEP_DIR ?= ../shared/data/tep-train
MVMON_BENCH_SRC := src/anomaly/mvmon.c src/core/err.c
build/bench/tep_bench: bench/tep/tep_bench.c $(MVMON_BENCH_SRC) src/anomaly/mvmon.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(MVMON_BENCH_SRC) -lm -o $@

.PHONY: bench-tep
bench-tep: build/bench/tep_bench
	build/bench/tep_bench $(TEP_DIR)

# The server's process monitors judge a minute at a time: false alarms a day
# for three kinds of limits on the demo reactor's shape (bench/tep/minute_bench.c).
build/bench/minute_bench: bench/tep/minute_bench.c $(MVMON_BENCH_SRC) src/anomaly/mvmon.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(MVMON_BENCH_SRC) -lm -o $@

.PHONY: bench-mvmon-minute
bench-mvmon-minute: build/bench/minute_bench
	build/bench/minute_bench

# Issue 7 item 2: the streaming anomaly detector over the NAB corpus, scored
# by the C NAB scorer (bench/nab; data from WS_NAB_DIR, default ../shared/data/nab).
NAB_BENCH_SRC := src/anomaly/nab.c src/anomaly/detector.c src/core/err.c
build/bench/nab_bench: bench/nab/nab_bench.c $(NAB_BENCH_SRC) src/anomaly/nab.h src/anomaly/detector.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(NAB_BENCH_SRC) -lm -o $@

bench-nab: build/bench/nab_bench
	build/bench/nab_bench

.PHONY: bench-nab

# Issue 7 item 5: the risk index's projection backtested on a generated
# history with injected changes (bench/riskidx), linked from its sources at -O2.
RISKIDX_BENCH_SRC := src/riskidx/model.c src/core/err.c
build/bench/riskidx_bench: bench/riskidx/riskidx_bench.c $(RISKIDX_BENCH_SRC) src/riskidx/model.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(RISKIDX_BENCH_SRC) $(shell pkg-config --libs jansson) -lm -o $@

.PHONY: bench-riskidx
bench-riskidx: build/bench/riskidx_bench
	build/bench/riskidx_bench

# Issue 7 item 4 — nuisance alarms: plain thresholds against worksafe's limits
# (thr_eval), rules (stale, flatline, anomaly, count) and detector fault flags
# on a generated, labelled plant (bench/nuisance; 2,000 points x 30 days).
# The alarm and anomaly sources are linked at -O2; rule_json.c needs jansson.
NUISANCE_GEN_SRC := bench/nuisance/plantgen.c bench/nuisance/nsys.c
NUISANCE_WS_SRC := src/alarm/threshold.c src/alarm/rule.c src/alarm/rule_json.c src/anomaly/detector.c \
                   src/core/err.c src/core/bigmem.c
build/bench/nuisance_bench: bench/nuisance/nuisance_bench.c $(NUISANCE_GEN_SRC) $(NUISANCE_WS_SRC) \
                            $(wildcard bench/nuisance/*.h) src/alarm/rule.h src/alarm/threshold.h src/anomaly/detector.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(REL_CFLAGS) -pie $< $(NUISANCE_GEN_SRC) $(NUISANCE_WS_SRC) $(shell pkg-config --cflags --libs jansson) -lm -o $@

.PHONY: bench-nuisance
bench-nuisance: build/bench/nuisance_bench
	build/bench/nuisance_bench

# Its unit test links the generator and the two systems from bench/nuisance.
build/test/unit/test_plantgen: tests/unit/test_plantgen.c $(NUISANCE_GEN_SRC) $(wildcard bench/nuisance/*.h) \
                               build/test/libworksafe.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(TEST_CFLAGS) -Itests -Ibench/nuisance $< $(NUISANCE_GEN_SRC) build/test/libworksafe.a $(PKG_LIBS) \
	    $(TEST_LIBS) $(TEST_LDFLAGS) -o $@
