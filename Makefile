# Kindred. `make run` starts everything with demo data; `make test` runs every test.
GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test test-race build deps-run deps-test lint check-format vet staticcheck clean bench loadtest index-load write-load faults live-load analytics-bench perf

build:
	$(GO) build -tags nodynamic -o bin/kindred ./cmd/kindred
	$(GO) build -o bin/kindred-dev ./cmd/kindred-dev

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

# Starts PostgreSQL and Meilisearch (unless DATABASE_URL / MEILI_URL are set),
# migrates, loads demo data the first time, and serves http://localhost:8080.
# Ctrl-C stops everything it started.
run: deps-run build
	bin/kindred-dev run -- sh -c '{ [ -f .data/demo-seeded ] || { bin/kindred migrate up >/dev/null && bin/kindred seed-demo && touch .data/demo-seeded; }; } && exec bin/kindred serve'

# Throwaway PostgreSQL and Meilisearch on free loopback ports, then every test.
# -parallel 6: most tests wait on PostgreSQL, Meilisearch, River or a browser
# rather than compute, so six at a time per package keep two cores busy
# (430–446 s with the default of two, 345–387 s with six; docs/performance.md).
test: deps-test build lint
	@date +%s > .test-started
	@echo "The safety engine on its frozen test split:"
	$(GO) test -count=1 -run '^TestFrozenTestSplit$$' -v ./app/safety
	bin/kindred-dev test -- sh -c '$(GO) test -count=1 -p 2 -parallel 6 -timeout 15m ./... && \
	  $(GO) test -race -count=1 -timeout 10m -run "$(RACE_SHORT)" ./app/safety'
	@echo "make test: the tests took $$(( $$(date +%s) - $$(cat .test-started) )) s (set-up, build and lint before them not counted)"; rm -f .test-started

# The race detector over the concurrency tests. Building Kindred's
# dependencies with -race takes about four minutes of two cores on a fresh
# machine (for three tests that then run in 30 s), so `make test` keeps
# the short version: the safety engine's shared caches, whose race build
# is small (under a minute). Run this before merging work on concurrent
# code: replies to one thread at once, the question pool's claims, the
# page cache, the live hub, the search indexer.
RACE_SHORT = TestAnalyzeConcurrently
RACE_TESTS = TestConcurrentReplies|TestThreadPagesAtOnce|TestPoolClaimHasOneWinner|TestAnalyzeConcurrently|TestIndexer|TestSync|TestInvalidation|TestRenderOverlapping|TestSub|TestSessionCache
test-race: deps-test build
	bin/kindred-dev test -- $(GO) test -race -count=1 -p 2 -timeout 15m -run '$(RACE_TESTS)' ./app/server ./app/auth ./app/questions ./app/safety ./app/search ./app/pagecache ./app/live

lint: check-format vet staticcheck

check-format:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	rm -rf bin .cache

# The headline figures of docs/performance.md in one go (issue 21): pages
# (visitor cached and not, signed-in with 5,000 unread, JSON), writes/s with
# the index's lag, search p95 at 1 and 4 clients over 1,000,000 posts, RSS,
# cold start. Datasets are generated; wrk is installed when missing (as
# root). About 25 minutes; PERF_FLAGS=-quick for a smoke run of a minute.
perf: build
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null; } || { echo "make perf needs wrk: apt-get install wrk" >&2; exit 1; }
	$(GO) build -o bin/kindred-perf ./cmd/kindred-perf
	bin/kindred-dev test -- bin/kindred-perf -out perf-results.md $(PERF_FLAGS)

# Benchmarks of the thread and forum pages against 10,000 threads and 100,000 posts.
bench: build
	bin/kindred-dev test -- $(GO) test -count=1 -run '^$$' -bench . -benchtime 3s ./app/server

# wrk against a running server on loopback (apt-get install wrk first).
loadtest: build
	bin/kindred-dev test -- scripts/loadtest.sh

# The search queue under load: 60 s at 50, 200 and 1,000 writes/s, a backlog
# of 100,000 threads, a 3-minute Meilisearch outage (about 15 minutes; make
# test runs a short version). Figures in docs/performance.md.
# Live updates at the issue's size: 10,000 open event streams on one
# instance, a reply fanned out to 1,000 of them; prints delivery p50/p95
# and the server's extra memory (make test runs 1,000 and 200).
live-load: build
	bin/kindred-dev test -- env KINDRED_LIVE_LOAD=1 $(GO) test -count=1 -v -timeout 10m -run '^TestLiveLoad$$' ./app/server

index-load: build
	bin/kindred-dev test -- env KINDRED_INDEX_LOAD=1 $(GO) test -count=1 -v -timeout 60m -run '^TestIndexLoad$$' ./app/server

# Replies through the JSON API: 8 clients, each its own member, for 30 s
# (KINDRED_WRITE_LOAD_SECONDS) after a warm-up, with River and the search
# indexer running; prints posts/s, latency p50/p95/p99, errors by status,
# CPU per post of Kindred, PostgreSQL and Meilisearch, statements per post
# and the index lag. KINDRED_WRITE_LOAD_PROFILE=cpu.out adds a CPU profile.
# make test runs a short version (8 × 50 posts) that checks correctness.
write-load: build
	bin/kindred-dev test -- env KINDRED_WRITE_LOAD=1 $(GO) test -count=1 -v -timeout 20m -run '^TestWriteLoad$$' ./app/server

# The fault suite at length: two kindred serve processes on their own
# PostgreSQL and Meilisearch, each fault held 30 s while a client writes
# (make test runs it with 3-second faults). Prints, per fault, acknowledged,
# lost and duplicated writes, answers by status and recovery times.
faults: build
	bin/kindred-dev test -- env KINDRED_FAULTS=1 $(GO) test -count=1 -v -timeout 30m -run '^TestFaults$$' ./cmd/kindred

# Analytics at the issue's size: a year of 100,000 members and 1,000,000
# posts (bulk SQL), the rollup's backfill timed, then every analytics page
# (HTML and JSON) over 365 days, p50/p95 of 30 requests each (about 10–20
# minutes; make test runs a small history and checks the figures only).
analytics-bench: build
	bin/kindred-dev test -- env KINDRED_ANALYTICS_BENCH=1 $(GO) test -count=1 -v -timeout 60m -run '^TestAnalyticsLoad$$' ./app/server
