# fgd — build, test, run and benchmark.
GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit, stamped explicitly: builds without VCS stamping (-buildvcs=false,
# a source tarball, a worktree Go cannot read) would otherwise say "unknown".
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -s -w -X github.com/fgdproject/fgd/internal/buildinfo.Version=$(VERSION) \
             -X github.com/fgdproject/fgd/internal/buildinfo.Revision=$(REVISION)
# Fuzz time per target inside `make test`.
FUZZTIME  ?= 30s
FUZZTIME_SHORT ?= 10s

.PHONY: all build test test-short test-browser fuzz bench run vet fmt-check shape check-tools clean reliability reliability-short kubeapiserver

all: build

build:
	@echo "building bin/fgd (a few minutes the first time, on a cold Go build cache; seconds after)"
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/fgd ./cmd/fgd

check-tools:
	@command -v git >/dev/null 2>&1 || { echo "fgd tests need git: install it (Debian: apt-get install -y git)"; exit 1; }
	@command -v kubectl >/dev/null 2>&1 || { echo "fgd tests need kubectl: install it (Debian: apt-get install -y kubectl)"; exit 1; }

# The real Kubernetes API server the kubernetes sink's tests run against, a
# separate Go module (internal/testutil/kubeapiserver) built once into the
# user cache directory. A cold build takes about ten minutes on two cores;
# later ones reuse the binary until the module's sources change.
kubeapiserver:
	$(GO) run ./tools/kubeapiserver

# All tests, the race detector on every package, then the fuzz targets for
# FUZZTIME each. The package timeout only catches a hang: on a loaded
# 2-core machine the daemon tests of cmd/fgd take several minutes. tools/testsummary prints what go test prints, then every
# skipped test with its reason, and exits with go test's status.
test: check-tools kubeapiserver
	$(GO) run ./tools/testsummary $(GO) test -json -race -count=1 -timeout 25m ./...
	$(MAKE) fuzz

# The status page and the fabric page (wiring picture, resource browser) in
# headless Chromium against the real daemon; FGD_UPDATE_SCREENSHOT=1 rewrites
# the screenshots in docs/. Installs
# Debian's chromium first when /usr/bin/chromium is missing.
test-browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium (Debian package) for the browser test"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	fi
	$(GO) test -run 'TestStatusPageInBrowser|TestFabricPageWiringInBrowser' -count=1 ./cmd/fgd

# The fuzz targets: the YAML pipeline (parse, validate, normalize), the
# config parser, the git remote URL parser, the webhook payload parsers and
# whole webhook requests, and the commit signatures a git remote serves.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzPipeline$$' -fuzztime $(FUZZTIME) ./internal/resource
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME_SHORT) ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME_SHORT) ./internal/giturl
	$(GO) test -run '^$$' -fuzz '^FuzzHookPayload$$' -fuzztime $(FUZZTIME_SHORT) ./internal/httpapi
	$(GO) test -run '^$$' -fuzz '^FuzzHookRequest$$' -fuzztime $(FUZZTIME_SHORT) ./internal/httpapi
	$(GO) test -run '^$$' -fuzz '^FuzzVerifySignature$$' -fuzztime $(FUZZTIME_SHORT) ./sources/git

# Proof under stress (see README "Reliability"): kill -9 cycles over dir and
# git fabrics, ten minutes of remote faults over 20 fabrics with leak checks,
# a full disk, then every fuzz target for RELIABILITY_FUZZTIME.
# reliability-short is the same tests at the scale .ci/run can afford.
RELIABILITY_FUZZTIME ?= 2m
reliability: check-tools
	FGD_RELIABILITY=full $(GO) test -count=1 -timeout 90m -v ./reliability
	$(MAKE) fuzz FUZZTIME=$(RELIABILITY_FUZZTIME) FUZZTIME_SHORT=$(RELIABILITY_FUZZTIME)

reliability-short: check-tools
	FGD_RELIABILITY=short $(GO) test -count=1 -timeout 15m ./reliability

