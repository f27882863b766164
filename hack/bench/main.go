// Command bench measures the operator at scale on a local control plane (etcd, kube-apiserver,
// kube-controller-manager and the External Secrets Operator, as make demo runs them), for each N of --tenants:
//
//  1. provisioning: N Tenants, each with one Integration, created at once; the time until every one is Ready,
//     and the operator's API requests by verb, counted by the API server's audit log;
//  2. the floor: the same child objects (cloned from a workspace the operator built) created directly by a
//     client with the operator's concurrency and client rate limits, in the same run, until ESO reports the
//     same SecretStores and ExternalSecrets Ready that Tenant and Integration readiness wait for;
//  3. idle: the operator's writes over --idle with nothing changing;
//  4. cold start: the operator restarted over the N tenants, the time until every Tenant and Integration was
//     reconciled again with empty work queues, and the writes it sent;
//
// and the operator's peak RSS (the kernel's high-water mark) and Go heap. The operator runs as its own process
// (bin/workspace-operator), under its generated ClusterRole, so RSS and requests are its own.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	kruntime "k8s.io/apimachinery/pkg/runtime"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/eso"
	"github.com/alitok/workspace-operator/internal/testenv"
)

type options struct {
	tenants            []int
	idle               time.Duration
	operatorBin        string
	dir                string
	tenantWorkers      int
	integrationWorkers int
	qps                float64
	burst              int
	timeout            time.Duration
}

func main() {
	var o options
	var tenants string
	flag.StringVar(&tenants, "tenants", "100,1000", "comma-separated numbers of tenants, one run each")
	flag.DurationVar(&o.idle, "idle", 2*time.Minute, "how long to count writes with nothing changing")
	flag.StringVar(&o.operatorBin, "operator", "bin/workspace-operator", "the operator binary to measure")
	flag.StringVar(&o.dir, "dir", ".local/bench", "folder for logs, the audit log and results.md")
	flag.IntVar(&o.tenantWorkers, "tenant-concurrency", 4, "the operator's --tenant-concurrency")
	flag.IntVar(&o.integrationWorkers, "integration-concurrency", 4, "the operator's --integration-concurrency")
	flag.Float64Var(&o.qps, "kube-api-qps", 50, "the operator's --kube-api-qps (and the floor client's)")
	flag.IntVar(&o.burst, "kube-api-burst", 100, "the operator's --kube-api-burst (and the floor client's)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up a phase after this long")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())
	for _, s := range strings.Split(tenants, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("--tenants: %q is not a positive number", s))
		}
		o.tenants = append(o.tenants, n)
	}
	var results []*result
	for _, n := range o.tenants {
		r, err := runOne(o, n)
		if err != nil {
			fatal(fmt.Errorf("the run with N=%d: %w", n, err))
		}
		results = append(results, r)
	}
	report := renderReport(o, results)
	fmt.Println()
	fmt.Print(report)
	if err := os.WriteFile(filepath.Join(o.dir, "results.md"), []byte(report), 0o644); err != nil {
		fatal(err)
	}
	fmt.Printf("\n(also written to %s)\n", filepath.Join(o.dir, "results.md"))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// result is one row of the table and its request breakdowns.
type result struct {
	n                                 int
	provision, floorCreate, floorTime time.Duration
	// written is when the operator sent its last write of a child object (not status) while provisioning.
	written                  time.Duration
	provisionReqs, floorReqs verbCounts
	idleReqs                 verbCounts
	restart                  time.Duration
	restartReqs              verbCounts
	peakRSS, peakHeap        int64
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
)

var scheme = kruntime.NewScheme()

