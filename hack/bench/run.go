package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/alitok/workspace-operator/internal/testenv"
)

// result is one row of the table and its request breakdowns; each run keeps it as nN/result.json, so the
// curve (curve.go) can draw rows of earlier runs beside the new ones.
type result struct {
	N int `json:"n"`
	// Date, Machine and Commit say where and on what the row was measured.
	Date    time.Time `json:"date"`
	Machine string    `json:"machine"`
	Commit  string    `json:"commit"`
	Flags   string    `json:"flags"`

	Provision   time.Duration `json:"provision"`
	FloorCreate time.Duration `json:"floorCreate"`
	FloorTime   time.Duration `json:"floor"`
	// Written is when the operator sent its last write of a child object (not status) while provisioning.
	Written       time.Duration `json:"written"`
	ProvisionReqs verbCounts    `json:"provisionRequests"`
	FloorReqs     verbCounts    `json:"floorRequests"`
	IdleReqs      verbCounts    `json:"idleRequests"`
	Restart       time.Duration `json:"restart"`
	RestartReqs   verbCounts    `json:"restartRequests"`
	// PeakRSS and PeakHeap are the larger of the two operator processes'; LiveHeap is the heap right after a
	// collection at the end of the idle phase, RestartLiveHeap the same for the restarted process.
	PeakRSS         int64 `json:"peakRSS"`
	PeakHeap        int64 `json:"peakHeap"`
	LiveHeap        int64 `json:"liveHeap"`
	RestartLiveHeap int64 `json:"restartLiveHeap"`
	// Idle is how long the idle phase counted writes.
	Idle time.Duration `json:"idle"`
	// ESORestarts counts the ESO controller's crashes during the run (testenv restarts it; see Env.Restarts).
	ESORestarts int `json:"esoRestarts"`
}

const (
	floorUser     = "bench-floor"
	templateName  = "bench-template"
	benchPrefix   = "t-"
	floorPrefix   = "floor-"
	auditLogName  = "audit.log"
	settleTimeout = 5 * time.Minute
	// restartTail is how long after the re-verification the restarted operator's writes are still counted.
	restartTail = 30 * time.Second
	// cpuProfileLength is how long the CPU profiles of provisioning and of the cold start record, from their
	// start: cpu-provision.pprof and cpu-restart.pprof.
	cpuProfileLength = 20 * time.Second
)

