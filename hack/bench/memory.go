package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// sample reads the Go heap from the metrics endpoint every 2 s (a scrape costs the operator some work; the
// kernel keeps the RSS high-water mark itself).
func (p *operatorProcess) sample() {
	defer p.sampled.Done()
	tick := time.NewTicker(scrapeInterval)
	defer tick.Stop()
	for {
		select {
		case <-p.stopSample:
			return
		case <-tick.C:
		}
		if hwm := procStatus(p.cmd.Process.Pid, "VmHWM:"); hwm > p.peakRSS.Load() {
			p.peakRSS.Store(hwm)
		}
		if m, err := p.metrics(); err == nil {
			if h := int64(m.sum("go_memstats_heap_inuse_bytes", nil)); h > p.peakHeap.Load() {
				p.peakHeap.Store(h)
			}
		}
	}
}

func (p *operatorProcess) peaks() (rss, heap int64) {
	if hwm := procStatus(p.cmd.Process.Pid, "VmHWM:"); hwm > p.peakRSS.Load() {
		p.peakRSS.Store(hwm)
	}
	return p.peakRSS.Load(), p.peakHeap.Load()
}

// saveHeapProfile writes the operator's heap profile (go tool pprof reads it) to path, taken right after a
// collection, and returns the live heap that collection left (go_memstats_heap_alloc_bytes).
func (p *operatorProcess) saveHeapProfile(path string) (int64, error) {
	if err := download(metricsClient, "http://"+p.pprofAddr+"/debug/pprof/heap?gc=1", path); err != nil {
		return 0, fmt.Errorf("heap profile: %w", err)
	}
	m, err := p.metrics()
	if err != nil {
		return 0, err
	}
	return int64(m.sum("go_memstats_heap_alloc_bytes", nil)), nil
}

// download saves what url answers into path; an answer other than 200 OK is an error naming it.
func download(c *http.Client, url, path string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// procStatus returns a "kB" field of /proc/PID/status in bytes, or 0.
func procStatus(pid int, field string) int64 {
	return procKB(fmt.Sprintf("/proc/%d/status", pid), field)
}

// procKB returns a "NNN kB" field of a /proc file in bytes, or 0.
func procKB(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// profileCPU records the operator's CPU profile for d into path in the background; the returned function waits
// for it and reports its error. The bench takes one while provisioning and one at the start of the cold start.
func (p *operatorProcess) profileCPU(path string, d time.Duration) func() error {
	done := make(chan error, 1)
	go func() {
		c := &http.Client{Timeout: d + 30*time.Second}
		done <- download(c, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprofAddr, int(d.Seconds())), path)
	}()
	return func() error { return <-done }
}
