// Package webhook receives the platforms' notifications that change what the operator may do for a seller. Today
// that is TikTok Shop's seller deauthorization: a verified one marks the shop's Integrations with
// RevokedAnnotation, and the Integration controller does the rest (stops syncing, applies onDisconnect, keeps the
// object as the record).
//
// It runs as `workspace-operator webhook`, its own Deployment behind a Service, not inside the operator: it faces
// the internet (through the installer's Ingress), so it holds only the right to read and annotate Integrations, and
// a flood of requests cannot slow reconciling.
package webhook
