// Command workspace-operator reconciles Tenants, Integrations and DataRequests into isolated, access-controlled
// tenant workspaces.
package main

import (
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/config"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "workspace-operator:", err)
		os.Exit(1)
	}
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
		Cache:                   controllers.CacheOptions(),
		Metrics:                 metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:  *probeAddr,
		LeaderElection:          *leaderElect,
		LeaderElectionID:        "workspace-operator.workspaces.alitok.ai",
		LeaderElectionNamespace: *leaderElectNS,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
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
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("workspace-operator"),
		Config:   cfg,
	}).SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: *intgWorkers}); err != nil {
		return fmt.Errorf("setting up the Integration controller: %w", err)
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
