// Command kindred-perf measures the headline figures of issue 21 in one
// go, on loopback, with bounded loops: the visitor and signed-in thread page
// (HTML and JSON), the forum page, writes per second with the search
// index's lag, search p95 at one and four clients, memory under load and
// cold start. It generates its datasets (no downloads), runs `bin/kindred
// serve` against them and prints a table. Run it inside kindred-dev, which
// provides PostgreSQL and Meilisearch:
//
//	make perf
//	bin/kindred-dev test -- bin/kindred-perf [-quick] [-only pages,writes,search] [-followers 2000] [-paced=false] [-cpuprofile writes.pprof]
//
// Needs wrk for the page figures (make perf installs it when it can).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type config struct {
	quick         bool
	only          map[string]bool
	duration      time.Duration // each wrk or write measurement
	warmup        time.Duration
	searchThreads int // the search dataset: threads, each with postsPer posts
	postsPer      int
	bin           string // bin/kindred
	out           string // markdown copy of the table
	followers     int    // members who follow each of the ten hot threads of the writes dataset
	paced         bool   // also measure the index lag at 200 posts/s
	cpuprofile    string // writes: kindred's CPU profile of the full-rate run, to this file
	coldRuns      int    // starts measured for the cold-start figure
}

func main() {
	var cfg config
	var only string
	flag.BoolVar(&cfg.quick, "quick", false, "short runs and a small search dataset (a smoke test of the harness, not figures)")
	flag.StringVar(&only, "only", "pages,writes,search", "which parts to run (seed: only the pages and writes dataset, left in database kindred_perf; start: only the cold start)")
	flag.StringVar(&cfg.bin, "kindred", "bin/kindred", "the kindred binary to measure")
	flag.StringVar(&cfg.out, "out", "", "also write the table, as Markdown, to this file")
	flag.IntVar(&cfg.searchThreads, "search-threads", 100000, "threads in the search dataset")
	flag.IntVar(&cfg.postsPer, "posts-per-thread", 10, "posts per thread in the search dataset")
	flag.IntVar(&cfg.followers, "followers", 2000, "followers of each of the ten hot threads in the pages and writes dataset (0: none)")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "writes: save kindred serve's CPU profile of the full-rate run here (go tool pprof)")
	flag.IntVar(&cfg.coldRuns, "cold-runs", 5, "starts measured for the cold start (the median is reported; -only start measures only that)")
	flag.BoolVar(&cfg.paced, "paced", true, "writes: also measure the index lag at 200 posts/s")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "length of each measurement")
	flag.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "warm-up before each page measurement (not counted)")
	flag.Parse()
	cfg.only = map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		cfg.only[strings.TrimSpace(p)] = true
	}
	if cfg.quick {
		cfg.duration, cfg.warmup = 3*time.Second, time.Second
		if cfg.searchThreads == 100000 {
			cfg.searchThreads = 2000
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "kindred-perf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	for _, v := range []string{"DATABASE_URL", "MEILI_URL"} {
		if os.Getenv(v) == "" {
			return fmt.Errorf("%s is not set: run inside `bin/kindred-dev test --`", v)
		}
	}
	t := &table{}
	t.note("machine: %s", machine())
	t.note("load average before: %s", loadavg())
	started := time.Now()
	if cfg.only["pages"] || cfg.only["writes"] || cfg.only["seed"] || cfg.only["start"] {
		ds, err := seedPages(ctx, cfg)
		if err != nil {
			return fmt.Errorf("pages dataset: %w", err)
		}
		if cfg.only["seed"] {
			// Only the dataset, for measuring statements by hand
			// (scripts/explain-fanout.sql).
			fmt.Println("  dataset in database kindred_perf")
			fmt.Printf("  thread /t/%d, forum /f/%s\n", ds.threadIDs[0], ds.forumSlug)
			fmt.Printf("  KINDRED_PERF_READER_COOKIE=%s\n  KINDRED_PERF_QUIET_COOKIE=%s\n", ds.readerCookie, ds.quietCookie)
			return nil
		}
		if err := coldStart(ctx, cfg, ds, t); err != nil {
			return err
		}
		if cfg.only["pages"] {
			if err := pages(ctx, cfg, ds, t); err != nil {
				return err
			}
		}
		if cfg.only["writes"] {
			if err := writes(ctx, cfg, ds, t); err != nil {
				return err
			}
		}
	}
	if cfg.only["search"] {
		if err := searches(ctx, cfg, t); err != nil {
			return err
		}
	}
	t.note("load average after: %s; the harness took %s", loadavg(), time.Since(started).Round(time.Second))
	t.print(os.Stdout)
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			return err
		}
		defer f.Close()
		t.print(f)
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func machine() string {
	cpus, model := 0, ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				cpus++
			}
			if model == "" && strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(l[strings.Index(l, ":")+1:])
			}
		}
	}
	return fmt.Sprintf("%d cores (%s)", cpus, model)
}
