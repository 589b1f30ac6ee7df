package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const secretKey = "perf-secret-key-perf-secret-key-perf-secret"

// server is a running `kindred serve`.
type server struct {
	cmd     *exec.Cmd
	base    string
	started time.Duration // exec to the first 200 from /readyz
	done    chan struct{}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs bin/kindred serve on dbURL with extra settings (NAME=value).
func startServer(ctx context.Context, cfg config, dbURL string, extra ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(cfg.bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "KINDRED_ADDR=127.0.0.1:"+strconv.Itoa(port), "KINDRED_BASE_URL="+base,
		"KINDRED_SECRET_KEY="+secretKey, "KINDRED_LOG_LEVEL=info", "KINDRED_MEILI_INDEX_PREFIX=perf_")
	cmd.Env = append(cmd.Env, extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The access log goes nowhere, as in the earlier measurements, unless
	// KINDRED_PERF_SERVER_LOG names a file for it (with GODEBUG=gctrace=1
	// in the environment, the collector's reports of the live heap).
	if path := os.Getenv("KINDRED_PERF_SERVER_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child holds its own descriptor
		cmd.Stderr = f
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: base, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("kindred serve exited at start (%v)", cmd.ProcessState)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		default:
		}
		res, err := client.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.started = time.Since(t0)
				return s, nil
			}
		}
		if time.Since(t0) > 60*time.Second {
			s.stop()
			return nil, fmt.Errorf("kindred serve not ready after 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// rssKiB reads a process's resident memory now.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// cpuTicks reads the CPU a process used (user + system), in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// sampler keeps the highest RSS of a process while it runs.
type sampler struct {
	mu   sync.Mutex
	max  int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rssKiB(pid); r > 0 {
				s.mu.Lock()
				if r > s.max {
					s.max = r
				}
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) end() int64 {
	close(s.stop)
	<-s.done
	return s.max
}

// pgCPU is the CPU of the PostgreSQL server behind DATABASE_URL, in clock
// ticks: its postmaster, the postmaster's children alive now and what
// exited ones left behind. Other PostgreSQL servers on the machine (other
// people's tests) are not counted.
func pgCPU() int64 {
	pm := postmaster()
	var t int64
	for _, pid := range processes("postgres") {
		if pid != pm && parent(pid) != pm {
			continue
		}
		t += cpuTicks(pid)
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			s := string(b)
			f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
			if len(f) > 14 {
				cu, _ := strconv.ParseInt(f[13], 10, 64)
				cs, _ := strconv.ParseInt(f[14], 10, 64)
				t += cu + cs
			}
		}
	}
	return t
}

var (
	postmasterOnce sync.Once
	postmasterPID  int
)

// postmaster finds the pid of the PostgreSQL server behind DATABASE_URL:
// the parent of a backend it starts for us.
func postmaster() int {
	postmasterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		var backend int
		if conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend) == nil {
			postmasterPID = parent(backend)
		}
	})
	return postmasterPID
}

// parent reads a process's parent pid.
func parent(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// processes lists the pids whose command name is name.
func processes(name string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(b)) == name {
			out = append(out, pid)
		}
	}
	return out
}

// meiliPID finds the Meilisearch process that serves MEILI_URL.
func meiliPID() int {
	port := os.Getenv("MEILI_URL")
	port = port[strings.LastIndex(port, ":")+1:]
	for _, pid := range processes("meilisearch") {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), ":"+port) {
			return pid
		}
	}
	return 0
}

var clockTick = 100.0 // Linux's USER_HZ

func coldStart(ctx context.Context, cfg config, ds *pagesData, t *table) error {
	runs := max(cfg.coldRuns, 1)
	var times []time.Duration
	for i := 0; i < runs; i++ {
		s, err := startServer(ctx, cfg, ds.dbURL)
		if err != nil {
			return err
		}
		times = append(times, s.started)
		s.stop()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	median := times[runs/2]
	figure := fmt.Sprintf("%.2f s", median.Seconds())
	if runs >= 4 {
		figure += fmt.Sprintf(" (quartiles %.2f–%.2f s)", times[runs/4].Seconds(), times[runs*3/4].Seconds())
	}
	t.add(fmt.Sprintf("cold start (exec to ready, median of %d)", runs), figure, "≤ 0.2 s", boolp(median <= 200*time.Millisecond))
	return nil
}
