// Package realnode brings up, on the real node of hack/node.sh, what the e2e suite (test/e2e) and the demo
// (hack/e2e.sh --demo) share: ESO and the operator installed from their charts as a user would, from the images
// hack/e2e.sh built without a container engine, and the world outside the cluster played by test hosts on
// addresses of TEST-NET-1 inside the node's network namespace — fake TikTok Shop and AliExpress platforms over
// TLS (a CA of hack/e2e.sh's own, added to the operator's image as a user with a private CA would) and a
// PostgreSQL server. It runs inside that network namespace.
package realnode

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/pgtest"
	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// The test hosts, on the loopback interface of the node's network namespace. Pods reach them through the node.
const (
	TikTokAddr     = "192.0.2.10"
	AliExpressAddr = "192.0.2.11"
	DatabaseAddr   = "192.0.2.20"
	DatabasePort   = 5432
	// PodRange is the node's pod range (hack/node.sh); the database admits it, and the suite's own connections
	// from the test hosts' range.
	PodRange       = "10.244.0.0/16"
	TestHostsRange = "192.0.2.0/24"

	OperatorNamespace = "workspace-operator-system"
	ESONamespace      = "external-secrets"
	ProbeImage        = "wsop.local/probe:v1"
)

// World is the node with what the suite and the demo installed on it, and the world outside the cluster.
type World struct {
	Ctx context.Context
	// C is an admin client of the node's API server.
	C client.Client
	// AsOperator acts as the operator's ServiceAccount, for objects only the operator may write.
	AsOperator client.Client
	DB         *pgtest.Server
	TikTok     *tiktokshoptest.Platform
	Ali        *aliexpresstest.Platform
	env        map[string]string
	tmp        string
	servers    []*http.Server
}

// Start brings up what the suite and the demo share on a node that hack/e2e.sh started and loaded with the
// images: the test hosts, PostgreSQL, the fake platforms, ESO and the operator from their charts. Its settings
// come from the environment hack/e2e.sh exports.
func Start() (*World, error) {
	env := map[string]string{}
	for _, k := range []string{"KUBECONFIG", "E2E_REPO", "E2E_OPERATOR_TAG", "E2E_CA_DIR", "E2E_ESO_DIR", "E2E_ESO_VERSION",
		"E2E_HELM", "E2E_KUBECTL"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			return nil, fmt.Errorf("%s is not set: run through hack/e2e.sh", k)
		}
	}
	tmp, err := os.MkdirTemp("", "wsop-e2e-")
	if err != nil {
		return nil, err
	}
	s := &World{Ctx: context.Background(), env: env, tmp: tmp}
	step := func(name string, f func() error) error {
		start := time.Now()
		fmt.Fprintf(os.Stderr, "==> e2e: %s\n", name)
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "==> e2e: %s done in %s\n", name, time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	for _, st := range []struct {
		name string
		f    func() error
	}{
		{"test hosts " + TikTokAddr + ", " + AliExpressAddr + ", " + DatabaseAddr, s.addTestHosts},
		{"PostgreSQL on " + DatabaseAddr, s.startDatabase},
		{"fake platforms over TLS", s.startPlatforms},
		{"client", s.newClient},
		{"ESO from its chart", s.installESO},
		{"workspace-operator from its chart", s.installOperator},
	} {
		if err := step(st.name, st.f); err != nil {
			s.Stop(true)
			return nil, err
		}
	}
	return s, nil
}

// Stop stops the test hosts; with failed, it first prints the operator's and ESO's logs.
func (s *World) Stop(failed bool) {
	if failed {
		// What a person needs to see why: the operator's and ESO's logs.
		out, _ := s.Kubectl("logs", "-n", OperatorNamespace, "deploy/workspace-operator", "--tail=80")
		fmt.Fprintf(os.Stderr, "---- operator log (tail)\n%s\n", out)
		out, _ = s.Kubectl("logs", "-n", ESONamespace, "deploy/external-secrets", "--tail=30")
		fmt.Fprintf(os.Stderr, "---- ESO log (tail)\n%s\n", out)
	}
	for _, srv := range s.servers {
		srv.Close()
	}
	s.DB.Stop()
	os.RemoveAll(s.tmp)
}

// addTestHosts gives the test hosts' addresses to the loopback interface of the node's network namespace (this
// kernel has no dummy interfaces): Pods reach them through the node, as they would reach hosts outside a cluster.
func (s *World) addTestHosts() error {
	for _, a := range []string{TikTokAddr, AliExpressAddr, DatabaseAddr} {
		out, err := exec.Command("ip", "addr", "replace", a+"/32", "dev", "lo").CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip addr replace %s dev lo: %w: %s", a, err, out)
		}
	}
	return nil
}