# The benchmarks behind the performance table, each with its own -benchtime;
# the raw output goes to bench.out, then tools/benchtable prints the table.
# BENCHCOUNT=3 repeats every benchmark (the table shows median and range).
# A failed benchmark shows as "failed" in the table and fails the target.
BENCHCOUNT ?= 1
BENCH_TEST  = $(GO) test -run '^$$' -benchmem -count $(BENCHCOUNT) -timeout 60m
bench: build kubeapiserver
	@rm -f bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkIngest10k$$' -benchtime 3x ./internal/ingest 2>&1 || echo "FAIL: ingest benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkArchiveLogHistory$$' -benchtime 50x ./internal/ingest 2>&1 || echo "FAIL: archive log benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkIngestOneChange5000$$' -benchtime 20x ./internal/ingest 2>&1 || echo "FAIL: one-change ingest benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkBurst5000$$' -benchtime 1x ./reconciler 2>&1 || echo "FAIL: burst benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkHeapPerResource5000$$' -benchtime 1x ./reconciler 2>&1 || echo "FAIL: heap benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkGitVsCLI$$' -benchtime 3x ./sources/git 2>&1 || echo "FAIL: git benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkFirstCommitAfterClone5000$$' -benchtime 3x ./sources/git 2>&1 || echo "FAIL: git commit benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkFetchOneChange5000$$' -benchtime 3x ./sources/git 2>&1 || echo "FAIL: git fetch benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkGitStepOneChange5000$$' -benchtime 10x ./sources/git 2>&1 || echo "FAIL: git step benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkFabricsList$$' -benchtime 300x ./internal/httpapi 2>&1 || echo "FAIL: API benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^(BenchmarkDropToPublished|BenchmarkWebhookToCommit)$$' -benchtime 20x ./cmd/fgd 2>&1 || echo "FAIL: latency benchmarks"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^(BenchmarkThousandFabrics|BenchmarkIdleFleet)$$' -benchtime 1x ./cmd/fgd 2>&1 || echo "FAIL: fleet benchmarks"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkPushToPublished5000$$' -benchtime 20x ./cmd/fgd 2>&1 || echo "FAIL: 5,000-resource push benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkFirstWriteBack5000$$' -benchtime 3x ./cmd/fgd 2>&1 || echo "FAIL: 5,000-resource write-back benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkGitFleet5000$$' -benchtime 1x ./cmd/fgd 2>&1 || echo "FAIL: 5,000-resource fleet benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkHealthzUnderConnectionFlood$$' -benchtime 200x ./cmd/fgd 2>&1 || echo "FAIL: connection flood benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkKube5000$$' -benchtime 1x ./sinks/kubernetes 2>&1 || echo "FAIL: kubernetes sink benchmark"; } | tee -a bench.out
	{ $(BENCH_TEST) -bench '^BenchmarkPublishOneChange5000$$' -benchtime 20x ./sinks/directory 2>&1 || echo "FAIL: directory sink benchmark"; } | tee -a bench.out
	@echo
	@$(GO) run ./tools/benchtable < bench.out
	@! grep -q '^FAIL' bench.out || { echo "some benchmarks failed: see bench.out"; exit 1; }

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Every non-test function over 80 lines and Go file over 500 lines in the
# module (tools/codeshape); fails when there is one.
shape:
	$(GO) run ./tools/codeshape

# Runs the daemon on config.example.yaml: a fresh copy of the demo fabric
# under .run/ (ignored by git), a generated API token, http://127.0.0.1:9477/.
run: build
	rm -rf .run && mkdir -p .run && cp -R examples/demo-fabric .run/demo-fabric
	(umask 077; head -c 32 /dev/urandom | base64 > .run/api-token)
	./bin/fgd run --config config.example.yaml

clean:
	rm -rf bin .run bench.out

# --- install / uninstall (systemd) --------------------------------------------
# `make install` puts bin/fgd in $(PREFIX)/bin, the unit (its ExecStart pointed
# at that binary), the sysusers.d and tmpfiles.d snippets, and — only when
# absent — /etc/fgd/config.yaml from the example. DESTDIR stages a package.
# systemd reads units, sysusers.d and tmpfiles.d from /usr/lib and
# /usr/local/lib; for any other PREFIX they go under /etc, which it always reads.
BINDIR         ?= $(PREFIX)/bin
SYSTEMD_PREFIX := $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib,/etc)
UNITDIR        ?= $(SYSTEMD_PREFIX)/systemd/system
SYSUSERSDIR    ?= $(SYSTEMD_PREFIX)/sysusers.d
TMPFILESDIR    ?= $(SYSTEMD_PREFIX)/tmpfiles.d
CONFIG_EXAMPLE ?= config.example.yaml

.PHONY: install uninstall
install: build
	install -D -m 0755 bin/fgd '$(DESTDIR)$(BINDIR)/fgd'
	install -d -m 0755 '$(DESTDIR)$(UNITDIR)'
	sed 's#^ExecStart=/usr/local/bin/fgd #ExecStart=$(BINDIR)/fgd #' systemd/fgd.service > '$(DESTDIR)$(UNITDIR)/fgd.service.tmp'
	grep -q '^ExecStart=$(BINDIR)/fgd ' '$(DESTDIR)$(UNITDIR)/fgd.service.tmp' || { echo "install: could not point ExecStart at $(BINDIR)/fgd"; exit 1; }
	chmod 0644 '$(DESTDIR)$(UNITDIR)/fgd.service.tmp'
	mv '$(DESTDIR)$(UNITDIR)/fgd.service.tmp' '$(DESTDIR)$(UNITDIR)/fgd.service'
	install -D -m 0644 systemd/fgd.sysusers '$(DESTDIR)$(SYSUSERSDIR)/fgd.conf'
	install -D -m 0644 systemd/fgd.tmpfiles '$(DESTDIR)$(TMPFILESDIR)/fgd.conf'
	install -d -m 0755 '$(DESTDIR)/etc/fgd'
	@if [ -e '$(DESTDIR)/etc/fgd/config.yaml' ]; then \
		echo "keeping the existing $(DESTDIR)/etc/fgd/config.yaml"; \
	else \
		install -m 0644 '$(CONFIG_EXAMPLE)' '$(DESTDIR)/etc/fgd/config.yaml' && \
		echo "installed $(DESTDIR)/etc/fgd/config.yaml from $(CONFIG_EXAMPLE): edit it before starting fgd"; \
	fi
	@echo "next: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload; systemctl enable --now fgd"

# Removes what install put in place except the config (/etc/fgd) and the state
# (/var/lib/fgd), which hold the operator's data.
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/fgd' '$(DESTDIR)$(UNITDIR)/fgd.service' \
		'$(DESTDIR)$(SYSUSERSDIR)/fgd.conf' '$(DESTDIR)$(TMPFILESDIR)/fgd.conf'
	@echo "kept /etc/fgd and /var/lib/fgd; remove them by hand if they are no longer needed"