// runOne measures n tenants on a control plane of its own: the floor first, then provisioning, idle and cold
// start (the package comment). Its logs, the audit log and heap profiles stay in o.dir/nN.
func runOne(o options, n int) (*result, error) {
	ctx := context.Background()
	dir, err := filepath.Abs(filepath.Join(o.dir, fmt.Sprintf("n%d", n)))
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return nil, err
	}
	auditLogPath := filepath.Join(dir, auditLogName)
	kcmLog, esoLog := createFile(dir, "kube-controller-manager.log"), createFile(dir, "external-secrets.log")
	defer kcmLog.Close()
	defer esoLog.Close()
	say("N=%d: starting etcd, kube-apiserver (audit log %s), kube-controller-manager and ESO", n, auditLogPath)
	env, err := testenv.Start(testenv.Options{
		ControllerManager: true, ControllerManagerLog: kcmLog, ESO: true, ESOLog: esoLog,
		// ESO is the bench's environment, not what it measures, so it is set up as for thousands of tenants: with
		// its defaults (a 50 QPS client shared by all its controllers, every store re-checked every 5 minutes) it
		// made ~9 ExternalSecrets Ready a second at N=10,000, falling to ~3 as the floor's 10,000 stores came up
		// for their re-checks, and bounded both sides' time to Ready instead of the writes.
		ESOArgs: []string{"--store-requeue-interval=1h", "--client-qps=300", "--client-burst=600"},
		APIServerArgs: map[string][]string{
			"audit-policy-file": {policy}, "audit-log-path": {auditLogPath}, "audit-log-maxsize": {"0"},
		},
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	onInterrupt(func() {
		if p := running.get(); p != nil {
			p.kill()
		}
		_ = env.Stop()
	})
	defer onInterrupt(nil)
	componentsExited = env.Exited

	adminCfg := rest.CopyConfig(env.Config)
	adminCfg.QPS, adminCfg.Burst = 1000, 2000
	adminCfg.WarningHandler = rest.NoWarnings{}
	admin, err := client.New(adminCfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	if err := testenv.InstallOperatorRBAC(ctx, admin, testenv.OperatorUser); err != nil {
		return nil, fmt.Errorf("installing the operator's RBAC: %w", err)
	}
	opUser, err := env.AddUser(envtest.User{Name: testenv.OperatorUser}, nil)
	if err != nil {
		return nil, err
	}
	opKubeconfig, err := opUser.KubeConfig()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "operator.kubeconfig"), opKubeconfig, 0o600); err != nil {
		return nil, err
	}
	floor, err := env.AddUser(envtest.User{Name: floorUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeOperatorConfig(dir)
	if err != nil {
		return nil, err
	}
	watch, err := newWatcher(ctx, adminCfg)
	if err != nil {
		return nil, err
	}
	defer watch.stop()
	audit := &auditLog{path: auditLogPath}

	r := &result{N: n}
	op, err := startOperator(o, dir, "operator-1.log", cfgPath)
	if err != nil {
		return nil, err
	}
	defer func() { running.get().kill() }() // whichever process runs when the run ends early

	// A workspace built by the operator, cloned N times for the floor.
	say("N=%d: the operator builds one template workspace, for the floor to clone", n)
	if err := createAll(ctx, admin, []string{templateName}, watch, o.timeout); err != nil {
		return nil, err
	}
	if err := waitFor(o.timeout, "the template workspace to be Ready", func() (bool, string) {
		return watch.readyWorkspaces([]string{templateName}) == 1, ""
	}); err != nil {
		return nil, err
	}
	template, err := snapshot(ctx, adminCfg, "tenant-"+templateName)
	if err != nil {
		return nil, err
	}
	say("N=%d: template workspace has %d objects: %s", n, len(template), kindsOf(template))

	// The floor: the same objects, created directly with the operator's concurrency and rate limits.
	floorCfg := rest.CopyConfig(floor.Config())
	floorCfg.QPS, floorCfg.Burst = float32(o.qps), o.burst
	say("N=%d: floor: creating %d objects for %d workspaces with %d workers at %g QPS (burst %d)", n, len(template)*n, n,
		o.tenantWorkers+o.integrationWorkers, o.qps, o.burst)
	mark := audit.mark()
	start := time.Now()
	if err := createFloor(ctx, floorCfg, template, n, o.tenantWorkers+o.integrationWorkers); err != nil {
		return nil, err
	}
	r.FloorCreate = time.Since(start)
	say("N=%d: floor: created in %s; waiting for ESO to report the stores and ExternalSecrets Ready", n, round(r.FloorCreate))
	if err := waitFor(o.timeout, "the floor's SecretStores and ExternalSecrets to be Ready", func() (bool, string) {
		stores, secrets := watch.readyESO(floorPrefix)
		return stores == n && secrets == 2*n, fmt.Sprintf("%d/%d stores, %d/%d ExternalSecrets", stores, n, secrets, 2*n)
	}); err != nil {
		return nil, err
	}
	r.FloorTime = time.Since(start)
	if r.FloorReqs, _, err = audit.countSince(mark, floorUser); err != nil {
		return nil, err
	}
	say("N=%d: floor: %s", n, round(r.FloorTime))

	// Provisioning by the operator.
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%04d", benchPrefix, i+1)
	}
	say("N=%d: provisioning: creating %d Tenants, and each one's Integration once its namespace exists", n, n)
	mark = audit.mark()
	start = time.Now()
	provisionCPU := op.profileCPU(filepath.Join(dir, "cpu-provision.pprof"), cpuProfileLength)
	if err := createAll(ctx, admin, names, watch, o.timeout); err != nil {
		return nil, err
	}
	if err := waitFor(o.timeout, "every Tenant and Integration to be Ready", func() (bool, string) {
		ready := watch.readyWorkspaces(names)
		return ready == n, fmt.Sprintf("%d/%d workspaces Ready", ready, n)
	}); err != nil {
		return nil, err
	}
	r.Provision = time.Since(start)
	say("N=%d: provisioning: all Ready in %s; waiting for the operator's work queues to drain", n, round(r.Provision))
	if err := waitFor(settleTimeout, "the operator's work queues to drain", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.idle(), q.String()
	}); err != nil {
		return nil, err
	}
	if err := provisionCPU(); err != nil {
		say("N=%d: no CPU profile of provisioning: %v", n, err)
	}
	var lastWrite time.Time
	if r.ProvisionReqs, lastWrite, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	r.Written = lastWrite.Sub(start)

	// Idle.
	say("N=%d: idle: counting the operator's requests for %s", n, o.idle)
	mark = audit.mark()
	time.Sleep(o.idle)
	if r.IdleReqs, _, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	r.PeakRSS, r.PeakHeap = op.peaks()
	say("N=%d: idle: %d writes, %d reads; so far peak RSS %s, heap %s", n, r.IdleReqs.writes(), r.IdleReqs.reads(), mib(r.PeakRSS), mib(r.PeakHeap))
	if r.LiveHeap, err = op.saveHeapProfile(filepath.Join(dir, "heap-idle.pprof")); err != nil {
		return nil, err
	}

	// Cold start.
	if err := op.stop(); err != nil {
		return nil, err
	}
	say("N=%d: restart: operator stopped; starting a new one over %d tenants", n, n+1)
	mark = audit.mark()
	start = time.Now()
	op, err = startOperator(o, dir, "operator-2.log", cfgPath)
	if err != nil {
		return nil, err
	}
	restartCPU := op.profileCPU(filepath.Join(dir, "cpu-restart.pprof"), cpuProfileLength)
	if err := waitFor(o.timeout, "the restarted operator to reconcile every Tenant and Integration", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.reconciled["tenant"] >= float64(n+1) && q.reconciled["integration"] >= float64(n+1) && q.idle(), q.String()
	}); err != nil {
		return nil, err
	}
	r.Restart = time.Since(start)
	say("N=%d: restart: every Tenant and Integration re-verified in %s; counting writes for %s more", n, round(r.Restart), restartTail)
	time.Sleep(restartTail)
	if err := restartCPU(); err != nil { // recorded for cpuProfileLength < restartTail from the start: done by now
		say("N=%d: no CPU profile of the cold start: %v", n, err)
	}
	if r.RestartReqs, _, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	rss, heap := op.peaks()
	r.PeakRSS, r.PeakHeap = max(r.PeakRSS, rss), max(r.PeakHeap, heap)
	if r.RestartLiveHeap, err = op.saveHeapProfile(filepath.Join(dir, "heap-restart.pprof")); err != nil {
		return nil, err
	}
	say("N=%d: restart: %d writes; the new process's peak RSS %s, heap %s", n, r.RestartReqs.writes(), mib(rss), mib(heap))
	if err := op.stop(); err != nil {
		return nil, err
	}
	r.ESORestarts = env.Restarts()["external-secrets"]
	r.Date, r.Machine, r.Commit, r.Flags = time.Now().UTC(), machine(o.operatorBin), o.commit, o.flags()
	r.Idle = o.idle
	return r, saveResult(o.dir, r)
}
