package webhook

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// requests counts webhook requests by platform and outcome, so that an alert can see forged or stale deliveries
// piling up (unauthorized, stale) or the API server failing the receiver (unavailable).
var requests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "workspace_webhook_requests_total",
	Help: "Platform webhook requests received, by provider and outcome.",
}, []string{"provider", "outcome"})

// registerMetrics adds the receiver's metrics to controller-runtime's registry, which its metrics endpoint
// serves; registering twice (two receivers in one test process) is not an error.
func registerMetrics() error {
	err := crmetrics.Registry.Register(requests)
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}
