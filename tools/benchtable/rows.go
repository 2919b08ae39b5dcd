package main

import "regexp"

// oneSecond is the earlier issues' latency target and ours for drops.
const oneSecond = 1000 // ms

// rows is the table `make bench` prints: every target of the earlier
// issues, and ours where they set none. Order follows the list.
var rows = []Row{
	// Ingestion against the yaml.v3 decode floor. The target applies to
	// x-floor; x-floors adds the cost of creating one file per resource.
	{What: "ingest 10,000 resources in 200 files, ext4: time", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/disk$`),
		Unit: "ingest-ms", Scale: 0.001, Suffix: " s", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"},
		Context: []Context{{Label: "throughput", Unit: "resources/s", Suffix: " resources/s"}, {Label: "peak RSS", Unit: "peak-rss-MiB", Suffix: " MiB"}}},
	{What: "… × the yaml.v3 decode floor (x-floor), ext4", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/disk$`),
		Unit: "x-floor", Suffix: "×", Target: Target{Op: "<=", Value: 3, Text: "≤ 3×"},
		Context: []Context{{Label: "floor", Unit: "floor-ms", Suffix: " ms"}}},
	{What: "… × decode + file-creation floors (x-floors), ext4", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/disk$`),
		Unit: "x-floors", Suffix: "×",
		Context: []Context{{Label: "file-creation floor", Unit: "write-floor-ms", Suffix: " ms"}}},
	{What: "ingest 10,000 resources in 200 files, tmpfs: time", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`),
		Unit: "ingest-ms", Scale: 0.001, Suffix: " s", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"},
		Context: []Context{{Label: "throughput", Unit: "resources/s", Suffix: " resources/s"}}},
	{What: "… × the yaml.v3 decode floor (x-floor), tmpfs", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`),
		Unit: "x-floor", Suffix: "×", Target: Target{Op: "<=", Value: 3, Text: "≤ 3×"},
		Context: []Context{{Label: "floor", Unit: "floor-ms", Suffix: " ms"}}},
	{What: "… × decode + file-creation floors (x-floors), tmpfs", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngest10k/tmpfs$`),
		Unit: "x-floors", Suffix: "×",
		Context: []Context{{Label: "file-creation floor", Unit: "write-floor-ms", Suffix: " ms"}}},

	// The archive log's cost per sync must not grow with its history.
	{What: "sync of 1 new file, 100,000 archived records ÷ empty archive log: time", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkArchiveLogHistory$`),
		Unit: "x-time", Suffix: "×", Target: Target{Op: "<=", Value: 1.5, Text: "≤ 1.5×"},
		Context: []Context{{Label: "with history", Unit: "history-ms", Suffix: " ms"}, {Label: "empty", Unit: "empty-ms", Suffix: " ms"}}},
	{What: "… memory allocated per sync beyond the empty log's", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkArchiveLogHistory$`),
		Unit: "extra-alloc-MiB", Suffix: " MiB", Target: Target{Op: "<", Value: 100, Text: "< 100 MiB"},
		Context: []Context{{Label: "ratio", Unit: "x-alloc", Suffix: "×"}, {Label: "peak RSS", Unit: "peak-rss-MiB", Suffix: " MiB"}}},

	// A sync whose change is one file costs one file, not the tree.
	{What: "sync of one dropped file, 5,000 resources in managed/ (ingest + desired set): files read", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngestOneChange5000$`),
		Unit: "files-read/op", Target: Target{Op: "<=", Value: 2, Text: "≤ 2 (the file and its managed file)"},
		Context: []Context{{Label: "managed files parsed", Unit: "managed-parsed/op"}}},
	{What: "… time per sync (durable writes included), ext4", Pkg: "internal/ingest", Bench: regexp.MustCompile(`^BenchmarkIngestOneChange5000$`),
		Unit: "ns/op", Scale: 1e-6, Suffix: " ms"},

	// What a daemon holds per resource beyond the resource's own bytes.
	{What: "live heap per resource beyond its normalized bytes, one fabric of 5,000 (store, managed cache, directory sink)", Pkg: "reconciler", Bench: regexp.MustCompile(`^BenchmarkHeapPerResource5000$`),
		Unit: "heap-bytes/resource", Scale: 1.0 / 1024, Suffix: " KiB", Target: Target{Op: "<=", Value: 3072, Text: "≤ 3 KiB"},
		Context: []Context{{Label: "bytes", Unit: "body-bytes/resource", Suffix: " B"}}},

	// A burst of 5,000 files must coalesce, not make one sync per file.
	{What: "5,000 files dropped at once: syncs", Pkg: "reconciler", Bench: regexp.MustCompile(`^BenchmarkBurst5000$`),
		Unit: "syncs", Target: Target{Op: "<", Value: 50, Text: "< 50 (≪ 5,000)"}},
	{What: "… last write → last managed file", Pkg: "reconciler", Bench: regexp.MustCompile(`^BenchmarkBurst5000$`),
		Unit: "ms-last-write-to-managed", Scale: 0.001, Suffix: " s"},

	// Git against the git CLI on a 5,000-file repository.
	{What: "git no-change poll ÷ `git ls-remote`", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkGitVsCLI$`),
		Unit: "x-ls-remote", Suffix: "×", Target: Target{Op: "<=", Value: 1, Text: "≤ 1×"},
		Context: []Context{{Label: "fgd", Unit: "ms-poll", Suffix: " ms"}, {Label: "git", Unit: "ms-git-ls-remote", Suffix: " ms"}}},
	{What: "git initial sync ÷ `git clone --depth 1`, 5,000 files", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkGitVsCLI$`),
		Unit: "x-clone", Suffix: "×", Target: Target{Op: "<=", Value: 2, Text: "≤ 2×"},
		Context: []Context{{Label: "fgd", Unit: "ms-sync", Suffix: " ms"}, {Label: "git", Unit: "ms-git-clone", Suffix: " ms"}}},
	{What: "git first commit + push after a fresh clone, 5,000 files: time", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkFirstCommitAfterClone5000$`),
		Unit: "ms-commit", Suffix: " ms", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"}},
	{What: "… ÷ `git add -A && git commit && git push`", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkFirstCommitAfterClone5000$`),
		Unit: "x-commit", Suffix: "×", Target: Target{Op: "<=", Value: 2, Text: "≤ 2×"},
		Context: []Context{{Label: "git", Unit: "ms-git-commit", Suffix: " ms"}}},
	{What: "git fetch of one changed file, 5,000 files: bytes sent ÷ `git fetch`'s", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkFetchOneChange5000$`),
		Unit: "x-bytes", Suffix: "×", Target: Target{Op: "<=", Value: 2, Text: "≤ 2×"},
		Context: []Context{{Label: "fgd", Unit: "fgd-bytes/op", Suffix: " B"}, {Label: "git", Unit: "git-bytes/op", Suffix: " B"}}},

	// The git step of a one-file change costs the change, not the FGD.
	{What: "git step of a one-file change on a long-lived clone, 5,000 files (Update + write + Commit + Push): files hashed", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkGitStepOneChange5000$`),
		Unit: "files-hashed/op", Target: Target{Op: "<=", Value: 10, Text: "≤ 10"}},
	{What: "… files written by the checkout", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkGitStepOneChange5000$`),
		Unit: "files-written/op", Target: Target{Op: "<=", Value: 10, Text: "≤ 10"}},
	{What: "… time per step", Pkg: "sources/git", Bench: regexp.MustCompile(`^BenchmarkGitStepOneChange5000$`),
		Unit: "ms/op", Suffix: " ms",
		Context: []Context{{Label: "CPU", Unit: "cpu-ms/op", Suffix: " ms"}}},

	// File dropped (fsnotify) and webhook to the published tree.
	{What: "file dropped in raw/ → published tree (default debounce 250 ms), p50", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkDropToPublished$`),
		Unit: "p50-ms", Suffix: " ms", Target: Target{Op: "<", Value: oneSecond, Text: "< 1 s", Ours: true}},
	{What: "… p99", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkDropToPublished$`),
		Unit: "p99-ms", Suffix: " ms", Target: Target{Op: "<", Value: oneSecond, Text: "< 1 s", Ours: true},
		Context: []Context{{Label: "max", Unit: "max-ms", Suffix: " ms"}}},
	{What: "signed webhook → fgd's commit on the remote (poll 1 h)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkWebhookToCommit$`),
		Unit: "commit-ms", Suffix: " ms", Target: Target{Op: "<", Value: oneSecond, Text: "< 1 s"}},
	{What: "signed webhook → published tree (poll 1 h)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkWebhookToCommit$`),
		Unit: "published-ms", Suffix: " ms", Target: Target{Op: "<", Value: oneSecond, Text: "< 1 s"}},

	// A 5,000-resource git fabric (2,500 VPCs + 2,500 VLANNamespaces, 5,118
	// files) over loopback smart HTTP, end to end through the daemon, with
	// the git CLI floor of the same run: `git fetch` + `git worktree add` of
	// the pushed commit (what git-sync does per change).
	{What: "5,000-resource git fabric: push to raw/ → published tree (poll 1 s), p50 of 20", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkPushToPublished5000/poll-1s$`),
		Unit: "p50-ms", Suffix: " ms", Target: Target{Op: "<", Value: oneSecond, Text: "< 1 s"},
		Context: []Context{{Label: "git CLI floor", Unit: "floor-p50-ms", Suffix: " ms"}}},
	{What: "… ÷ (git CLI floor + 1 poll interval)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkPushToPublished5000/poll-1s$`),
		Unit: "x-floor-plus-poll", Suffix: "×", Target: Target{Op: "<=", Value: 1, Text: "≤ 1×"}},
	{What: "… max of 20", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkPushToPublished5000/poll-1s$`),
		Unit: "max-ms", Suffix: " ms", Target: Target{Op: "<", Value: 3000, Text: "< 3 s"}},
	{What: "… files written by a publish after the one-file change (new inodes)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkPushToPublished5000/poll-1s$`),
		Unit: "files-written-max", Target: Target{Op: "<=", Value: 10, Text: "≤ 10"},
		Context: []Context{{Label: "hard-linked", Unit: "files-linked"}, {Label: "repository files", Unit: "repo-files"}, {Label: "size", Unit: "repo-MiB", Suffix: " MiB"}}},
	{What: "… push + signed webhook → published tree (poll 1 h), p50 of 20", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkPushToPublished5000/webhook$`),
		Unit: "p50-ms", Suffix: " ms", Target: Target{Op: "<", Value: 500, Text: "< 500 ms"},
		Context: []Context{{Label: "max", Unit: "max-ms", Suffix: " ms"}, {Label: "git CLI floor", Unit: "floor-p50-ms", Suffix: " ms"}}},
	{What: "… first write-back after a fresh clone: push → fgd's commit on the remote (webhook)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkFirstWriteBack5000$`),
		Unit: "writeback-ms", Suffix: " ms", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"}},
	{What: "… ÷ `git add -A && git commit && git push` of the same change", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkFirstWriteBack5000$`),
		Unit: "x-git-commit", Suffix: "×", Target: Target{Op: "<=", Value: 2, Text: "≤ 2×"},
		Context: []Context{{Label: "git", Unit: "git-commit-ms", Suffix: " ms"}}},
	{What: "20 such fabrics in one daemon, poll 1 s, `memory_limit_mib: 280`, idle: RSS", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkGitFleet5000$`),
		Unit: "rss-MiB", Suffix: " MiB", Target: Target{Op: "<", Value: 300, Text: "< 300 MiB"},
		Context: []Context{{Label: "live heap", Unit: "live-heap-MiB", Suffix: " MiB"}, {Label: "memory_limit_mib", Unit: "limit-MiB"},
			{Label: "all first syncs", Unit: "first-syncs-s", Suffix: " s"}}},
	{What: "… CPU, % of one core", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkGitFleet5000$`),
		Unit: "cpu-pct", Suffix: "%", Target: Target{Op: "<", Value: 5, Text: "< 5%"},
		Context: []Context{{Label: "head checks in the 30 s", Unit: "polls-in-window"}}},

	// 1,000 fabrics starting at once, with API load.
	{What: "1,000 dir fabrics × 50 resources: all first syncs", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkThousandFabrics$`),
		Unit: "first-syncs-s", Suffix: " s", Target: Target{Op: "<", Value: 240, Text: "< 4 min"}},
	{What: "… peak RSS of the whole process", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkThousandFabrics$`),
		Unit: "peak-rss-MiB", Suffix: " MiB", Target: Target{Op: "<", Value: 500, Text: "< 500 MiB"}},
	{What: "… `GET /api/v1/fabrics` at 200 req/s meanwhile, p99", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkThousandFabrics$`),
		Unit: "p99-ms", Suffix: " ms", Target: Target{Op: "<", Value: 50, Text: "< 50 ms"},
		Context: []Context{{Label: "p50", Unit: "p50-ms", Suffix: " ms"}, {Label: "requests", Unit: "requests"}}},
	{What: "`GET /api/v1/fabrics`, 1,000 fabrics, idle, p99", Pkg: "internal/httpapi", Bench: regexp.MustCompile(`^BenchmarkFabricsList$`),
		Unit: "p99-µs", Scale: 0.001, Suffix: " ms",
		Context: []Context{{Label: "p50", Unit: "p50-µs", Scale: 0.001, Suffix: " ms"}}},

	// A liveness probe while a local user floods the daemon with idle
	// connections (api.max_connections 500).
	{What: "`/healthz` while 5,000 idle connections are held and more keep coming, p99", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkHealthzUnderConnectionFlood$`),
		Unit: "p99-ms", Suffix: " ms", Target: Target{Op: "<", Value: 100, Text: "< 100 ms"},
		Context: []Context{{Label: "p50", Unit: "p50-ms", Suffix: " ms"}, {Label: "daemon's file descriptors (cap 500)", Unit: "daemon-fds"}}},

	// Memory per fabric: RSS of the idle daemon after every first sync.
	{What: "idle daemon RSS, 1 fabric (the fixed cost)", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1$`),
		Unit: "rss-MiB", Suffix: " MiB"},
	{What: "idle daemon RSS, 100 fabrics", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=100$`),
		Unit: "rss-MiB", Suffix: " MiB",
		Context: []Context{{Label: "RSS/N", Unit: "rss-per-fabric-KiB", Suffix: " KiB"}}},
	{What: "idle daemon RSS, 1,000 fabrics", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1000$`),
		Unit: "rss-MiB", Suffix: " MiB", Target: Target{Op: "<", Value: 500, Text: "< 500 MiB"},
		Context: []Context{{Label: "RSS/N", Unit: "rss-per-fabric-KiB", Suffix: " KiB"}, {Label: "fabrics without inotify", Unit: "inotify-fallbacks"}}},
	{What: "memory per added fabric, 100 fabrics: (RSS(100) − RSS(1)) / 99", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=100$`),
		Unit: "marginal-KiB-per-fabric", Suffix: " KiB", Target: Target{Op: "<=", Value: 512, Text: "≤ 512 KiB (500 MiB / 1,000)", Ours: true}},
	{What: "memory per added fabric, 1,000 fabrics: (RSS(1000) − RSS(1)) / 999", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1000$`),
		Unit: "marginal-KiB-per-fabric", Suffix: " KiB", Target: Target{Op: "<=", Value: 512, Text: "≤ 512 KiB (500 MiB / 1,000)", Ours: true}},

	// CPU per idle fabric per hour, over a 30 s idle window.
	{What: "CPU per idle fabric per hour, 1 fabric", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1$`),
		Unit: "cpu-s-per-fabric-hour", Suffix: " s", Target: Target{Op: "<=", Value: 1, Text: "≤ 1 s", Ours: true}},
	{What: "CPU per idle fabric per hour, 100 fabrics", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=100$`),
		Unit: "cpu-s-per-fabric-hour", Suffix: " s", Target: Target{Op: "<=", Value: 1, Text: "≤ 1 s", Ours: true}},
	{What: "CPU per idle fabric per hour, 1,000 fabrics", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/fabrics=1000$`),
		Unit: "cpu-s-per-fabric-hour", Suffix: " s", Target: Target{Op: "<=", Value: 1, Text: "≤ 1 s", Ours: true}},
	{What: "CPU per idle fabric per hour, 100 fabrics, with the default rescans (12 an hour) added", Pkg: "cmd/fgd", Bench: regexp.MustCompile(`^BenchmarkIdleFleet/rescan-cost$`),
		Unit: "cpu-s-per-fabric-hour-with-rescans", Suffix: " s", Target: Target{Op: "<=", Value: 1, Text: "≤ 1 s", Ours: true},
		Context: []Context{{Label: "per rescan", Unit: "cpu-ms-per-rescan", Suffix: " ms"}}},

	// The kubernetes sink against a real API server (apiextensions-apiserver, embedded etcd), 5,000 VPCs.
	{What: "kubernetes sink: first apply of 5,000 VPCs ÷ `kubectl apply --server-side -f`", Pkg: "sinks/kubernetes", Bench: regexp.MustCompile(`^BenchmarkKube5000$`),
		Unit: "x-kubectl", Suffix: "×", Target: Target{Op: "<=", Value: 1, Text: "≤ 1×", Ours: true},
		Context: []Context{{Label: "fgd", Unit: "first-apply-s", Suffix: " s"}, {Label: "kubectl", Unit: "kubectl-apply-s", Suffix: " s"}}},
	{What: "… re-sync of the 5,000 unchanged, watches running (as in the daemon)", Pkg: "sinks/kubernetes", Bench: regexp.MustCompile(`^BenchmarkKube5000$`),
		Unit: "resync-ms", Suffix: " ms", Target: Target{Op: "<", Value: 1000, Text: "< 1 s"},
		Context: []Context{{Label: "after a restart (list and compare)", Unit: "resync-cold-ms", Suffix: " ms"}, {Label: "writes", Unit: "resync-writes"}}},
	{What: "… writes to the API server during those re-syncs", Pkg: "sinks/kubernetes", Bench: regexp.MustCompile(`^BenchmarkKube5000$`),
		Unit: "resync-writes", Target: Target{Op: "<=", Value: 0, Text: "0"}},
	{What: "… a subnet changed by another client → restored through the watch, p50", Pkg: "sinks/kubernetes", Bench: regexp.MustCompile(`^BenchmarkKube5000$`),
		Unit: "drift-restored-p50-ms", Suffix: " ms", Target: Target{Op: "<", Value: 2000, Text: "< 2 s"}},

	// The directory sink writes only what changed; the rest is hard-linked.
	{What: "directory sink: publish of 5,000 resources, one changed: files written", Pkg: "sinks/directory", Bench: regexp.MustCompile(`^BenchmarkPublishOneChange5000$`),
		Unit: "files-written/op", Target: Target{Op: "<=", Value: 10, Text: "≤ 10"},
		Context: []Context{{Label: "linked", Unit: "files-linked/op"}, {Label: "copied after a failed link", Unit: "link-fallbacks/op"}}},
	{What: "… files read to observe the live tree before that publish (stat cache)", Pkg: "sinks/directory", Bench: regexp.MustCompile(`^BenchmarkPublishOneChange5000$`),
		Unit: "files-read/op", Target: Target{Op: "<=", Value: 10, Text: "≤ 10"}},
	{What: "… time per observe and publish", Pkg: "sinks/directory", Bench: regexp.MustCompile(`^BenchmarkPublishOneChange5000$`),
		Unit: "publish-ms", Suffix: " ms"},
}
