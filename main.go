// Command workspace-operator reconciles Tenants, Integrations and DataRequests into isolated, access-controlled
// tenant workspaces. `workspace-operator worker <task>` is what the operator's Jobs run (sync, erase, export,
// rectify, purge, retention); `workspace-operator audit` checks every tenant's isolation; `workspace-operator
// webhook` receives the platforms' seller-deauthorization webhooks.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/audit"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/memlimit"
	"github.com/alitok/workspace-operator/internal/version"
	"github.com/alitok/workspace-operator/internal/webhook"
	"github.com/alitok/workspace-operator/internal/worker"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--version", "-version", "version":
			fmt.Println(version.String())
			return
		case "audit":
			os.Exit(runAudit(os.Args[2:]))
		case "worker":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := worker.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		case "webhook":
			os.Exit(runWebhook(os.Args[2:]))
		}
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "workspace-operator:", err)
		os.Exit(1)
	}
}

// runAudit checks every tenant's isolation (or one, --tenant) and prints a table or JSON. It exits 1 when a
// check fails and 2 when it could not run.
func runAudit(args []string) int {
	fs := flag.NewFlagSet("workspace-operator audit", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "audit only this tenant")
	output := fs.String("output", "table", "table or json")
	configPath := fs.String("config", "", "operator configuration file, for the namespace prefix")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "workspace-operator audit:", err)
		return 2
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return fail(err)
	}
	scheme, err := newScheme()
	if err != nil {
		return fail(err)
	}
	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fail(fmt.Errorf("no cluster to talk to (set KUBECONFIG): %w", err))
	}
	// Uncached: the audit looks for exactly what the operator did not create.
	c, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return fail(err)
	}
	failed, err := audit.Run(context.Background(), c, audit.Options{Tenant: *tenant, Output: *output, NamespacePrefix: cfg.NamespacePrefix}, os.Stdout)
	if err != nil {
		return fail(err)
	}
	if failed {
		return 1
	}
	return 0
}

// runWebhook serves the platforms' webhooks until SIGTERM. It exits 2 when it cannot start and 1 when it stops on
// an error.
func runWebhook(args []string) int {
	fs := flag.NewFlagSet("workspace-operator webhook", flag.ContinueOnError)
	var flags webhook.Flags
	flags.Bind(fs)
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "workspace-operator webhook:", err)
		return 2
	}
	if err := flags.Check(fs); err != nil {
		return fail(err)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("webhook")
	if soft := memlimit.FromCgroup(); soft > 0 {
		log.Info("Go memory limit set to 90% of the container's", "bytes", soft)
	}
	creds, err := webhook.LoadAppCredentials(flags.TikTokShopAppKeyFile, flags.TikTokShopAppSecFile)
	if err != nil {
		return fail(err)
	}
	scheme, err := newScheme()
	if err != nil {
		return fail(err)
	}
	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fail(fmt.Errorf("no cluster to talk to (set KUBECONFIG or run in a cluster): %w", err))
	}
	ctx := ctrl.SetupSignalHandler()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", flags.Listen)
	if err != nil {
		return fail(fmt.Errorf("--listen: %w", err))
	}
	err = webhook.Run(ctx, restCfg, webhook.Options{
		Listener:               ln,
		MetricsBindAddress:     flags.MetricsBindAddress,
		HealthProbeBindAddress: flags.HealthProbeBindAddress,
		Scheme:                 scheme,
		TikTokShop:             webhook.TikTokShopOptions{Credentials: creds, MaxEventAge: flags.MaxEventAge},
		Log:                    log,
	})
	if err != nil {
		log.Error(err, "the webhook receiver stopped")
		return 1
	}
	return 0
}

