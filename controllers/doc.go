// Package controllers reconciles the three kinds of workspaces.alitok.ai into a tenant's workspace.
//
// # How data flows
//
//	Tenant ──► TenantReconciler ──► Namespace, NetworkPolicies (default deny, same namespace, DNS, Jobs' database
//	   │                            and API server egress), ResourceQuota, LimitRange, member RoleBindings, HMAC key
//	   │                            Secret, SecretStore, database ExternalSecret, maintenance ServiceAccount,
//	   │                            restriction-list ConfigMap, retention CronJob; at closure the purge Job, then
//	   │                            the namespace goes
//	   ├─► IntegrationReconciler (an Integration in the tenant's namespace) ──► ExternalSecret of its credentials,
//	   │       ServiceAccount and Role reading only that Secret, egress NetworkPolicy, one sync CronJob per enabled
//	   │       feature; on deletion with onDisconnect: Purge, its purge Job first
//	   └─► DataRequestReconciler (cluster-scoped, tenantRef) ──► the request's Job (erase, export, rectify) with a
//	           copy of the subject Secret, or an entry in the restriction list (Restriction, Objection)
//
// Every Job and CronJob runs `workspace-operator worker <task>`: workerRun (jobs.go) builds them all from the
// task's inputs in package contract, which the worker parses back. The worker reports one JSON result
// (contract.Result) in its termination message; the reconcilers read it into status.
//
// A Tenant change reaches its Integrations (integrationsOfTenant) and DataRequests (requestsOfTenant); children
// map back to their owner by label (requestForTenantLabel, requestForIntegrationLabel, the DataRequest label).
//
// # The shape of a reconciler (reconcile.go)
//
// Reconcile reads the object, makes a patcher and defers its one status patch (patcher.done), adds the finalizer
// (patcher.addFinalizer) or runs the deletion path (removing it last with patcher.removeFinalizer), runs ordered
// steps (runSteps), summarizes the outcome into Ready, Reconciling and Stalled (summarize), and turns it into a
// result (resultOf). A step ends the pass by returning an error — stalled(...) for bad input, waiting(...) while
// something outside the pass is awaited, anything else for a transient failure — or stop=true when nothing after
// it may run. Conditions reasons are declared in api/v1alpha1/reasons.go.
//
// # Adding a child kind
//
//  1. A builder desiredX in the owner's *_resources.go (or a shared file when two owners build it), labelled with
//     tenantLabels or integrationLabels and a component constant from labels.go.
//  2. Applied in a step with applyCached, applyExact or applyUnstructured (apply.go): created when absent (under
//     CreateFieldManager), applied under FieldOwner to change it, so an unchanged object costs no write.
//  3. The cache: CacheOptions (cache.go) holds only managed objects of each kind; add the kind there, and to
//     trimForCache what the operator never reads of it (applyHashed compares by AppliedAnnotation, not by
//     content).
//  4. The watch: Watches(kind, requestForTenantLabel or requestForIntegrationLabel) in SetupWithManager, so an
//     edited or deleted child is put back.
//  5. RBAC: a +kubebuilder:rbac marker on the reconciler, then `make manifests`.
//  6. If it belongs to an Integration, revoke (integration_controller.go) deletes it; if it bears on isolation,
//     a check in internal/audit.
//
// # Adding a CRD
//
// The type in api/v1alpha1 with its markers and CEL rules, its reasons in reasons.go, `make generate manifests`;
// a reconciler of the shape above; its registration in internal/cli/manager.go (the manager command) and in the
// test suite's startOperator.
//
// # Adding a worker task or a platform
//
// A task: its inputs struct in package contract (one field per flag, tagged), its function in internal/worker's
// tasks map, a workerRun that builds it here, and a line in the contract test (worker_contract_test.go).
//
// A platform: a Provider value (and the Providers list) in api/v1alpha1, its client package under
// internal/provider with a fake for tests, a source registered with registerSource in internal/worker, and its
// catalog entry (scopes per feature, schedules, API hosts) in internal/config's defaults. A provider without a
// registered source is refused by the worker as a usage error; tests check that every API provider has one.
package controllers
