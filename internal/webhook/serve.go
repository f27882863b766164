package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// shutdownTimeout bounds how long requests in flight may finish after SIGTERM; below the manager's own graceful
// shutdown (30s) and the Pod's termination grace period.
const shutdownTimeout = 20 * time.Second

// Options configure Run.
type Options struct {
	// Listener takes the webhooks (plain HTTP: TLS ends at the installer's Ingress).
	Listener net.Listener
	// MetricsBindAddress and HealthProbeBindAddress are the manager's; "0" disables them. Neither is the
	// webhook's port, which is the only one exposed beyond the cluster.
	MetricsBindAddress     string
	HealthProbeBindAddress string
	// Scheme must hold the workspaces.alitok.ai types.
	Scheme *runtime.Scheme
	// TikTokShop configures the TikTok Shop receiver.
	TikTokShop TikTokShopOptions
	// Log is the receiver's logger.
	Log logr.Logger
}

// Run serves the webhooks until ctx ends, then lets the requests in flight finish. It starts a manager whose
// cache holds Integrations only, indexed by platform account; the receiver serves once that cache has synced,
// and /readyz says so.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	if err := registerMetrics(); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: opts.Scheme,
		Cache: cache.Options{
			// Reading any kind but Integrations fails instead of starting an informer the receiver's RBAC
			// does not allow.
			ReaderFailOnMissingInformer: true,
			DefaultTransform:            cache.TransformStripManagedFields(),
		},
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress: opts.HealthProbeBindAddress,
		Logger:                 opts.Log,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	// Registering the index also creates the Integration informer, the only one the cache runs.
	if err := IndexIntegrationsByAccount(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("indexing Integrations by account: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(TikTokShopPath, NewTikTokShop(mgr.GetClient(), opts.Log.WithName("tiktokshop"), opts.TikTokShop))
	s := &server{
		listener: opts.Listener,
		log:      opts.Log,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      15 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
		},
	}
	if err := mgr.Add(s); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", s.readyz); err != nil {
		return err
	}
	opts.Log.Info("starting: webhooks are served once the Integration cache has synced", "address", opts.Listener.Addr().String(), "paths", []string{TikTokShopPath})
	return mgr.Start(ctx)
}

// server is the webhook HTTP server as a manager runnable. It needs no leader (every replica serves), so the
// manager starts it only after the cache has synced: no delivery is answered "unknown shop" for want of a cache.
type server struct {
	listener net.Listener
	http     *http.Server
	log      logr.Logger
	serving  atomic.Bool
}

// NeedLeaderElection is false: every replica takes webhooks.
func (*server) NeedLeaderElection() bool { return false }

// Start serves until ctx ends, then shuts down gracefully.
func (s *server) Start(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.http.Serve(s.listener) }()
	s.serving.Store(true)
	defer s.serving.Store(false)
	select {
	case err := <-done:
		return fmt.Errorf("serving webhooks: %w", err)
	case <-ctx.Done():
	}
	s.serving.Store(false)
	s.log.Info("shutting down: finishing the requests in flight", "timeout", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down the webhook server: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readyz passes while the server takes webhooks.
func (s *server) readyz(*http.Request) error {
	if !s.serving.Load() {
		return errors.New("not serving webhooks yet")
	}
	return nil
}