func (s *World) startDatabase() error {
	db, err := pgtest.StartWith(pgtest.Options{Address: DatabaseAddr, Port: DatabasePort, TrustCIDRs: []string{PodRange, TestHostsRange}})
	s.DB = db
	return err
}

// startPlatforms serves both fake platforms on 443 of their addresses, with the certificate hack/e2e.sh made with
// the CA it added to the operator's image.
func (s *World) startPlatforms() error {
	dir := s.env["E2E_CA_DIR"]
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "platforms.pem"), filepath.Join(dir, "platforms.key"))
	if err != nil {
		return err
	}
	s.TikTok, s.Ali = tiktokshoptest.New(), aliexpresstest.New()
	for _, p := range []struct {
		addr    string
		handler http.Handler
	}{{TikTokAddr, s.TikTok.Handler()}, {AliExpressAddr, s.Ali.Handler()}} {
		l, err := net.Listen("tcp", net.JoinHostPort(p.addr, "443"))
		if err != nil {
			return err
		}
		// The egress probes open and close plain TCP connections: their handshake errors are noise.
		srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0),
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.ServeTLS(l, "", "") }()
	}
	return nil
}

func (s *World) newClient() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.env["KUBECONFIG"])
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := workspacesv1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if s.C, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	// The chart's ServiceAccount is the one identity the admission policies let write the operator's objects.
	op := rest.CopyConfig(cfg)
	op.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + OperatorNamespace + ":workspace-operator"}
	s.AsOperator, err = client.New(op, client.Options{Scheme: scheme})
	return err
}

// operatorImage is the operator's image as hack/e2e.sh builds it: `make image`'s, with the suite's CA added.
func (s *World) operatorImage() (repo, tag string) {
	return "ghcr.io/alitok/workspace-operator", s.env["E2E_OPERATOR_TAG"]
}

func (s *World) esoImage() (repo, tag string) {
	return "oci.external-secrets.io/external-secrets/external-secrets", s.env["E2E_ESO_VERSION"]
}

// installESO installs ESO's CRDs from its module and its chart with its own controller only (no webhook or cert
// controller: the suite has no need of them), one worker (its fake provider is not safe for more).
func (s *World) installESO() error {
	dir := s.env["E2E_ESO_DIR"]
	if _, err := s.Kubectl("apply", "--server-side", "-f", filepath.Join(dir, "deploy/crds/bundle.yaml")); err != nil {
		return err
	}
	chart, err := copyChartWithoutDependencies(filepath.Join(dir, "deploy/charts/external-secrets"), filepath.Join(s.tmp, "eso-chart"))
	if err != nil {
		return err
	}
	repo, tag := s.esoImage()
	err = s.helm("upgrade", "--install", "external-secrets", chart, "--namespace", ESONamespace, "--create-namespace",
		"--set", "installCRDs=false", "--set", "webhook.create=false", "--set", "certController.create=false",
		"--set", "image.repository="+repo, "--set", "image.tag="+tag, "--set", "image.pullPolicy=Never",
		"--set", "concurrent=1", "--wait", "--timeout", "4m")
	return err
}

// installOperator installs charts/workspace-operator with the suite's configuration: the fake platforms as the
// providers' API, ESO's fake provider as every tenant's secret backend, the database as the Jobs' egress.
func (s *World) installOperator() error {
	values, err := yaml.Marshal(s.operatorValues())
	if err != nil {
		return err
	}
	file := filepath.Join(s.tmp, "values.yaml")
	if err := os.WriteFile(file, values, 0o600); err != nil {
		return err
	}
	err = s.helm("upgrade", "--install", "workspace-operator", filepath.Join(s.env["E2E_REPO"], "charts/workspace-operator"),
		"--namespace", OperatorNamespace, "--create-namespace", "-f", file, "--wait", "--timeout", "4m")
	return err
}

// DatabaseDSN is the DSN every tenant's secret backend holds for the worker.
func DatabaseDSN() string {
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", net.JoinHostPort(DatabaseAddr, fmt.Sprint(DatabasePort)))
}

