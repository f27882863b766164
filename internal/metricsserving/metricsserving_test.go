package metricsserving_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/metricsserving"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// The operator runs under config/rbac's generated ClusterRole (so the TokenReview and SubjectAccessReview rules
// are proven sufficient), scrapers are ServiceAccounts with tokens from the TokenRequest API, and the reader's
// permission is config/rbac's metrics-reader ClusterRole: everything as in a cluster.
func TestMetricsAreServedOnlyToAuthorizedReaders(t *testing.T) {
	env, err := testenv.Start(testenv.Options{CRDDirectories: []string{filepath.Join(testenv.Root(), "config", "crd", "bases")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	admin, err := testenv.Client(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.InstallOperatorRBAC(ctx, admin, testenv.OperatorUser); err != nil {
		t.Fatal(err)
	}
	if err := testenv.ApplyYAMLFile(ctx, admin, filepath.Join(testenv.Root(), "config", "rbac", "metrics_reader_role.yaml")); err != nil {
		t.Fatal(err)
	}
	const ns = "monitoring"
	must(t, admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	for _, sa := range []string{"prometheus", "stranger"} {
		must(t, admin.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}}))
	}
	must(t, admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "workspace-operator-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "prometheus", Namespace: ns}},
	}))
	clientset, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	token := func(sa string) string {
		tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("TokenRequest for %s: %v", sa, err)
		}
		return tr.Status.Token
	}

	operator, err := env.AddUser(envtest.User{Name: testenv.OperatorUser}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddress(t)
	mgr, err := ctrl.NewManager(operator.Config(), ctrl.Options{
		Scheme:                 admin.Scheme(),
		Metrics:                metricsserving.Options{BindAddress: addr, Secure: true}.Server(),
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := crmetrics.Registry.Register(controllers.NewMetrics(mgr.GetClient(), time.Now, "tenant-")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the manager stopped with: %v", err)
		}
	})

	// The certificate is self-signed (no --metrics-cert-dir): skip verification, as the ServiceMonitor does.
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	scrape := func(bearer string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := scrape(""); code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metrics endpoint at %s never answered", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}

	if code, body := scrape(""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401\n%s", code, body)
	}
	// A token the API server cannot parse makes the TokenReview fail, which controller-runtime's filter answers
	// with 500 ("Authentication failed") rather than 401: refused either way.
	if code, body := scrape("not-a-token"); code != http.StatusUnauthorized && code != http.StatusInternalServerError || strings.Contains(body, "workspace_") {
		t.Errorf("with a forged token: %d, want 401 or 500 and no metrics\n%s", code, body)
	}
	if code, body := scrape(token("stranger")); code != http.StatusForbidden {
		t.Errorf("a ServiceAccount without the metrics-reader role: %d, want 403\n%s", code, body)
	}
	code, body := scrape(token("prometheus"))
	if code != http.StatusOK {
		t.Fatalf("a ServiceAccount bound to the metrics-reader role: %d, want 200\n%s", code, body)
	}
	for _, want := range []string{"workspace_datarequests_overdue 0", "controller_runtime_"} {
		if !strings.Contains(body, want) {
			t.Errorf("the metrics lack %q:\n%.2000s", want, body)
		}
	}
	// Plain HTTP is not served on the secure port.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP got the metrics (200)")
		}
	}
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
