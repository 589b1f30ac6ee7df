package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/models"
)

// TestMain lets this test binary also be the load client of
// TestLiveLoad: run as a child process, its memory stays out of the
// server's figures.
func TestMain(m *testing.M) {
	images.ServeHEICChild() // the child that decodes HEIC uploads
	if os.Getenv("KINDRED_LIVE_CLIENT") != "" {
		liveClient()
		os.Exit(0)
	}
	code := m.Run()
	stopSharedBrowser()
	os.Exit(code)
}

// liveClient opens KINDRED_LIVE_COLD streams to the cold URL and
// KINDRED_LIVE_HOT to the hot one (plain TCP, as small as a client can
// be), prints "ready" when all are open, then prints the UnixNano time at
// which each hot stream received its first reply event, as JSON, and
// exits when standard input closes.
func liveClient() {
	hot, _ := strconv.Atoi(os.Getenv("KINDRED_LIVE_HOT"))
	cold, _ := strconv.Atoi(os.Getenv("KINDRED_LIVE_COLD"))
	open := func(raw string) (*bufio.Reader, error) {
		u, _ := url.Parse(raw)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			return nil, err
		}
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nUser-Agent: kindred-live-load\r\n\r\n", u.RequestURI(), u.Host); err != nil {
			return nil, err
		}
		r := bufio.NewReaderSize(c, 512)
		for { // until the retry line: the stream is registered
			line, err := r.ReadString('\n')
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(line, "retry:") {
				return r, nil
			}
		}
	}
	var times []int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := 0; i < hot+cold; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			target := os.Getenv("KINDRED_LIVE_COLD_URL")
			if i < hot {
				target = os.Getenv("KINDRED_LIVE_HOT_URL")
			}
			r, err := open(target)
			<-sem
			if err != nil {
				failed.Add(1)
				return
			}
			if i >= hot {
				_, _ = r.ReadString(0) // hold the connection until the end
				return
			}
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if line == "event: reply\n" {
					mu.Lock()
					times = append(times, time.Now().UnixNano())
					mu.Unlock()
					_, _ = r.ReadString(0)
					return
				}
			}
		}(i)
	}
	for i := 0; i < cap(sem); i++ {
		sem <- struct{}{}
	}
	fmt.Printf("ready %d\n", failed.Load())
	done := make(chan struct{})
	go func() { _, _ = bufio.NewReader(os.Stdin).ReadString('\n'); close(done) }()
	deadline := time.After(60 * time.Second)
	for {
		mu.Lock()
		n := len(times)
		mu.Unlock()
		if n >= hot {
			break
		}
		select {
		case <-deadline:
		case <-time.After(10 * time.Millisecond):
			continue
		}
		break
	}
	mu.Lock()
	out, _ := json.Marshal(times)
	mu.Unlock()
	fmt.Printf("%s\n", out)
	<-done
}

func processRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestLiveLoad holds many open event streams on one instance, then writes
// one reply that fans out to some of them, and measures the delivery time
// of each and the server's extra memory. The clients run in a child
// process. make live-load runs the figures (10,000 streams,
// 1,000 receiving); make test a short version with loose bounds.
func TestLiveLoad(t *testing.T) {
	long := os.Getenv("KINDRED_LIVE_LOAD") != ""
	total, hot := 1000, 200
	maxP95, maxExtra := 2*time.Second, int64(150<<20)
	if long {
		total, hot = 10000, 1000
		maxP95 = 250 * time.Millisecond
	}
	// Not parallel, even short: the memory figure is the process's RSS,
	// and tests running beside this one made it grow by 200 MB while the
	// Go heap shrank (a failure that said nothing about the streams).
	h := newHarness(t, harnessOpts{})
	f := h.forum("load-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	h.account("load_writer", models.RoleMember)
	hotThread := h.thread("load_writer", f, "A thread everyone watches", "Shared widely.", false)
	coldThread := h.thread("load_writer", f, "A quiet thread", "Nobody writes here.", false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.app.Live.Run(ctx)
	select {
	case <-h.app.Live.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("hub not listening")
	}

	debug.FreeOSMemory() // what earlier tests left goes back to the system first
	before := processRSS(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapInuse + ms.StackInuse
	goBefore := runtime.NumGoroutine()

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "KINDRED_LIVE_CLIENT=1",
		"KINDRED_LIVE_HOT="+strconv.Itoa(hot), "KINDRED_LIVE_COLD="+strconv.Itoa(total-hot),
		"KINDRED_LIVE_HOT_URL="+h.srv.URL+"/events?thread="+itoa(hotThread.ID),
		"KINDRED_LIVE_COLD_URL="+h.srv.URL+"/events?thread="+itoa(coldThread.ID))
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = child.Wait() }()
	out := bufio.NewReader(stdout)
	start := time.Now()
	line, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("client: %q %v", line, err)
	}
	if failed := strings.TrimSpace(strings.TrimPrefix(line, "ready ")); failed != "0" {
		t.Fatalf("%s of %d streams failed to open", failed, total)
	}
	connectTime := time.Since(start)
	if n := h.app.Live.Subscribers(); n != total {
		t.Fatalf("%d subscribers, want %d", n, total)
	}
	debug.FreeOSMemory()
	after := processRSS(t)
	runtime.ReadMemStats(&ms)
	heapAfter := ms.HeapInuse + ms.StackInuse
	goAfter := runtime.NumGoroutine()

	t0 := time.Now()
	h.reply("load_writer", hotThread.ID, "Thank you all for reading.", false)
	line, err = out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var times []int64
	if err := json.Unmarshal([]byte(line), &times); err != nil {
		t.Fatalf("client output %q: %v", line, err)
	}
	if len(times) != hot {
		t.Fatalf("%d of %d hot streams got the reply", len(times), hot)
	}
	lat := make([]time.Duration, len(times))
	for i, ns := range times {
		lat[i] = time.Duration(ns - t0.UnixNano())
	}
	slices.Sort(lat)
	p50, p95, pmax := lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1]
	extra := after - before
	t.Logf("%d streams open in %s; reply to %d of them: p50 %s, p95 %s, max %s (from before the writer's transaction)",
		total, connectTime.Round(time.Millisecond), hot, p50.Round(time.Millisecond), p95.Round(time.Millisecond), pmax.Round(time.Millisecond))
	t.Logf("server memory for the streams: RSS %+.1f MB, Go heap+stacks %+.1f MB, goroutines %+d (%.1f KB RSS per stream)",
		float64(extra)/(1<<20), (float64(heapAfter)-float64(heapBefore))/(1<<20), goAfter-goBefore, float64(extra)/float64(total)/1024)
	if p95 > maxP95 {
		t.Errorf("delivery p95 %s, bound %s", p95, maxP95)
	}
	if extra > maxExtra {
		t.Errorf("extra memory %.1f MB, bound %.0f MB", float64(extra)/(1<<20), float64(maxExtra)/(1<<20))
	}
	if goAfter-goBefore > total/10 {
		t.Errorf("%d more goroutines for %d streams: each stream should not need one", goAfter-goBefore, total)
	}
}
