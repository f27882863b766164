package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// CreateTimes and FloorCreateTimes are the API server's times per create, by resource and "all", of the
	// operator while provisioning and of the floor's client.
	CreateTimes      map[string]latency `json:"createTimes,omitempty"`
	FloorCreateTimes map[string]latency `json:"floorCreateTimes,omitempty"`
	IdleReqs         verbCounts         `json:"idleRequests"`
	Restart          time.Duration      `json:"restart"`
	RestartReqs      verbCounts         `json:"restartRequests"`
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
	// Workspace is what one workspace holds, by kind (the floor's template, and what the operator built).
	Workspace string `json:"workspace,omitempty"`
	// FloorFrom names the earlier run whose floor the row reuses (--reuse-floor); empty when measured in this one.
	FloorFrom string `json:"floorFrom,omitempty"`
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

// plane is one fresh local control plane of a run, with the bench's own admin client, audit log and watches.
type plane struct {
	env      *testenv.Env
	adminCfg *rest.Config
	admin    client.Client
	audit    *auditLog
	watch    *watcher
	logs     []*os.File
}

// startPlane starts etcd, kube-apiserver (with an audit log in dir), kube-controller-manager and ESO, and installs
// the operator's RBAC for the operator's user and for each of users (the floor's client, so that it is authorized
// as the operator is and pays the same RBAC checks for its Roles and RoleBindings). The operator's kubeconfig is
// written to dir/operator.kubeconfig.
func startPlane(ctx context.Context, dir string, n int, users ...string) (*plane, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return nil, err
	}
	auditLogPath := filepath.Join(dir, auditLogName)
	p := &plane{audit: &auditLog{path: auditLogPath}}
	kcmLog, esoLog := createFile(dir, "kube-controller-manager.log"), createFile(dir, "external-secrets.log")
	p.logs = []*os.File{kcmLog, esoLog}
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
		p.closeLogs()
		return nil, err
	}
	p.env = env
	onInterrupt(func() {
		if op := running.get(); op != nil {
			op.kill()
		}
		_ = env.Stop()
	})
	componentsExited = env.Exited
	fail := func(err error) (*plane, error) { p.stop(); return nil, err }

	p.adminCfg = rest.CopyConfig(env.Config)
	p.adminCfg.QPS, p.adminCfg.Burst = 1000, 2000
	p.adminCfg.WarningHandler = rest.NoWarnings{}
	if p.admin, err = client.New(p.adminCfg, client.Options{Scheme: scheme}); err != nil {
		return fail(err)
	}
	if err := testenv.InstallOperatorRBAC(ctx, p.admin, testenv.OperatorUser); err != nil {
		return fail(fmt.Errorf("installing the operator's RBAC: %w", err))
	}
	for _, u := range users {
		if err := p.admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: u},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "workspace-operator"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u}},
		}); err != nil {
			return fail(fmt.Errorf("binding %s to the operator's ClusterRole: %w", u, err))
		}
	}
	opUser, err := env.AddUser(envtest.User{Name: testenv.OperatorUser}, nil)
	if err != nil {
		return fail(err)
	}
	opKubeconfig, err := opUser.KubeConfig()
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "operator.kubeconfig"), opKubeconfig, 0o600); err != nil {
		return fail(err)
	}
	if p.watch, err = newWatcher(ctx, p.adminCfg); err != nil {
		return fail(err)
	}
	return p, nil
}

// stop kills whichever operator process still runs and stops the control plane.
func (p *plane) stop() {
	if op := running.get(); op != nil {
		op.kill()
	}
	if p.watch != nil {
		p.watch.stop()
	}
	_ = p.env.Stop()
	onInterrupt(nil)
	p.closeLogs()
}

func (p *plane) closeLogs() {
	for _, f := range p.logs {
		_ = f.Close()
	}
}

// runOne measures n tenants: the floor on a control plane of its own, then provisioning, idle and cold start on
// another, fresh one (the package comment), so that neither pays for the other's objects in the API server,
// etcd and ESO. Logs, audit logs and profiles stay in o.dir/nN (the floor's in o.dir/nN/floor).
func runOne(o options, n int) (*result, error) {
	dir, err := filepath.Abs(filepath.Join(o.dir, fmt.Sprintf("n%d", n)))
	if err != nil {
		return nil, err
	}
	reused, why := reusableFloor(o, n)
	// A new run of n starts from an empty folder, but for the floor's logs when it reuses that floor.
	if err := emptyFolder(dir, reused != nil); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "floor"), 0o755); err != nil {
		return nil, err
	}
	cfgPath, err := writeOperatorConfig(dir)
	if err != nil {
		return nil, err
	}
	r := &result{N: n}
	if f := reused; f != nil {
		f.apply(r)
		say("N=%d: floor: reusing the one measured %s (%s; created in %s, Ready in %s)", n, r.FloorFrom, r.Workspace,
			round(r.FloorCreate), round(r.FloorTime))
	} else {
		if why != "" {
			say("N=%d: floor: measuring it: %s", n, why)
		}
		if err := runFloor(o, filepath.Join(dir, "floor"), cfgPath, n, r); err != nil {
			return nil, fmt.Errorf("the floor: %w", err)
		}
		if err := saveFloor(o.dir, floorOf(r, o)); err != nil {
			return nil, err
		}
	}
	if err := runOperator(o, dir, cfgPath, n, r); err != nil {
		return nil, err
	}
	r.Date, r.Machine, r.Commit, r.Flags = time.Now().UTC(), machine(o.operatorBin), o.commit, o.flags()
	r.Idle = o.idle
	return r, saveResult(o.dir, r)
}

