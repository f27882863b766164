package controllers

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// The suite shares one real control plane (etcd, kube-apiserver, kube-controller-manager) and runs the
// operator in it as it runs in a cluster: under its generated ClusterRole, not as an administrator.
var (
	env       *testenv.Env
	k8s       client.Client // the test's own administrator client
	scheme    = runtime.NewScheme()
	clock     = &testClock{}
	operator  *runningOperator
	opConfig  *config.Config
	logBuffer = &syncBuffer{}
)

// operatorUser is who the operator runs as in the tests; it holds only config/rbac's ClusterRole.
const operatorUser = testenv.OperatorUser

// TestMain runs the tests; the control plane starts only when the first test that needs it asks (needsCluster),
// so the table tests of single steps (`go test ./controllers -run TestDeadlines`) run without one.
func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(logBuffer), zap.UseDevMode(true)))
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := workspacesv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	opConfig = testConfig()
	code := m.Run()
	stopSuite(code)
	os.Exit(code)
}

var (
	suiteOnce sync.Once
	suiteErr  error
)

// needsCluster marks a test that runs against the control plane and the operator, starting them on first use.
func needsCluster(t *testing.T) {
	t.Helper()
	suiteOnce.Do(func() { suiteErr = startSuite() })
	if suiteErr != nil {
		t.Fatalf("starting the control plane and the operator: %v", suiteErr)
	}
}

// startSuite starts the control plane and the operator in it, as it runs in a cluster: under its generated
// ClusterRole, not as an administrator.
func startSuite() error {
	var err error
	if env, err = testenv.Start(testenv.Options{ControllerManager: true, ESO: true, ESOLog: esoLog(), PodSecurityExemptUsers: []string{breakGlassUser}}); err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if err := testenv.InstallOperatorRBAC(context.Background(), k8s, operatorUser); err != nil {
		return fmt.Errorf("installing RBAC: %w", err)
	}
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opConfig.Privacy.ExportNamespace}}); err != nil {
		return fmt.Errorf("creating the operator's namespace: %w", err)
	}
	if operator, err = startOperator(); err != nil {
		return fmt.Errorf("starting the operator: %w", err)
	}
	return nil
}

// stopSuite stops what startSuite started, printing the operator's log when the tests failed.
func stopSuite(code int) {
	if env == nil {
		return
	}
	if operator != nil {
		if err := operator.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "the operator ended with:", err)
		}
	}
	if path := os.Getenv("WORKSPACE_TEST_OPERATOR_LOG"); path != "" {
		_ = os.WriteFile(path, []byte(logBuffer.String()), 0o600)
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "operator log (last 200 lines):")
		lines := strings.Split(logBuffer.String(), "\n")
		if len(lines) > 200 {
			lines = lines[len(lines)-200:]
		}
		fmt.Fprintln(os.Stderr, strings.Join(lines, "\n"))
	}
	_ = env.Stop()
}

// runningOperator is a manager running the Tenant controller, with a count of the writes it sent.
type runningOperator struct {
	cancel context.CancelFunc
	done   chan error
	writes *writeCounter
}

func startOperator() (*runningOperator, error) {
	user, err := env.AddUser(envtest.User{Name: operatorUser}, nil)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(user.Config())
	writes := &writeCounter{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return writes.wrap(rt) })
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  CacheOptions(opConfig.NamespacePrefix),
		Client:                 ClientOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, err
	}
	if err := (&TenantReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    opConfig,
		Now:       clock.Now,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 4, SkipNameValidation: ptrTo(true)}); err != nil {
		return nil, err
	}
	if err := (&IntegrationReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    opConfig,
		Now:       clock.Now,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 4, SkipNameValidation: ptrTo(true)}); err != nil {
		return nil, err
	}
	if err := (&DataRequestReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    opConfig,
		Now:       clock.Now,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2, SkipNameValidation: ptrTo(true)}); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	op := &runningOperator{cancel: cancel, done: make(chan error, 1), writes: writes}
	go func() { op.done <- mgr.Start(ctx) }()
	return op, nil
}

// stop stops the manager and returns how it ended.
func (o *runningOperator) stop() error {
	o.cancel()
	return <-o.done
}

func ptrTo[T any](v T) *T { return &v }

// writeCounter counts the requests that change something: every verb but GET (reads, lists and watches).
type writeCounter struct {
	mu    sync.Mutex
	byKey map[string]int
	total atomic.Int64
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet {
			w.total.Add(1)
			w.mu.Lock()
			if w.byKey == nil {
				w.byKey = map[string]int{}
			}
			w.byKey[req.Method+" "+req.URL.Path]++
			w.mu.Unlock()
		}
		return rt.RoundTrip(req)
	})
}

// reset returns what was counted so far and starts again from zero.
func (w *writeCounter) reset() (int64, map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	by := w.byKey
	w.byKey = nil
	return w.total.Swap(0), by
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testClock is the operator's clock: real time plus an offset the tests move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// syncBuffer collects the operator's log for the failure report and for leak checks.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is the operator's configuration in the tests: the defaults, a SecretStore template on ESO's fake
// provider holding each test tenant's credentials under its own path, and Jobs that fail at once.
func testConfig() *config.Config {
	cfg := config.Default()
	cfg.Worker.Image = "ghcr.io/alitok/workspace-operator:test"
	cfg.Jobs.BackoffLimit = 0
	var data []any
	for _, tenant := range []string{"${TENANT}"} {
		for _, key := range []string{"tiktok/main", "aliexpress/main", "tiktok/reauthorized"} {
			data = append(data, map[string]any{
				"key":   "tenants/" + tenant + "/" + key,
				"value": `{"app_key":"key-` + tenant + `","app_secret":"` + fakeAppSecret + `","access_token":"token-` + tenant + strings.TrimSuffix("-"+path.Base(key), "-main") + `"}`,
			})
		}
		data = append(data, map[string]any{
			"key": "tenants/" + tenant + "/database", "value": `{"dsn":"postgres://` + tenant + `@db.example/alitok"}`,
		})
	}
	cfg.SecretStore = &config.SecretStoreTemplate{
		Name:            "tenant-secrets",
		RemoteKeyPrefix: "tenants/${TENANT}/",
		Spec:            map[string]any{"provider": map[string]any{"fake": map[string]any{"data": data}}},
	}
	return cfg
}

// fakeAppSecret is the credential value the tests look for where it must never appear.
const fakeAppSecret = "s3cr3t-app-secret-value"

// esoLog keeps the ESO controller's output in a file a failing run can read; WORKSPACE_TEST_ESO_LOG names it.
func esoLog() *os.File {
	path := os.Getenv("WORKSPACE_TEST_ESO_LOG")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil
	}
	return f
}

// breakGlassUser is an administrator the suite's API server exempts from Pod Security admission.
const breakGlassUser = "break-glass@example.com"

// breakGlassClient is a client as breakGlassUser.
func breakGlassClient(t *testing.T) client.Client {
	t.Helper()
	u, err := env.AddUser(envtest.User{Name: breakGlassUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(u.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