func init() {
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := workspacesv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
}

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
		// ESO's own default; the tests shorten it to see store changes quickly.
		ESOArgs: []string{"--store-requeue-interval=5m0s"},
		APIServerArgs: map[string][]string{
			"audit-policy-file": {policy}, "audit-log-path": {auditLogPath}, "audit-log-maxsize": {"0"},
		},
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()

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

	r := &result{n: n}
	op, err := startOperator(o, dir, "operator-1.log", cfgPath)
	if err != nil {
		return nil, err
	}
	defer func() { op.kill() }() // whichever process runs when the run ends early

	// A workspace built by the operator, cloned N times for the floor.
	say("N=%d: the operator builds one template workspace, for the floor to clone", n)
	if err := createAll(ctx, admin, []string{templateName}, watch); err != nil {
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
	r.floorCreate = time.Since(start)
	say("N=%d: floor: created in %s; waiting for ESO to report the stores and ExternalSecrets Ready", n, round(r.floorCreate))
	if err := waitFor(o.timeout, "the floor's SecretStores and ExternalSecrets to be Ready", func() (bool, string) {
		stores, secrets := watch.readyESO(floorPrefix)
		return stores == n && secrets == 2*n, fmt.Sprintf("%d/%d stores, %d/%d ExternalSecrets", stores, n, secrets, 2*n)
	}); err != nil {
		return nil, err
	}
	r.floorTime = time.Since(start)
	if r.floorReqs, _, err = audit.countSince(mark, floorUser); err != nil {
		return nil, err
	}
	say("N=%d: floor: %s", n, round(r.floorTime))

	// Provisioning by the operator.
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%04d", benchPrefix, i+1)
	}
	say("N=%d: provisioning: creating %d Tenants, and each one's Integration once its namespace exists", n, n)
	mark = audit.mark()
	start = time.Now()
	if err := createAll(ctx, admin, names, watch); err != nil {
		return nil, err
	}
	if err := waitFor(o.timeout, "every Tenant and Integration to be Ready", func() (bool, string) {
		ready := watch.readyWorkspaces(names)
		return ready == n, fmt.Sprintf("%d/%d workspaces Ready", ready, n)
	}); err != nil {
		return nil, err
	}
	r.provision = time.Since(start)
	say("N=%d: provisioning: all Ready in %s; waiting for the operator's work queues to drain", n, round(r.provision))
	if err := waitFor(settleTimeout, "the operator's work queues to drain", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.idle(), q.String()
	}); err != nil {
		return nil, err
	}
	var lastWrite time.Time
	if r.provisionReqs, lastWrite, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	r.written = lastWrite.Sub(start)

	// Idle.
	say("N=%d: idle: counting the operator's requests for %s", n, o.idle)
	mark = audit.mark()
	time.Sleep(o.idle)
	if r.idleReqs, _, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	r.peakRSS, r.peakHeap = op.peaks()
	say("N=%d: idle: %d writes, %d reads; so far peak RSS %s, heap %s", n, r.idleReqs.writes(), r.idleReqs.reads(), mib(r.peakRSS), mib(r.peakHeap))
	if err := op.saveHeapProfile(filepath.Join(dir, "heap-idle.pprof")); err != nil {
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
	if err := waitFor(o.timeout, "the restarted operator to reconcile every Tenant and Integration", func() (bool, string) {
		q, err := op.queues()
		return err == nil && q.reconciled["tenant"] >= float64(n+1) && q.reconciled["integration"] >= float64(n+1) && q.idle(), q.String()
	}); err != nil {
		return nil, err
	}
	r.restart = time.Since(start)
	say("N=%d: restart: every Tenant and Integration re-verified in %s; counting writes for %s more", n, round(r.restart), restartTail)
	time.Sleep(restartTail)
	if r.restartReqs, _, err = audit.countSince(mark, testenv.OperatorUser); err != nil {
		return nil, err
	}
	rss, heap := op.peaks()
	r.peakRSS, r.peakHeap = max(r.peakRSS, rss), max(r.peakHeap, heap)
	if err := op.saveHeapProfile(filepath.Join(dir, "heap-restart.pprof")); err != nil {
		return nil, err
	}
	say("N=%d: restart: %d writes; the new process's peak RSS %s, heap %s", n, r.restartReqs.writes(), mib(rss), mib(heap))
	if err := op.stop(); err != nil {
		return nil, err
	}
	return r, nil
}

func createFile(dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		fatal(err)
	}
	return f
}

