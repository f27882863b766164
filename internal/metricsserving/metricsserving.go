// Package metricsserving configures the operator's metrics endpoint as kubebuilder scaffolds it: HTTPS, and only
// for callers whose bearer token the API server authenticates (TokenReview) and authorizes for GET /metrics
// (SubjectAccessReview), so the figures about tenants and data-subject requests are not open to every Pod.
package metricsserving

import (
	"crypto/tls"

	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The operator's ServiceAccount asks the API server who a scraper is and whether it may read /metrics.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// Options are the metrics endpoint's flags.
type Options struct {
	// BindAddress is where the endpoint listens; "0" disables it.
	BindAddress string
	// Secure serves HTTPS with authentication and authorization; false serves plain HTTP to anyone (a local run,
	// a benchmark, a service mesh that does both).
	Secure bool
	// CertDir holds tls.crt and tls.key, reloaded when they change; empty (or without them) a self-signed
	// certificate is made in memory at start-up.
	CertDir string
}

// Flag help texts, for whichever flag set binds Options.
const (
	SecureUsage  = "serve metrics over HTTPS, only to callers allowed GET /metrics (TokenReview and SubjectAccessReview, e.g. bound to the ClusterRole <release>-metrics-reader); false: plain HTTP to anyone"
	CertDirUsage = "folder with tls.crt and tls.key for the HTTPS metrics endpoint, reloaded when they change; empty: a self-signed certificate"
)

// Server returns the manager's metrics server options.
func (o Options) Server() metricsserver.Options {
	if !o.Secure {
		return metricsserver.Options{BindAddress: o.BindAddress}
	}
	return metricsserver.Options{
		BindAddress:    o.BindAddress,
		SecureServing:  true,
		CertDir:        o.CertDir,
		FilterProvider: filters.WithAuthenticationAndAuthorization,
		// HTTP/1.1 only: HTTP/2's stream reset and rapid reset attacks (CVE-2023-44487, CVE-2023-39325) are
		// out of reach, as in kubebuilder's scaffold. A scraper needs nothing more.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
}