// emptyFolder removes what dir holds, but its floor folder when keepFloor is set.
func emptyFolder(dir string, keepFloor bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if keepFloor && e.Name() == "floor" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// reusableFloor is the floor kept for n when --reuse-floor asks for it and it was measured on this machine with
// the same flags; otherwise nil, and why not when it was asked for.
func reusableFloor(o options, n int) (*floorRow, string) {
	if !o.reuseFloor {
		return nil, ""
	}
	f, err := loadFloor(o.dir, n)
	if err != nil {
		return nil, err.Error()
	}
	if m := machine(o.operatorBin); f.Machine != m || f.Flags != o.flags() {
		return nil, fmt.Sprintf("the one kept was measured on %s with %s, this run is on %s with %s", f.Machine, f.Flags, m, o.flags())
	}
	return f, ""
}

// runFloor has the operator build one template workspace on a fresh control plane, stops it, and creates n
// clones of the workspace's objects there as a client of its own, authorized by the operator's ClusterRole and
// with the operator's concurrency and rate limits, until ESO reports their stores and ExternalSecrets Ready.
func runFloor(o options, dir, cfgPath string, n int, r *result) error {
	ctx := context.Background()
	p, err := startPlane(ctx, dir, n, floorUser)
	if err != nil {
		return err
	}
	defer p.stop()
	floor, err := p.env.AddUser(envtest.User{Name: floorUser}, nil)
	if err != nil {
		return err
	}
	op, err := startOperator(o, dir, "operator-template.log", cfgPath)
	if err != nil {
		return err
	}
	say("N=%d: the operator builds one template workspace, for the floor to clone", n)
	if err := createAll(ctx, p.admin, []string{templateName}, p.watch, o.timeout); err != nil {
		return err
	}
	if err := waitFor(o.timeout, "the template workspace to be Ready", func() (bool, string) {
		return p.watch.readyWorkspaces([]string{templateName}) == 1, ""
	}); err != nil {
		return err
	}
	if err := op.stop(); err != nil {
		return err
	}
	template, err := snapshot(ctx, p.adminCfg, "tenant-"+templateName)
	if err != nil {
		return err
	}
	r.Workspace = kindsOf(template)
	say("N=%d: template workspace has %d objects: %s; the operator is stopped", n, len(template), r.Workspace)

	floorCfg := rest.CopyConfig(floor.Config())
	floorCfg.QPS, floorCfg.Burst = float32(o.qps), o.burst
	say("N=%d: floor: creating %d objects for %d workspaces with %d workers at %g QPS (burst %d)", n, len(template)*n, n,
		o.tenantWorkers+o.integrationWorkers, o.qps, o.burst)
	mark := p.audit.mark()
	start := time.Now()
	if err := createFloor(ctx, floorCfg, template, n, o.tenantWorkers+o.integrationWorkers); err != nil {
		return err
	}
	r.FloorCreate = time.Since(start)
	say("N=%d: floor: created in %s; waiting for ESO to report the stores and ExternalSecrets Ready", n, round(r.FloorCreate))
	if err := waitFor(o.timeout, "the floor's SecretStores and ExternalSecrets to be Ready", func() (bool, string) {
		stores, secrets := p.watch.readyESO(floorPrefix)
		return stores == n && secrets == 2*n, fmt.Sprintf("%d/%d stores, %d/%d ExternalSecrets", stores, n, secrets, 2*n)
	}); err != nil {
		return err
	}
	r.FloorTime = time.Since(start)
	floorCounts, err := p.audit.countSince(mark, floorUser)
	if err != nil {
		return err
	}
	r.FloorReqs, r.FloorCreateTimes = floorCounts.verbs, summarize(floorCounts.createTimes)
	r.ESORestarts += p.env.Restarts()["external-secrets"]
	say("N=%d: floor: %s; stopping its control plane", n, round(r.FloorTime))
	return nil
}

// runOperator measures provisioning, idle and the cold start on a fresh control plane.
func runOperator(o options, dir, cfgPath string, n int, r *result) error {
	ctx := context.Background()
	p, err := startPlane(ctx, dir, n)
	if err != nil {
		return err
	}
	defer p.stop()
	audit, watch := p.audit, p.watch
	op, err := startOperator(o, dir, "operator-1.log", cfgPath)
	if err != nil {
		return err
	}

	// Provisioning by the operator.
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%04d", benchPrefix, i+1)
	}
	say("N=%d: provisioning: creating %d Tenants, and each one's Integration once its namespace exists", n, n)
	mark := audit.mark()
	start := time.Now()
	provisionCPU := op.profileCPU(filepath.Join(dir, "cpu-provision.pprof"), cpuProfileLength)
	if err := createAll(ctx, p.admin, names, watch, o.timeout); err != nil {
		return err
	}
	if err := waitFor(o.timeout, "every Tenant and Integration to be Ready", func() (bool, string) {
		ready := watch.readyWorkspaces(names)
		return ready == n, fmt.Sprintf("%d/%d workspaces Ready", ready, n)
	}); err != nil {
		return err
	}
	r.Provision = time.Since(start)
	say("N=%d: provisioning: all Ready in %s; waiting for the operator's work queues to drain", n, round(r.Provision))
	// The floor created clones of one workspace; the comparison holds only if the operator built the same.
	built, err := snapshot(ctx, p.adminCfg, "tenant-"+names[0])
	if err != nil {
		return err
	}
	if got := kindsOf(built); got != r.Workspace {
		return fmt.Errorf("the operator built %s in a workspace, the floor created %s (floor %s): the two do not compare",
			got, r.Workspace, cmp.Or(r.FloorFrom, "of this run"))
	}
	if err := waitFor(settleTimeout, "the operator's work queues to drain", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.idle(), q.String()
	}); err != nil {
		return err
	}
	if err := provisionCPU(); err != nil {
		say("N=%d: no CPU profile of provisioning: %v", n, err)
	}
	provisioned, err := audit.countSince(mark, testenv.OperatorUser)
	if err != nil {
		return err
	}
	r.ProvisionReqs, r.CreateTimes, r.Written = provisioned.verbs, summarize(provisioned.createTimes), provisioned.lastWrite.Sub(start)

	// Idle.
	say("N=%d: idle: counting the operator's requests for %s", n, o.idle)
	mark = audit.mark()
	time.Sleep(o.idle)
	idle, err := audit.countSince(mark, testenv.OperatorUser)
	if err != nil {
		return err
	}
	r.IdleReqs = idle.verbs
	r.PeakRSS, r.PeakHeap = op.peaks()
	say("N=%d: idle: %d writes, %d reads; so far peak RSS %s, heap %s", n, r.IdleReqs.writes(), r.IdleReqs.reads(), mib(r.PeakRSS), mib(r.PeakHeap))
	if r.LiveHeap, err = op.saveHeapProfile(filepath.Join(dir, "heap-idle.pprof")); err != nil {
		return err
	}

	// Cold start.
	if err := op.stop(); err != nil {
		return err
	}
	say("N=%d: restart: operator stopped; starting a new one over %d tenants", n, n)
	mark = audit.mark()
	start = time.Now()
	op, err = startOperator(o, dir, "operator-2.log", cfgPath)
	if err != nil {
		return err
	}
	restartCPU := op.profileCPU(filepath.Join(dir, "cpu-restart.pprof"), cpuProfileLength)
	if err := waitFor(o.timeout, "the restarted operator to reconcile every Tenant and Integration", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.reconciled["tenant"] >= float64(n) && q.reconciled["integration"] >= float64(n) && q.idle(), q.String()
	}); err != nil {
		return err
	}
	r.Restart = time.Since(start)
	say("N=%d: restart: every Tenant and Integration re-verified in %s; counting writes for %s more", n, round(r.Restart), restartTail)
	time.Sleep(restartTail)
	if err := restartCPU(); err != nil { // recorded for cpuProfileLength < restartTail from the start: done by now
		say("N=%d: no CPU profile of the cold start: %v", n, err)
	}
	restarted, err := audit.countSince(mark, testenv.OperatorUser)
	if err != nil {
		return err
	}
	r.RestartReqs = restarted.verbs
	rss, heap := op.peaks()
	r.PeakRSS, r.PeakHeap = max(r.PeakRSS, rss), max(r.PeakHeap, heap)
	if r.RestartLiveHeap, err = op.saveHeapProfile(filepath.Join(dir, "heap-restart.pprof")); err != nil {
		return err
	}
	say("N=%d: restart: %d writes; the new process's peak RSS %s, heap %s", n, r.RestartReqs.writes(), mib(rss), mib(heap))
	if err := op.stop(); err != nil {
		return err
	}
	r.ESORestarts += p.env.Restarts()["external-secrets"]
	return nil
}
