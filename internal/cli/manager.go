package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/logging"
	"github.com/alitok/workspace-operator/internal/memlimit"
	"github.com/alitok/workspace-operator/internal/metricsserving"
	"github.com/alitok/workspace-operator/internal/version"
)

// managerOptions are the operator's flags.
type managerOptions struct {
	configPath    string
	metrics       metricsserving.Options
	probeAddr     string
	pprofAddr     string
	leaderElect   bool
	leaderElectNS string
	tenantWorkers int
	intgWorkers   int
	kubeQPS       float64
	kubeBurst     int
	log           logging.Flags
	kube          *kube
}

func newManagerCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &managerOptions{}
	cmd := &cobra.Command{
		Use:   "manager",
		Short: "Run the operator: reconcile Tenants, Integrations and DataRequests",
		Long: `Run the operator until SIGTERM: reconcile Tenants, Integrations and DataRequests into isolated tenant
workspaces. It talks to the cluster of --kubeconfig, KUBECONFIG or the Pod it runs in.`,
		Example: `  workspace-operator manager --config config/local/config.yaml --kubeconfig .local/kubeconfig`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), streams)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.configPath, "config", "", "path of the operator configuration file (YAML); empty uses the built-in defaults")
	fs.StringVar(&o.metrics.BindAddress, "metrics-bind-address", ":8443", "address the metrics endpoint binds to; 0 disables it")
	fs.BoolVar(&o.metrics.Secure, "metrics-secure", true, metricsserving.SecureUsage)
	fs.StringVar(&o.metrics.CertDir, "metrics-cert-dir", "", metricsserving.CertDirUsage)
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address the health and readiness probes bind to")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "address Go's pprof endpoints bind to, for profiling; 0 disables them")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader, so that only one replica reconciles at a time")
	fs.StringVar(&o.leaderElectNS, "leader-election-namespace", "", "namespace of the leader election lease (default: the pod's namespace)")
	fs.IntVar(&o.tenantWorkers, "tenant-concurrency", 4, "Tenants reconciled at once")
	fs.IntVar(&o.intgWorkers, "integration-concurrency", 4, "Integrations reconciled at once")
	fs.Float64Var(&o.kubeQPS, "kube-api-qps", 50, "queries per second the operator may send to the API server")
	fs.IntVar(&o.kubeBurst, "kube-api-burst", 100, "burst of queries above kube-api-qps")
	o.log.Bind(fs)
	o.kube = addKubeFlags(cmd, false)
	return cmd
}

func (o *managerOptions) run(ctx context.Context, streams genericiooptions.IOStreams) error {
	if _, err := o.log.Setup(streams.ErrOut); err != nil {
		return &usageError{err}
	}
	setupLog := ctrl.Log.WithName("setup")
	if soft := memlimit.FromCgroup(); soft > 0 {
		setupLog.Info("Go memory limit set to 90% of the container's", "bytes", soft)
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return err
	}
	scheme, err := NewScheme()
	if err != nil {
		return err
	}
	restCfg, err := o.kube.restConfig()
	if err != nil {
		return err
	}
	if err := reachable(restCfg); err != nil {
		return err
	}
	restCfg.QPS, restCfg.Burst = float32(o.kubeQPS), o.kubeBurst

	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controllers.CacheOptions(cfg.NamespacePrefix),
		Client:                  controllers.ClientOptions(),
		Metrics:                 o.metrics.Server(),
		HealthProbeBindAddress:  o.probeAddr,
		PprofBindAddress:        o.pprofAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "workspace-operator.workspaces.alitok.ai",
		LeaderElectionNamespace: o.leaderElectNS,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if cfg.Worker.Image == "" {
		cfg.Worker.Image = ownImage(ctx, mgr.GetAPIReader())
	}
	setupLog.Info("Jobs run the worker image", "image", cfg.Worker.Image)
	if len(cfg.JobEgress.APIServer) == 0 {
		// Access exports write to the API server; their Pods may reach it only through an egress rule.
		rules, err := controllers.APIServerEgress(ctx, mgr.GetAPIReader())
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
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: o.tenantWorkers}); err != nil {
		return fmt.Errorf("setting up the Tenant controller: %w", err)
	}
	if err := (&controllers.IntegrationReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("workspace-operator"),
		Config:    cfg,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: o.intgWorkers}); err != nil {
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
