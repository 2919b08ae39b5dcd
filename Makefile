# fgd — build, test, run and benchmark.
GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/fgdproject/fgd/internal/buildinfo.Version=$(VERSION)
# Fuzz time per target inside `make test`.
FUZZTIME  ?= 30s

.PHONY: all build test test-short fuzz bench run vet fmt-check check-tools clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/fgd ./cmd/fgd

check-tools:
	@command -v git >/dev/null 2>&1 || { echo "fgd tests need git: install it (Debian: apt-get install -y git)"; exit 1; }

# All tests, the race detector on every package, then the fuzz targets for FUZZTIME each.
test: check-tools
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzPipeline$$' -fuzztime $(FUZZTIME) ./internal/resource

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x -benchmem ./... | tee bench.out

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Runs the daemon on a fresh copy of the demo fabric (see README).
run: build
	rm -rf .run && mkdir -p .run && cp -R examples/demo-fabric .run/demo-fabric
	./bin/fgd ingest .run/demo-fabric --fabric demo

clean:
	rm -rf bin .run bench.out
