package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   int64
	requests int64
	kindred  float64 // CPU ms per request
	postgres float64
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkPct      = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
)

func parseWrkDuration(v, unit string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	switch unit {
	case "us":
		return time.Duration(f * float64(time.Microsecond))
	case "ms":
		return time.Duration(f * float64(time.Millisecond))
	}
	return time.Duration(f * float64(time.Second))
}

// wrk runs the command (-t2 -c50) against url after a warm-up and
// counts the CPU Kindred and PostgreSQL spent per request.
func wrk(ctx context.Context, cfg config, s *server, path string, headers ...string) (*wrkResult, error) {
	args := func(d time.Duration) []string {
		a := []string{"-t2", "-c50", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
		for _, h := range headers {
			a = append(a, "-H", h)
		}
		return append(a, s.base+path)
	}
	// Check the page answers 200 first: a measurement of error pages is worthless.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answers %d", path, res.StatusCode)
	}
	if err := exec.CommandContext(ctx, "wrk", args(cfg.warmup)...).Run(); err != nil {
		return nil, fmt.Errorf("wrk (install it: apt-get install wrk): %w", err)
	}
	app0, pg0 := cpuTicks(s.pid()), pgCPU()
	out, err := exec.CommandContext(ctx, "wrk", args(cfg.duration)...).Output()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w", err)
	}
	app1, pg1 := cpuTicks(s.pid()), pgCPU()
	o := string(out)
	r := &wrkResult{}
	if m := wrkRPS.FindStringSubmatch(o); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkNon2xx.FindStringSubmatch(o); m != nil {
		r.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkRequests.FindStringSubmatch(o); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for _, m := range wrkPct.FindAllStringSubmatch(o, -1) {
		d := parseWrkDuration(m[2], m[3])
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.requests > 0 {
		r.kindred = float64(app1-app0) / clockTick * 1000 / float64(r.requests)
		r.postgres = float64(pg1-pg0) / clockTick * 1000 / float64(r.requests)
	}
	return r, nil
}

func (r *wrkResult) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %s, p99 %s; CPU/request %.2f + %.2f ms (kindred + PostgreSQL)", r.rps, ms(r.p50), ms(r.p99), r.kindred, r.postgres)
	if r.non2xx > 0 {
		s += fmt.Sprintf("; %d answers not 2xx/3xx", r.non2xx)
	}
	return s
}

func pages(ctx context.Context, cfg config, ds *pagesData, t *table) error {
	thread := ds.threadIDs[0]
	page := fmt.Sprintf("/t/%d", thread)
	cookie := "Cookie: kindred_session=" + ds.readerCookie
	bearer := "Authorization: Bearer " + ds.readerToken
	type run struct {
		name, path string
		headers    []string
		target     string
		ok         func(*wrkResult) bool
		cacheOff   bool
	}
	runs := []run{
		{name: "visitor thread page, cached", path: page, target: "≥ 10,000 req/s, p99 ≤ 25 ms",
			ok: func(r *wrkResult) bool { return r.rps >= 10000 && r.p99 <= 25*time.Millisecond }},
		{name: "visitor thread page, cache off", path: page, cacheOff: true, target: "≥ 3,000 req/s",
			ok: func(r *wrkResult) bool { return r.rps >= 3000 }},
		{name: "visitor thread JSON (cache off)", path: fmt.Sprintf("/api/v1/threads/%d/posts", thread), cacheOff: true},
		{name: "visitor forum page, cached", path: "/f/" + ds.forumSlug},
		{name: "visitor forum page, cache off", path: "/f/" + ds.forumSlug, cacheOff: true},
		{name: "signed-in thread page, 5,000 unread", path: page, headers: []string{cookie}, target: "≥ 1,500 req/s",
			ok: func(r *wrkResult) bool { return r.rps >= 1500 }},
		{name: "signed-in thread page, no unread", path: page, headers: []string{"Cookie: kindred_session=" + ds.quietCookie}},
		// The same page with every session read from PostgreSQL: a member
		// whose session the instance does not hold (a first page, or the
		// first after a change of theirs).
		{name: "signed-in thread page, 5,000 unread, session cache off", path: page, headers: []string{cookie}, cacheOff: true},
		{name: "signed-in thread JSON (token), 5,000 unread", path: fmt.Sprintf("/api/v1/threads/%d/posts", thread), headers: []string{bearer}},
	}
	var cached, uncached *server
	defer func() {
		for _, s := range []*server{cached, uncached} {
			if s != nil {
				s.stop()
			}
		}
	}()
	var err error
	if cached, err = startServer(ctx, cfg, ds.dbURL); err != nil {
		return err
	}
	if uncached, err = startServer(ctx, cfg, ds.dbURL, "KINDRED_PAGE_CACHE=off", "KINDRED_SESSION_CACHE=off"); err != nil {
		return err
	}
	var maxRSS int64
	var visitorUncached, signedIn float64
	for _, r := range runs {
		s := cached
		if r.cacheOff {
			s = uncached
		}
		rss := sampleRSS(s.pid())
		res, err := wrk(ctx, cfg, s, r.path, r.headers...)
		peak := rss.end()
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		if peak > maxRSS {
			maxRSS = peak
		}
		var met *bool
		if r.ok != nil {
			met = boolp(r.ok(res) && res.non2xx == 0)
		}
		t.add(r.name, res.String(), r.target, met)
		switch r.name {
		case "visitor thread page, cache off":
			visitorUncached = res.rps
		case "signed-in thread page, 5,000 unread":
			signedIn = res.rps
		}
	}
	if visitorUncached > 0 {
		t.add("signed-in thread page ÷ visitor (cache off)", fmt.Sprintf("%.2f", signedIn/visitorUncached), "≥ 0.5", boolp(signedIn/visitorUncached >= 0.5))
	}
	t.add("kindred RSS, highest while serving pages", fmt.Sprintf("%d MB", maxRSS/1024), "≤ 100 MB", boolp(maxRSS/1024 <= 100))
	return nil
}
