package main

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metrics is a parsed Prometheus text exposition: one entry per sample line.
type metrics []struct {
	name   string
	labels map[string]string
	value  float64
}

func (m metrics) sum(name string, match map[string]string) float64 {
	var total float64
	for _, s := range m {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && s.labels[k] == v
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// metricsClient reads the operator's local endpoints: its metrics, and its heap profile (memory.go).
var metricsClient = &http.Client{Timeout: 5 * time.Second}

// scrapeInterval is how often the bench reads the operator's metrics endpoint: for its heap (memory.go) and, while
// waiting, its work queues. Each scrape runs the operator's collectors, whose cost grows with N (about 100 ms of
// CPU at 10,000 tenants, BenchmarkMetricsScrape), so the waits reuse the sampler's last scrape instead of adding
// their own.
const scrapeInterval = 2 * time.Second

type scrape struct {
	at time.Time
	m  metrics
}

// recentMetrics returns the last scrape if it is younger than scrapeInterval, else scrapes.
func (p *operatorProcess) recentMetrics() (metrics, error) {
	if s := p.lastScrape.Load(); s != nil && time.Since(s.at) < scrapeInterval {
		return s.m, nil
	}
	return p.metrics()
}

func (p *operatorProcess) metrics() (metrics, error) {
	at := time.Now()
	m, err := p.scrape()
	if err == nil {
		p.lastScrape.Store(&scrape{at: at, m: m})
	}
	return m, err
}

func (p *operatorProcess) scrape() (metrics, error) {
	resp, err := metricsClient.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	var out metrics
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		name, lbls := line[:sp], map[string]string{}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(name[i+1:], "}"), ",") {
				if k, val, ok := strings.Cut(kv, "="); ok {
					lbls[k] = strings.Trim(val, `"`)
				}
			}
			name = name[:i]
		}
		out = append(out, struct {
			name   string
			labels map[string]string
			value  float64
		}{name, lbls, v})
	}
	return out, sc.Err()
}