// Scheme holds every kind the operator reads or writes.
func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := workspacesv1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("workspace-operator", flag.ContinueOnError)
	var (
		configPath    = fs.String("config", "", "path of the operator configuration file (YAML); empty uses the built-in defaults")
		metricsAddr   = fs.String("metrics-bind-address", ":8080", "address the metrics endpoint binds to; 0 disables it")
		probeAddr     = fs.String("health-probe-bind-address", ":8081", "address the health and readiness probes bind to")
		pprofAddr     = fs.String("pprof-bind-address", "0", "address Go's pprof endpoints bind to, for profiling; 0 disables them")
		leaderElect   = fs.Bool("leader-elect", false, "elect a leader, so that only one replica reconciles at a time")
		leaderElectNS = fs.String("leader-election-namespace", "", "namespace of the leader election lease (default: the pod's namespace)")
		tenantWorkers = fs.Int("tenant-concurrency", 4, "Tenants reconciled at once")
		intgWorkers   = fs.Int("integration-concurrency", 4, "Integrations reconciled at once")
		kubeQPS       = fs.Float64("kube-api-qps", 50, "queries per second the operator may send to the API server")
		kubeBurst     = fs.Int("kube-api-burst", 100, "burst of queries above kube-api-qps")
		zapOpts       = zap.Options{Development: false}
	)
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	setupLog := ctrl.Log.WithName("setup")
	if soft := memlimit.FromCgroup(); soft > 0 {
		setupLog.Info("Go memory limit set to 90% of the container's", "bytes", soft)
	}

	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("no cluster to talk to (set KUBECONFIG or run in a cluster): %w", err)
	}
	restCfg.QPS, restCfg.Burst = float32(*kubeQPS), *kubeBurst

	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controllers.CacheOptions(cfg.NamespacePrefix),
		Client:                  controllers.ClientOptions(),
		Metrics:                 metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:  *probeAddr,
		PprofBindAddress:        *pprofAddr,
		LeaderElection:          *leaderElect,
		LeaderElectionID:        "workspace-operator.workspaces.alitok.ai",
		LeaderElectionNamespace: *leaderElectNS,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if cfg.Worker.Image == "" {
		cfg.Worker.Image = ownImage(context.Background(), mgr.GetAPIReader())
	}
	setupLog.Info("Jobs run the worker image", "image", cfg.Worker.Image)
	if len(cfg.JobEgress.APIServer) == 0 {
		// Access exports write to the API server; their Pods may reach it only through an egress rule.
		rules, err := controllers.APIServerEgress(context.Background(), mgr.GetAPIReader())
		if err != nil {
			setupLog.Error(err, "Access export Jobs will not reach the API server: set jobEgress.apiServer in the configuration")
		}
		cfg.JobEgress.APIServer = rules
	}
	if err := (&controllers.TenantReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    cfg,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: *tenantWorkers}); err != nil {
		return fmt.Errorf("setting up the Tenant controller: %w", err)
	}
	if err := (&controllers.IntegrationReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    cfg,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: *intgWorkers}); err != nil {
		return fmt.Errorf("setting up the Integration controller: %w", err)
	}
	if err := (&controllers.DataRequestReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    cfg,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}); err != nil {
		return fmt.Errorf("setting up the DataRequest controller: %w", err)
	}
	if err := crmetrics.Registry.Register(controllers.NewMetrics(mgr.GetClient(), time.Now, cfg.NamespacePrefix)); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	setupLog.Info("starting manager", "namespacePrefix", cfg.NamespacePrefix, "allowedRegions", cfg.AllowedRegions)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// defaultImageRepository is the operator's image repository; its tag is the binary's version.
const defaultImageRepository = "ghcr.io/alitok/workspace-operator"

// ownImage is the image of the operator's own container, read from its Pod (POD_NAME and POD_NAMESPACE, set by
// the Deployment through the downward API), so that the Jobs follow whatever image the Deployment was given.
// Outside a Pod, or when the Pod cannot be read, it is the release image of this binary's version.
func ownImage(ctx context.Context, r client.Reader) string {
	fallback := defaultImageRepository + ":" + version.Version
	name, ns := os.Getenv("POD_NAME"), os.Getenv("POD_NAMESPACE")
	if name == "" || ns == "" {
		if version.Version == "dev" {
			ctrl.Log.WithName("setup").Info("a development build outside a Pod: Jobs run an image that may not exist; set worker.image in the configuration", "image", fallback)
		}
		return fallback
	}
	pod := &corev1.Pod{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, pod); err != nil {
		ctrl.Log.WithName("setup").Error(err, "cannot read the operator's own Pod; Jobs run the release image", "image", fallback)
		return fallback
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == "manager" {
			return c.Image
		}
	}
	return fallback
}