func (s *World) operatorValues() map[string]any {
	repo, tag := s.operatorImage()
	jsonOf := func(files map[string]string) string {
		b, _ := json.Marshal(files)
		return string(b)
	}
	data := []any{
		map[string]any{"key": "tenants/${TENANT}/database", "value": jsonOf(map[string]string{"dsn": DatabaseDSN()})},
		map[string]any{"key": "tenants/${TENANT}/tiktok/main", "value": jsonOf(s.TikTok.CredentialFiles())},
		map[string]any{"key": "tenants/${TENANT}/aliexpress/main", "value": jsonOf(s.Ali.CredentialFiles())},
	}
	// The operator's own catalog, calling the fake platforms, every feature synced only when asked (sync-now).
	providers := config.Default().Providers
	for name, base := range map[workspacesv1alpha1.Provider]string{
		workspacesv1alpha1.ProviderTikTokShop: "https://" + TikTokAddr, workspacesv1alpha1.ProviderAliExpress: "https://" + AliExpressAddr,
	} {
		p := providers[name]
		p.APIBaseURL, p.AuthBaseURL = base, base
		for f, feature := range p.Features {
			feature.Schedule = "0 3 * * *"
			p.Features[f] = feature
		}
		providers[name] = p
	}
	return map[string]any{
		"image": map[string]any{"repository": repo, "tag": tag, "pullPolicy": "Never"},
		// The operator's own NetworkPolicy with its egress restricted too (off by default; kube-router matches the
		// API server's address as an ipBlock): the operator then reaches only the API server and DNS.
		"networkPolicy": map[string]any{"egress": map[string]any{"enabled": true}},
		"config": map[string]any{
			"allowedRegions": []string{"eu-central-1", "us-east-1"},
			"worker":         map[string]any{"imagePullPolicy": "Never"},
			"jobs":           map[string]any{"backoffLimit": 0},
			// Retention runs every minute, so that the suite sees the CronJob itself start it.
			"privacy": map[string]any{"retentionSchedule": "* * * * *"},
			// Token refreshes run when a test asks (refresh-now), never on their own: the fake platforms' tokens are
			// shared by every test's Integrations. Any token is due.
			"tokenRefresh": map[string]any{"schedule": "0 0 1 1 *", "before": "8760h"},
			"jobEgress": map[string]any{
				"database": []any{map[string]any{
					"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": DatabaseAddr + "/32"}}},
					"ports": []any{map[string]any{"protocol": "TCP", "port": DatabasePort}},
				}},
			},
			"providers": providers,
			"secretStore": map[string]any{
				"name":            "tenant-secrets",
				"remoteKeyPrefix": "tenants/${TENANT}/",
				"spec":            map[string]any{"provider": map[string]any{"fake": map[string]any{"data": data}}},
			},
		},
	}
}

// copyChartWithoutDependencies copies a chart, leaving out its dependencies: ESO's chart names an optional
// sub-chart (bitwarden-sdk-server, off by default) from a registry this machine cannot reach, and Helm refuses a
// chart whose dependencies are missing even when they are switched off.
func copyChartWithoutDependencies(src, dst string) (string, error) {
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "Chart.yaml" {
			// The dependencies block is the file's last; a changed ESO chart fails loudly here.
			text, _, found := strings.Cut(string(b), "\ndependencies:")
			if !found {
				return fmt.Errorf("%s has no dependencies block: check copyChartWithoutDependencies", path)
			}
			b = []byte(text + "\n")
		}
		if filepath.Base(rel) == "Chart.lock" {
			return nil
		}
		return os.WriteFile(target, b, 0o644)
	})
	return dst, err
}

// Kubectl runs kubectl against the node's cluster and returns its output; on failure the error carries it too.
func (s *World) Kubectl(args ...string) (string, error) {
	cmd := exec.Command(s.env["E2E_KUBECTL"], append([]string{"--kubeconfig", s.env["KUBECONFIG"]}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// helm runs helm against the node's cluster; its error carries helm's output.
func (s *World) helm(args ...string) error {
	cmd := exec.Command(s.env["E2E_HELM"], append([]string{"--kubeconfig", s.env["KUBECONFIG"]}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Poll calls f every second until it reports done, and returns f's last word as an error after timeout.
func Poll(timeout time.Duration, f func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, msg := f()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not after %s: %s", timeout, msg)
		}
		time.Sleep(time.Second)
	}
}

// PodMessage is the termination message (the worker's JSON result) of the newest terminated Pod of a Job.
func (s *World) PodMessage(ns, job string) (string, error) {
	pods := &corev1.PodList{}
	if err := s.C.List(s.Ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job}); err != nil {
		return "", err
	}
	var msg string
	var newest time.Time
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			if term := cs.State.Terminated; term != nil && !term.FinishedAt.Time.Before(newest) {
				newest, msg = term.FinishedAt.Time, term.Message
			}
		}
	}
	return msg, nil
}

// Query returns the single integer a SQL query gives on the test hosts' database.
func (s *World) Query(sql string, args ...any) (int64, error) {
	conn, err := pgx.Connect(s.Ctx, DatabaseDSN())
	if err != nil {
		return 0, fmt.Errorf("connecting to the database: %w", err)
	}
	defer conn.Close(s.Ctx)
	var n int64
	if err := conn.QueryRow(s.Ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", sql, err)
	}
	return n, nil
}

// Scopes are the platform scopes the operator's catalog asks for the given features of a provider.
func Scopes(provider workspacesv1alpha1.Provider, features ...workspacesv1alpha1.FeatureName) []string {
	var out []string
	for _, f := range features {
		for _, sc := range config.Default().Providers[provider].Features[f].Scopes {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}
