package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// renderReport is results.md: the table, what its columns mean, and each N's requests by verb.
func renderReport(o options, results []*result) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s: %d CPUs, %s; %s; operator flags --tenant-concurrency %d --integration-concurrency %d --kube-api-qps %g --kube-api-burst %d.\n\n",
		time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), memTotal(), runtime.Version(), o.tenantWorkers, o.integrationWorkers, o.qps, o.burst)
	fmt.Fprintln(&b, "| N | provision | floor | ratio | objects written: operator / floor | requests/tenant (writes + reads) | idle writes (reads) | restart | restart writes (reads) | peak RSS | peak heap |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(&b, "| %d | %s | %s | %.2f | %s / %s | %.1f (%.1f + %.1f) | %d (%d) | %s | %d (%d) | %s | %s |\n",
			r.n, round(r.provision), round(r.floorTime), r.provision.Seconds()/r.floorTime.Seconds(), round(r.written), round(r.floorCreate),
			float64(r.provisionReqs.total())/float64(r.n), float64(r.provisionReqs.writes())/float64(r.n), float64(r.provisionReqs.reads())/float64(r.n),
			r.idleReqs.writes(), r.idleReqs.reads(), round(r.restart), r.restartReqs.writes(), r.restartReqs.reads(), mib(r.peakRSS), mib(r.peakHeap))
	}
	fmt.Fprintf(&b, "\nprovision: N Tenants and their Integrations created until every Tenant is Ready and Isolated and every Integration Ready. floor: the same child objects created by a client with the same concurrency and limits, until ESO reports the same SecretStores and ExternalSecrets Ready. objects written: until the operator's last write of a child object / the floor's last create. idle: %s with nothing changing. restart: a new operator process until every Tenant and Integration is reconciled and its queues are empty; its writes are counted until %s later.\n\n",
		o.idle, restartTail)
	for _, r := range results {
		fmt.Fprintf(&b, "N=%d requests by verb\n- operator, provisioning: %s\n- floor client: %s\n- operator, idle: %s\n- operator, restart: %s\n\n",
			r.n, r.provisionReqs, r.floorReqs, r.idleReqs, r.restartReqs)
	}
	return b.String()
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
