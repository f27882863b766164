package main

import (
	"debug/buildinfo"
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
func renderReport(rows []*result) string {
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
	for _, r := range rows {
		if r.FloorFrom != "" {
			fmt.Fprintf(&b, "N=%d: the floor is that of the run of %s (--reuse-floor).\n", r.N, r.FloorFrom)
		}
	}
	machines := map[string]bool{}
	for _, r := range rows {
		if !machines[r.Machine+r.Flags] {
			machines[r.Machine+r.Flags] = true
			fmt.Fprintf(&b, "Machine: %s; operator flags %s (rows of N=%s).\n", r.Machine, r.Flags, rowsOf(rows, func(o *result) bool {
				return o.Machine == r.Machine && o.Flags == r.Flags
			}))
		}
	}
	fmt.Fprintf(&b, "\nprovision: N Tenants and their Integrations created until every Tenant is Ready and Isolated and every Integration Ready. floor: the same child objects created on a control plane of its own by a client with the same concurrency, limits and ClusterRole, until ESO reports the same SecretStores and ExternalSecrets Ready. objects written: until the operator's last write of a child object / the floor's last create. idle: %s with nothing changing. restart: a new operator process until every Tenant and Integration is reconciled and its queues are empty; its writes are counted until %s later. live heap: right after a collection, after idle or after the restart, whichever is larger. ESO restarts: ESO v0.16.2's fake provider crashed and was started again.\n\n",
		idleOf(rows), restartTail)
	for i := 1; i < len(rows); i++ {
		a, z := rows[i-1], rows[i]
		dn := float64(z.N - a.N)
		note := ""
		if a.Commit != z.Commit || a.Machine != z.Machine {
			note = fmt.Sprintf(" (rows of different commits or machines: %s and %s)", a.Commit, z.Commit)
		}
		fmt.Fprintf(&b, "Each tenant from N=%d to N=%d added %.1f KiB of live heap and %.1f KiB of peak RSS%s.\n", a.N, z.N,
			float64(max(z.LiveHeap, z.RestartLiveHeap)-max(a.LiveHeap, a.RestartLiveHeap))/1024/dn, float64(z.PeakRSS-a.PeakRSS)/1024/dn, note)
	}
	fmt.Fprintln(&b)
	for _, r := range rows {
		fmt.Fprintf(&b, "N=%d requests by verb\n- operator, provisioning: %s\n- floor client: %s\n- operator, idle: %s\n- operator, restart: %s\n\n",
			r.N, r.ProvisionReqs, r.FloorReqs, r.IdleReqs, r.RestartReqs)
		if len(r.FloorCreateTimes) > 0 {
			fmt.Fprintf(&b, "N=%d API server time per create\n\n%s\n", r.N, createTimesTable(r.FloorCreateTimes, r.CreateTimes))
		}
	}
	return b.String()
}

// rowsDir is where each N's row is kept, apart from the run's own folder (nN/), which a new run of the same N
// empties first: the row of an earlier run stays until the new one has its own.
func rowsDir(dir string) string { return filepath.Join(dir, "rows") }

// saveResult keeps a row as dir/rows/nN.json.
func saveResult(dir string, r *result) error {
	return keepJSON(filepath.Join(rowsDir(dir), fmt.Sprintf("n%d.json", r.N)), r)
}

// keepJSON writes v as indented JSON to path, creating its folder.
func keepJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// floorRow is the floor's part of a row, kept apart as dir/rows/floor-nN.json: the floor measures the API
// server on this machine, not the operator, so a run of the same N with --reuse-floor takes it from there
// instead of measuring it again (about 45 minutes at N = 10,000).
type floorRow struct {
	N           int                `json:"n"`
	Date        time.Time          `json:"date"`
	Machine     string             `json:"machine"`
	Commit      string             `json:"commit"`
	Flags       string             `json:"flags"`
	Workspace   string             `json:"workspace"`
	Create      time.Duration      `json:"create"`
	Ready       time.Duration      `json:"ready"`
	Requests    verbCounts         `json:"requests"`
	CreateTimes map[string]latency `json:"createTimes"`
}

func floorOf(r *result, o options) *floorRow {
	return &floorRow{N: r.N, Date: time.Now().UTC(), Machine: machine(o.operatorBin), Commit: o.commit, Flags: o.flags(),
		Workspace: r.Workspace, Create: r.FloorCreate, Ready: r.FloorTime, Requests: r.FloorReqs, CreateTimes: r.FloorCreateTimes}
}

// apply copies the floor into r, naming where it came from.
func (f *floorRow) apply(r *result) {
	r.Workspace, r.FloorCreate, r.FloorTime, r.FloorReqs, r.FloorCreateTimes = f.Workspace, f.Create, f.Ready, f.Requests, f.CreateTimes
	r.FloorFrom = fmt.Sprintf("%s at %s", f.Date.Format("2006-01-02 15:04Z"), f.Commit)
}

func floorPath(dir string, n int) string {
	return filepath.Join(rowsDir(dir), fmt.Sprintf("floor-n%d.json", n))
}

func saveFloor(dir string, f *floorRow) error { return keepJSON(floorPath(dir, f.N), f) }

func loadFloor(dir string, n int) (*floorRow, error) {
	data, err := os.ReadFile(floorPath(dir, n))
	if err != nil {
		return nil, fmt.Errorf("no floor kept for N=%d (%w)", n, err)
	}
	f := &floorRow{}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s: %w", floorPath(dir, n), err)
	}
	if f.N != n || f.Create <= 0 || f.Ready <= 0 || f.Workspace == "" {
		return nil, fmt.Errorf("%s: not a complete floor", floorPath(dir, n))
	}
	return f, nil
}

// loadResults reads every row kept in dir, by N.
func loadResults(dir string) ([]*result, error) {
	files, err := filepath.Glob(filepath.Join(rowsDir(dir), "n*.json"))
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
		if r.Idle == 0 {
			r.Idle = defaultIdle // rows written before they recorded it ran with the default
		}
		if r.N < 1 || r.FloorTime <= 0 || r.FloorCreate <= 0 {
			return nil, fmt.Errorf("%s: not a complete row", f)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].N < rows[j].N })
	return rows, nil
}

func rowsOf(rows []*result, match func(*result) bool) string {
	var ns []string
	for _, r := range rows {
		if match(r) {
			ns = append(ns, fmt.Sprint(r.N))
		}
	}
	return strings.Join(ns, ", ")
}

// idleOf is the idle phase's length, as the rows recorded it.
func idleOf(rows []*result) string {
	seen := map[time.Duration]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.Idle] {
			seen[r.Idle] = true
			out = append(out, r.Idle.String())
		}
	}
	return strings.Join(out, " or ")
}

// machine describes this machine for a row: CPUs, memory, and the Go version the operator binary was built with.
func machine(operatorBin string) string {
	goVersion := "unknown Go"
	if info, err := buildinfo.ReadFile(operatorBin); err == nil {
		goVersion = info.GoVersion
	}
	return fmt.Sprintf("%d CPUs, %s; %s", runtime.NumCPU(), memTotal(), goVersion)
}

// commit names the checked-out commit, with "-dirty" when tracked files differ from it (hack/bench.sh builds the
// operator from this checkout just before the run).
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
