package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/kindred-health/kindred/app/testenv"
)

// loadCompose loads docker-compose.yml as `docker compose config` does
// (compose-go is the loader Docker Compose itself uses: schema validation,
// interpolation, anchors and merges, profiles), with env as the .env file.
func loadCompose(t *testing.T, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	root := testenv.RepoRoot(t)
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("kindred"), cli.WithEnv(pairs), cli.WithProfiles(profiles))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// TestComposeFile checks docker-compose.yml as an operator would run it,
// plain and with the "scale" profile: it loads and validates; the services
// are the ones the README and docs/deployment.md describe; every Kindred
// instance has the health check and the same settings; the proxy waits for
// both to be healthy and balances them with /readyz; the required secrets
// are asked for by name; and every KINDRED_ setting it passes is one
// Kindred reads (a typo would be silently ignored).
func TestComposeFile(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{"MEILI_MASTER_KEY": strings.Repeat("m", 32), "KINDRED_SECRET_KEY": strings.Repeat("k", 32)}

	plain, err := loadCompose(t, secrets)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	if got := plain.ServiceNames(); !slices.Equal(sorted(got), []string{"kindred", "meilisearch", "postgres"}) {
		t.Errorf("services without a profile: %v", got)
	}
	scale, err := loadCompose(t, secrets, "scale")
	if err != nil {
		t.Fatalf("docker-compose.yml with --profile scale does not load: %v", err)
	}
	if got := scale.ServiceNames(); !slices.Equal(sorted(got), []string{"kindred", "kindred-2", "meilisearch", "postgres", "proxy"}) {
		t.Errorf("services with the scale profile: %v", got)
	}

	config, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "app", "config", "config.go"))
	if err != nil {
		t.Fatal(err)
	}
	first := scale.Services["kindred"]
	for _, name := range []string{"kindred", "kindred-2"} {
		s := scale.Services[name]
		if s.HealthCheck == nil || !slices.Equal([]string(s.HealthCheck.Test), []string{"CMD", "/usr/local/bin/kindred", "ready"}) {
			t.Errorf("%s: health check %+v, want `kindred ready`", name, s.HealthCheck)
		}
		for _, dep := range []string{"postgres", "meilisearch"} {
			if s.DependsOn[dep].Condition != types.ServiceConditionHealthy {
				t.Errorf("%s starts before %s is healthy", name, dep)
			}
		}
		if len(s.Environment) != len(first.Environment) {
			t.Errorf("%s has %d settings, kindred %d: the instances must share them", name, len(s.Environment), len(first.Environment))
		}
		for k, v := range s.Environment {
			if v == nil || (first.Environment[k] == nil || *first.Environment[k] != *v) {
				t.Errorf("%s: %s differs from the first instance's", name, k)
			}
			if strings.HasPrefix(k, "KINDRED_") && !strings.Contains(string(config), `"`+k+`"`) {
				t.Errorf("%s: %s is not a setting Kindred reads (app/config)", name, k)
			}
		}
		if v := s.Environment["MEILI_MASTER_KEY"]; v == nil || *v != secrets["MEILI_MASTER_KEY"] {
			t.Errorf("%s: MEILI_MASTER_KEY does not come from .env", name)
		}
	}
	proxy := scale.Services["proxy"]
	for _, dep := range []string{"kindred", "kindred-2"} {
		if proxy.DependsOn[dep].Condition != types.ServiceConditionHealthy {
			t.Errorf("the proxy does not wait for %s to be healthy", dep)
		}
	}
	// Only the proxy's forwarded addresses are believed.
	if n := proxy.Networks["default"]; n == nil || n.Ipv4Address == "" || *first.Environment["KINDRED_TRUSTED_PROXIES"] != n.Ipv4Address {
		t.Errorf("KINDRED_TRUSTED_PROXIES is not the proxy's fixed address (%+v)", n)
	}
	var caddyfile string
	for _, v := range proxy.Volumes {
		if v.Target == "/etc/caddy/Caddyfile" {
			b, err := os.ReadFile(v.Source)
			if err != nil {
				t.Fatalf("the proxy's Caddyfile: %v", err)
			}
			caddyfile = string(b)
		}
	}
	for _, want := range []string{"kindred:8080", "kindred-2:8080", "health_uri /readyz"} {
		if !strings.Contains(caddyfile, want) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
	// Published ports stay on loopback.
	for _, s := range scale.Services {
		for _, p := range s.Ports {
			if p.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q, not loopback", s.Name, p.Published, p.HostIP)
			}
		}
	}

	// Without the secrets it refuses, naming them.
	for missing := range secrets {
		env := map[string]string{}
		for k, v := range secrets {
			if k != missing {
				env[k] = v
			}
		}
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), "set "+missing+" in .env") {
			t.Errorf("without %s: %v", missing, err)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
