package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// TestSignedDeauthorizationMarksTheIntegrationAndAForgedOneChangesNothing runs the receiver as it runs in a
// cluster: a real kube-apiserver, the receiver's own manager under the chart's ClusterRole (nothing more), a real
// HTTP server on a free port, and requests from a real HTTP client.
func TestSignedDeauthorizationMarksTheIntegrationAndAForgedOneChangesNothing(t *testing.T) {
	start := time.Now()
	env, err := testenv.Start(testenv.Options{CRDDirectories: []string{filepath.Join(testenv.Root(), "config", "crd", "bases")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	t.Logf("control plane up in %s", time.Since(start).Round(time.Millisecond))
	ctx := t.Context()
	admin, err := testenv.Client(env.Config)
	if err != nil {
		t.Fatal(err)
	}

	// The receiver's identity holds exactly the RBAC the chart renders for it.
	objs, err := renderChart(t, webhookValues...)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if (o.GetKind() == "ClusterRole" || o.GetKind() == "ClusterRoleBinding") && o.GetName() == webhookName {
			if err := admin.Create(ctx, o); err != nil {
				t.Fatalf("installing the chart's %s: %v", o.GetKind(), err)
			}
		}
	}
	user, err := env.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + chartNamespace + ":" + webhookName,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + chartNamespace},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	const shop = "7494512345678901234"
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant-acme"}}); err != nil {
		t.Fatal(err)
	}
	tiktok := newIntegration("tiktok-uk", workspacesv1alpha1.ProviderTikTokShop, shop)
	aliexpress := newIntegration("aliexpress-same-id", workspacesv1alpha1.ProviderAliExpress, shop)
	for _, i := range []*workspacesv1alpha1.Integration{tiktok, aliexpress} {
		if err := admin.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	probeAddr := freeAddress(t)
	logs := &syncBuffer{}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, user.Config(), Options{
			Listener:               ln,
			MetricsBindAddress:     "0",
			HealthProbeBindAddress: probeAddr,
			Scheme:                 admin.Scheme(),
			TikTokShop:             TikTokShopOptions{Credentials: AppCredentials{Key: testAppKey, Secret: testAppSecret}},
			Log:                    funcr.New(func(prefix, args string) { logs.println(prefix, args) }, funcr.Options{Verbosity: 1}),
		})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the receiver ended with %v", err)
			}
		case <-time.After(30 * time.Second):
		}
	})
	waitReady(t, "http://"+probeAddr+"/readyz", done)
	t.Logf("receiver ready %s after start", time.Since(start).Round(time.Millisecond))

	url := "http://" + ln.Addr().String() + TikTokShopPath
	at := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	body := []byte(fmt.Sprintf(`{"type":6,"tts_notification_id":"n1","shop_id":%q,"timestamp":%d,"data":{"message":"revoked"}}`, shop, at.Unix()))
	before := resourceVersions(t, admin, tiktok, aliexpress)

	// A forged deauthorization (signed with a guessed secret) is refused and changes nothing.
	if code := post(t, url, body, sign("guessed-secret", testAppKey, body)); code != http.StatusUnauthorized {
		t.Errorf("forged deauthorization: status %d, want 401", code)
	}
	if code := post(t, url, body, ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned deauthorization: status %d, want 401", code)
	}
	if got := resourceVersions(t, admin, tiktok, aliexpress); !slices.Equal(got, before) {
		t.Errorf("a forged deauthorization changed the Integrations: resourceVersions %v, then %v", before, got)
	}

	// A signed one marks the shop's TikTok Shop Integration, and only it, before the answer.
	sent := time.Now()
	if code := post(t, url, body, sign(testAppSecret, testAppKey, body)); code != http.StatusOK {
		t.Fatalf("signed deauthorization: status %d, want 200", code)
	}
	t.Logf("signed deauthorization answered in %s", time.Since(sent).Round(time.Millisecond))
	got := &workspacesv1alpha1.Integration{}
	if err := admin.Get(ctx, client.ObjectKeyFromObject(tiktok), got); err != nil {
		t.Fatal(err)
	}
	if want := at.UTC().Format(time.RFC3339); got.Annotations[workspacesv1alpha1.RevokedAnnotation] != want {
		t.Errorf("%s = %q, want %q", workspacesv1alpha1.RevokedAnnotation, got.Annotations[workspacesv1alpha1.RevokedAnnotation], want)
	}
	if !slices.ContainsFunc(got.ManagedFields, func(m metav1.ManagedFieldsEntry) bool { return m.Manager == FieldOwner }) {
		t.Errorf("no managed fields of %s: %+v", FieldOwner, got.ManagedFields)
	}
	other := &workspacesv1alpha1.Integration{}
	if err := admin.Get(ctx, client.ObjectKeyFromObject(aliexpress), other); err != nil {
		t.Fatal(err)
	}
	if other.ResourceVersion != before[1] {
		t.Errorf("the AliExpress Integration with the same account ID changed: %v", other.Annotations)
	}

	// The platform's retry of the same delivery is acknowledged and writes nothing.
	after := resourceVersions(t, admin, tiktok, aliexpress)
	if code := post(t, url, body, sign(testAppSecret, testAppKey, body)); code != http.StatusOK {
		t.Errorf("retried delivery: status %d, want 200", code)
	}
	if again := resourceVersions(t, admin, tiktok, aliexpress); !slices.Equal(again, after) {
		t.Errorf("a retried delivery wrote again: %v, then %v", after, again)
	}

	// SIGTERM (the context's end) stops the receiver cleanly.
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run ended with %v after its context ended, want nil", err)
		}
		done <- nil // what the cleanup waits for
	case <-time.After(30 * time.Second):
		t.Error("Run did not return within 30s of its context ending")
	}
	for _, secret := range []string{testAppSecret, sign(testAppSecret, testAppKey, body), shop} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the receiver's log holds %q", secret)
		}
	}
}

func newIntegration(name string, p workspacesv1alpha1.Provider, account string) *workspacesv1alpha1.Integration {
	return &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-acme", Name: name},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider:    p,
			Account:     workspacesv1alpha1.AccountRef{ID: account},
			Credentials: workspacesv1alpha1.CredentialsSpec{RemoteKey: name},
		},
	}
}

func resourceVersions(t *testing.T, c client.Client, objs ...*workspacesv1alpha1.Integration) []string {
	t.Helper()
	out := make([]string, len(objs))
	for i, o := range objs {
		got := &workspacesv1alpha1.Integration{}
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(o), got); err != nil {
			t.Fatal(err)
		}
		out[i] = got.ResourceVersion
	}
	return out
}

func post(t *testing.T, url string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Authorization", signature)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// freeAddress returns a loopback address no one listens on, for a server that binds by address.
func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// waitReady polls a readiness endpoint until it answers 200, failing when Run ends first.
func waitReady(t *testing.T, url string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the receiver stopped before it was ready: %v", err)
		default:
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(errors.New("the receiver was not ready within a minute"))
}

// syncBuffer collects log lines from the receiver's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) println(args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintln(&b.buf, args...)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
