package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// renderReport is results.md: the table of every row kept in o.dir (this run's and earlier runs' of other N,
// each with its date, machine and commit), what the columns mean, the memory each further tenant added, and
// each row's requests by verb.
func renderReport(o options, rows []*result) string {
	var b strings.Builder
	fmt.Fprintln(&b, "| N | measured | commit | provision | floor | ratio | objects written: operator / floor (ratio) | requests/tenant (writes + reads) | idle writes (reads) | restart | restart writes (reads) | peak RSS | peak heap | live heap | ESO restarts |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.2f | %s / %s (%.2f) | %.1f (%.1f + %.1f) | %d (%d) | %s | %d (%d) | %s | %s | %s | %d |\n",
			r.N, r.Date.Format("2006-01-02 15:04Z"), r.Commit, round(r.Provision), round(r.FloorTime), r.Provision.Seconds()/r.FloorTime.Seconds(),
			round(r.Written), round(r.FloorCreate), r.Written.Seconds()/r.FloorCreate.Seconds(),
			float64(r.ProvisionReqs.total())/float64(r.N), float64(r.ProvisionReqs.writes())/float64(r.N), float64(r.ProvisionReqs.reads())/float64(r.N),
			r.IdleReqs.writes(), r.IdleReqs.reads(), round(r.Restart), r.RestartReqs.writes(), r.RestartReqs.reads(),
			mib(r.PeakRSS), mib(r.PeakHeap), mib(max(r.LiveHeap, r.RestartLiveHeap)), r.ESORestarts)
	}
	fmt.Fprintln(&b)
	machines := map[string]bool{}
	for _, r := range rows {
		if !machines[r.Machine+r.Flags] {
			machines[r.Machine+r.Flags] = true
			fmt.Fprintf(&b, "Machine: %s; operator flags %s.\n", r.Machine, r.Flags)
		}
	}
	fmt.Fprintf(&b, "\nprovision: N Tenants and their Integrations created until every Tenant is Ready and Isolated and every Integration Ready. floor: the same child objects created by a client with the same concurrency and limits, until ESO reports the same SecretStores and ExternalSecrets Ready. objects written: until the operator's last write of a child object / the floor's last create. idle: %s with nothing changing. restart: a new operator process until every Tenant and Integration is reconciled and its queues are empty; its writes are counted until %s later. live heap: right after a collection, after idle or after the restart, whichever is larger. ESO restarts: ESO v0.16.2's fake provider crashed and was started again.\n\n",
		o.idle, restartTail)
	for i := 1; i < len(rows); i++ {
		a, z := rows[i-1], rows[i]
		dn := float64(z.N - a.N)
		fmt.Fprintf(&b, "Each tenant from N=%d to N=%d added %.1f KiB of live heap and %.1f KiB of peak RSS.\n", a.N, z.N,
			float64(max(z.LiveHeap, z.RestartLiveHeap)-max(a.LiveHeap, a.RestartLiveHeap))/1024/dn, float64(z.PeakRSS-a.PeakRSS)/1024/dn)
	}
	fmt.Fprintln(&b)
	for _, r := range rows {
		fmt.Fprintf(&b, "N=%d requests by verb\n- operator, provisioning: %s\n- floor client: %s\n- operator, idle: %s\n- operator, restart: %s\n\n",
			r.N, r.ProvisionReqs, r.FloorReqs, r.IdleReqs, r.RestartReqs)
	}
	return b.String()
}

// saveResult keeps a row as dir/result.json.
func saveResult(dir string, r *result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "result.json"), data, 0o644)
}

// loadResults reads every row kept in dir (n*/result.json), by N.
func loadResults(dir string) ([]*result, error) {
	files, err := filepath.Glob(filepath.Join(dir, "n*", "result.json"))
	if err != nil {
		return nil, err
	}
	var rows []*result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r := &result{}
		if err := json.Unmarshal(data, r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].N < rows[j].N })
	return rows, nil
}

// machine describes this machine for a row: CPUs, memory and the Go version the operator was built with.
func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s: %d CPUs, %s; %s", host, runtime.NumCPU(), memTotal(), runtime.Version())
}

// commit names the checked-out commit, with "-dirty" when tracked files differ from it.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if err := exec.Command("git", "diff", "--quiet", "HEAD").Run(); err != nil {
		c += "-dirty"
	}
	return c
}

func (o options) flags() string {
	return fmt.Sprintf("--tenant-concurrency %d --integration-concurrency %d --kube-api-qps %g --kube-api-burst %d",
		o.tenantWorkers, o.integrationWorkers, o.qps, o.burst)
}

func memTotal() string {
	return fmt.Sprintf("%.0f GiB RAM", float64(procKB("/proc/meminfo", "MemTotal:"))/(1<<30))
}

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