// The audit policy records, at Metadata level, each request of the operator and of the floor's client.
var auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: ["` + testenv.OperatorUser + `", "` + floorUser + `"]
- level: None
`

// writeOperatorConfig is config/local/config.yaml (make demo's: a SecretStore template on ESO's fake
// provider) with the retention CronJobs scheduled on 1 January, so that no Job starts during the run.
func writeOperatorConfig(dir string) (string, error) {
	base, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "local", "config.yaml"))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "operator-config.yaml")
	return path, os.WriteFile(path, append(base, "privacy:\n  retentionSchedule: \"0 3 1 1 *\"\n"...), 0o644)
}

// tenant is the sample Tenant's shape: four members, a region, a quota and retention rules.
func tenant(name string) *workspacesv1alpha1.Tenant {
	return &workspacesv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: workspacesv1alpha1.TenantSpec{
			DisplayName: "Bench " + name,
			Members: []workspacesv1alpha1.Member{
				{Kind: workspacesv1alpha1.MemberUser, Name: name + "-owner@example.com", Role: workspacesv1alpha1.RoleOwner},
				{Kind: workspacesv1alpha1.MemberGroup, Name: name + "-ops", Role: workspacesv1alpha1.RoleAdmin},
				{Kind: workspacesv1alpha1.MemberUser, Name: name + "-viewer@example.com", Role: workspacesv1alpha1.RoleViewer},
			},
			Residency: &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"},
			Retention: []workspacesv1alpha1.RetentionRule{{Category: "orders", KeepDays: 2555}},
		},
	}
}

// integration is the sample TikTok Shop Integration with schedules that do not fall during the run.
func integration(tenantName string) *workspacesv1alpha1.Integration {
	return &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Name: "tiktok-shop", Namespace: "tenant-" + tenantName},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: workspacesv1alpha1.ProviderTikTokShop,
			Account:  workspacesv1alpha1.AccountRef{ID: "7494512345678901234", Region: "GB"},
			Features: []workspacesv1alpha1.Feature{
				{Name: "orders", Schedule: "0 3 1 1 *"},
				{Name: "products", Schedule: "30 3 1 1 *"},
			},
			Scopes:      []string{"seller.order.info", "seller.product.basic"},
			Credentials: workspacesv1alpha1.CredentialsSpec{RemoteKey: "tiktok/main"},
		},
	}
}

// createAll creates the Tenants from 16 workers, and each Integration as soon as the watch sees its namespace
// (as a person applying both would, without polling the API server).
func createAll(ctx context.Context, c client.Client, names []string, w *watcher) error {
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := c.Create(ctx, tenant(name)); err != nil {
					fail(err)
				}
			}
		}()
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	pending := slices.Clone(names)
	deadline := time.Now().Add(10 * time.Minute)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d tenant namespaces not created after 10 minutes (first: tenant-%s)", len(pending), pending[0])
		}
		var still []string
		for _, name := range pending {
			if !w.namespaceExists(name) {
				still = append(still, name)
				continue
			}
			if err := c.Create(ctx, integration(name)); err != nil {
				return err
			}
		}
		pending = still
		time.Sleep(500 * time.Millisecond)
	}
	return nil
}

func waitFor(timeout time.Duration, what string, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	lastSaid := time.Now()
	for {
		ok, progress := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s (%s)", timeout, what, progress)
		}
		if progress != "" && time.Since(lastSaid) > 15*time.Second {
			say("  … %s", progress)
			lastSaid = time.Now()
		}
		time.Sleep(time.Second)
	}
}

// watcher follows Tenants, Integrations, the operator's namespaces and all SecretStores and ExternalSecrets
// through one informer cache in this process, so waiting costs the API server no polling.
type watcher struct {
	c      cache.Cache
	cancel context.CancelFunc
}

func newWatcher(ctx context.Context, cfg *rest.Config) (*watcher, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, ByObject: map[client.Object]cache.ByObject{
		&corev1.Namespace{}: {Label: labels.SelectorFromSet(labels.Set{workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue})},
	}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{c: c, cancel: cancel}
	for _, obj := range []client.Object{&corev1.Namespace{}, &workspacesv1alpha1.Tenant{}, &workspacesv1alpha1.Integration{},
		eso.New(eso.SecretStoreGVK), eso.New(eso.ExternalSecretGVK)} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			cancel()
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, errors.New("the bench's watches did not sync")
	}
	return w, nil
}

func (w *watcher) stop() { w.cancel() }

func (w *watcher) namespaceExists(tenantName string) bool {
	return w.c.Get(context.Background(), client.ObjectKey{Name: "tenant-" + tenantName}, &corev1.Namespace{}) == nil
}

// readyWorkspaces counts the names whose Tenant (Ready and Isolated) and Integration (Ready) are True for
// their generation.
func (w *watcher) readyWorkspaces(names []string) int {
	ctx := context.Background()
	var tenants workspacesv1alpha1.TenantList
	var integrations workspacesv1alpha1.IntegrationList
	if w.c.List(ctx, &tenants, client.UnsafeDisableDeepCopy) != nil || w.c.List(ctx, &integrations, client.UnsafeDisableDeepCopy) != nil {
		return 0
	}
	ready := map[string]int{}
	for _, t := range tenants.Items {
		if c := meta.FindStatusCondition(t.Status.Conditions, workspacesv1alpha1.ConditionReady); c != nil &&
			c.Status == metav1.ConditionTrue && c.ObservedGeneration == t.Generation &&
			meta.IsStatusConditionTrue(t.Status.Conditions, workspacesv1alpha1.ConditionIsolated) {
			ready["tenant-"+t.Name]++
		}
	}
	for _, i := range integrations.Items {
		if c := meta.FindStatusCondition(i.Status.Conditions, workspacesv1alpha1.ConditionReady); c != nil &&
			c.Status == metav1.ConditionTrue && c.ObservedGeneration == i.Generation {
			ready[i.Namespace]++
		}
	}
	count := 0
	for _, name := range names {
		if ready["tenant-"+name] == 2 {
			count++
		}
	}
	return count
}

// readyESO counts SecretStores and ExternalSecrets with Ready=True in namespaces starting with prefix.
func (w *watcher) readyESO(prefix string) (stores, externalSecrets int) {
	count := func(gvk schema.GroupVersionKind) int {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		if w.c.List(context.Background(), list, client.UnsafeDisableDeepCopy) != nil {
			return 0
		}
		n := 0
		for _, item := range list.Items {
			if strings.HasPrefix(item.GetNamespace(), prefix) && isTrue(eso.Ready(&item)) {
				n++
			}
		}
		return n
	}
	return count(eso.SecretStoreGVK), count(eso.ExternalSecretGVK)
}

// snapshot returns every object labelled as the operator's in namespace ns, and the namespace itself, as the
// operator built them; objects a controller made from them (ESO's Secrets) are left out.
func snapshot(ctx context.Context, cfg *rest.Config, ns string) ([]*unstructured.Unstructured, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		return nil, err
	}
	nsObj, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out := []*unstructured.Unstructured{nsObj}
	selector := workspacesv1alpha1.ManagedByLabel + "=" + workspacesv1alpha1.ManagedByValue
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, res := range l.APIResources {
			if strings.Contains(res.Name, "/") || !slices.Contains(res.Verbs, "list") || !slices.Contains(res.Verbs, "create") ||
				res.Name == "events" {
				continue
			}
			items, err := dyn.Resource(gv.WithResource(res.Name)).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", res.Name, err)
			}
			for i := range items.Items {
				item := &items.Items[i]
				if ownedByAController(item) {
					continue
				}
				out = append(out, item)
			}
		}
	}
	// In the order the operator creates them: the namespace first, the SecretStore before the ExternalSecrets
	// that read from it (ESO retries an ExternalSecret whose store is missing only after a back-off).
	rank := map[string]int{"Namespace": 0, "SecretStore": 1, "ExternalSecret": 3}
	sort.SliceStable(out, func(i, j int) bool { return rankOf(rank, out[i]) < rankOf(rank, out[j]) })
	return out, nil
}

func rankOf(rank map[string]int, obj *unstructured.Unstructured) int {
	if r, ok := rank[obj.GetKind()]; ok {
		return r
	}
	return 2
}

func ownedByAController(obj *unstructured.Unstructured) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if !strings.HasPrefix(ref.APIVersion, workspacesv1alpha1.GroupVersion.Group+"/") {
			return true
		}
	}
	return false
}

func kindsOf(objs []*unstructured.Unstructured) string {
	count := map[string]int{}
	for _, o := range objs {
		count[o.GetKind()]++
	}
	var parts []string
	for k, v := range count {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// createFloor creates n copies of the template workspace (namespace floor-NNNN, every name and path of the
// template tenant renamed), one workspace per worker at a time, the namespace first.
func createFloor(ctx context.Context, cfg *rest.Config, template []*unstructured.Unstructured, n, workers int) error {
	// controller-runtime's client, as the operator's: one rate limiter per resource, with the same QPS and burst.
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	var encoded [][]byte
	for _, obj := range template {
		clean := obj.DeepCopy()
		for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "ownerReferences", "finalizers"} {
			unstructured.RemoveNestedField(clean.Object, "metadata", f)
		}
		unstructured.RemoveNestedField(clean.Object, "status")
		lbls := clean.GetLabels()
		// Not the operator's label, so that the operator neither caches nor reacts to the floor's objects.
		lbls[workspacesv1alpha1.ManagedByLabel] = "bench-floor"
		clean.SetLabels(lbls)
		b, err := json.Marshal(clean.Object)
		if err != nil {
			return err
		}
		encoded = append(encoded, b)
	}
	var failed atomic.Pointer[error]
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("%s%04d", floorPrefix, i)
				for _, b := range encoded {
					obj := &unstructured.Unstructured{}
					// "tenant-bench-template" becomes "tenant-floor-NNNN"; the namespace is then renamed below.
					if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), templateName, name)), &obj.Object); err != nil {
						failed.Store(&err)
						return
					}
					if obj.GetNamespace() != "" {
						obj.SetNamespace(name)
					} else {
						obj.SetName(name)
					}
					if err := c.Create(ctx, obj); err != nil {
						err = fmt.Errorf("creating %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
						failed.Store(&err)
						return
					}
				}
			}
		}()
	}
	for i := 1; i <= n && failed.Load() == nil; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

// operatorProcess is the operator under measurement, with its peak RSS and heap sampled while it runs.
type operatorProcess struct {
	cmd         *exec.Cmd
	done        chan error
	metricsAddr string
	pprofAddr   string
	stopSample  chan struct{}
	sampled     sync.WaitGroup
	peakHeap    atomic.Int64
	peakRSS     atomic.Int64
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startOperator(o options, dir, logName, cfgPath string) (*operatorProcess, error) {
	metricsAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.operatorBin)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfgPath, "--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr,
		"--pprof-bind-address", pprofAddr,
		"--tenant-concurrency", strconv.Itoa(o.tenantWorkers), "--integration-concurrency", strconv.Itoa(o.integrationWorkers),
		"--kube-api-qps", strconv.FormatFloat(o.qps, 'g', -1, 64), "--kube-api-burst", strconv.Itoa(o.burst))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "operator.kubeconfig"))
	logFile := createFile(dir, logName)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &operatorProcess{cmd: cmd, done: make(chan error, 1), metricsAddr: metricsAddr, pprofAddr: pprofAddr, stopSample: make(chan struct{})}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	p.sampled.Add(1)
	go p.sample()
	if err := waitFor(time.Minute, "the operator's metrics endpoint", func() (bool, string) {
		select {
		case err := <-p.done:
			p.done <- err
			return true, ""
		default:
		}
		_, err := p.metrics()
		return err == nil, ""
	}); err != nil {
		return nil, err
	}
	select {
	case err := <-p.done:
		return nil, fmt.Errorf("the operator exited at start (%w); see %s", err, filepath.Join(dir, logName))
	default:
	}
	return p, nil
}

// sample reads the Go heap from the metrics endpoint every 2 s (a scrape costs the operator some work; the
// kernel keeps the RSS high-water mark itself).
func (p *operatorProcess) sample() {
	defer p.sampled.Done()
	tick := time.NewTicker(2 * time.Second)
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

// procStatus returns a "kB" field of /proc/PID/status in bytes, or 0.
func procStatus(pid int, field string) int64 {
	return procKB(fmt.Sprintf("/proc/%d/status", pid), field)
}

func (p *operatorProcess) peaks() (rss, heap int64) {
	if hwm := procStatus(p.cmd.Process.Pid, "VmHWM:"); hwm > p.peakRSS.Load() {
		p.peakRSS.Store(hwm)
	}
	return p.peakRSS.Load(), p.peakHeap.Load()
}

// saveHeapProfile writes the operator's heap profile (go tool pprof reads it) to path.
func (p *operatorProcess) saveHeapProfile(path string) error {
	resp, err := metricsClient.Get("http://" + p.pprofAddr + "/debug/pprof/heap")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
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

func (p *operatorProcess) stop() error {
	close(p.stopSample)
	p.sampled.Wait()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done: //nolint:errcheck // stopped as asked; its exit status after SIGTERM says nothing more
		return nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // killed: the exit status is the kill's
		return errors.New("the operator did not stop within 30 s of SIGTERM")
	}
}

// kill ends the process if it still runs (after stop, Kill reports that it has finished).
func (p *operatorProcess) kill() { _ = p.cmd.Process.Kill() }

// queueState is what the operator's controller-runtime metrics say about its work.
type queueState struct {
	depth, active float64
	reconciled    map[string]float64
}

func (q queueState) idle() bool { return q.depth == 0 && q.active == 0 }

func (q queueState) String() string {
	return fmt.Sprintf("queued %g, reconciling %g, reconciled tenants %g, integrations %g",
		q.depth, q.active, q.reconciled["tenant"], q.reconciled["integration"])
}

func (p *operatorProcess) queues() (queueState, error) {
	m, err := p.metrics()
	if err != nil {
		return queueState{}, err
	}
	q := queueState{depth: m.sum("workqueue_depth", nil), active: m.sum("controller_runtime_active_workers", nil), reconciled: map[string]float64{}}
	for _, c := range []string{"tenant", "integration"} {
		q.reconciled[c] = m.sum("controller_runtime_reconcile_total", map[string]string{"controller": c})
	}
	return q, nil
}

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

var metricsClient = &http.Client{Timeout: 5 * time.Second}

func (p *operatorProcess) metrics() (metrics, error) {
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

// auditLog reads the API server's audit log from a byte offset.
type auditLog struct{ path string }

func (a *auditLog) mark() int64 {
	st, err := os.Stat(a.path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// verbCounts are requests by verb ("patch", "patch status", "watch", …).
type verbCounts map[string]int

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func (v verbCounts) writes() int {
	n := 0
	for k, c := range v {
		verb, _, _ := strings.Cut(k, " ")
		if slices.Contains(writeVerbs, verb) {
			n += c
		}
	}
	return n
}

func (v verbCounts) total() int {
	n := 0
	for _, c := range v {
		n += c
	}
	return n
}

func (v verbCounts) reads() int { return v.total() - v.writes() }

func (v verbCounts) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return v[keys[i]] > v[keys[j]] || v[keys[i]] == v[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, v[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// countSince counts user's requests logged after offset: one per request (a watch when it starts, anything
// else when it completes), and returns when the last write of an object (not of its status) was received.
func (a *auditLog) countSince(offset int64, user string) (verbCounts, time.Time, error) {
	// Give the API server a moment to log the responses of requests that just returned.
	time.Sleep(time.Second)
	f, err := os.Open(a.path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, time.Time{}, err
	}
	out := verbCounts{}
	var lastWrite time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Stage string `json:"stage"`
			Verb  string `json:"verb"`
			User  struct {
				Username string `json:"username"`
			} `json:"user"`
			ObjectRef *struct {
				Subresource string `json:"subresource"`
			} `json:"objectRef"`
			Received metav1.MicroTime `json:"requestReceivedTimestamp"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // a line cut short at the offset
		}
		if ev.User.Username != user {
			continue
		}
		if (ev.Verb == "watch") != (ev.Stage == "ResponseStarted") {
			continue
		}
		key := ev.Verb
		if ev.ObjectRef != nil && ev.ObjectRef.Subresource != "" {
			key += " " + ev.ObjectRef.Subresource
		} else if slices.Contains(writeVerbs, ev.Verb) && ev.Received.After(lastWrite) {
			lastWrite = ev.Received.Time
		}
		out[key]++
	}
	return out, lastWrite, sc.Err()
}

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

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

func isTrue(c *eso.Condition) bool { return c != nil && c.Status == "True" }
