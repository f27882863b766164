package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Components, the app.kubernetes.io/component values of a workspace's objects.
const (
	componentNamespace     = "namespace"
	componentNetworkPolicy = "network-policy"
	componentQuota         = "quota"
	componentRBAC          = "rbac"
	componentHMACKey       = "hmac-key"
	componentSecretStore   = "secret-store"
	componentCredentials   = "credentials"
	componentSync          = "sync"
	componentPurge         = "purge"
	componentRetention     = "retention"
	componentDatabase      = "database"
	componentRequest       = "data-request"
	componentTokenRefresh  = "token-refresh"
)

// Labels linking an object to what it belongs to, besides the tenant label of the API package.
const (
	// IntegrationLabel names the Integration an object belongs to.
	IntegrationLabel = "workspaces.alitok.ai/integration"
	// FeatureLabel names the feature a sync CronJob, Job or Pod runs.
	FeatureLabel = "workspaces.alitok.ai/feature"
	// DataRequestLabel names the DataRequest an object belongs to.
	DataRequestLabel = "workspaces.alitok.ai/datarequest"
)

// TaskLabel names the worker task a Job's Pod runs; the Jobs' egress NetworkPolicies select Pods by it.
const TaskLabel = "workspaces.alitok.ai/task"

// regionNodeLabel is the well-known node label residency pins Jobs with.
const regionNodeLabel = "topology.kubernetes.io/region"

// tenantLabels are the labels every object of a tenant carries.
func tenantLabels(tenant, component string) map[string]string {
	return map[string]string{
		workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue,
		workspacesv1alpha1.TenantLabel:    tenant,
		workspacesv1alpha1.ComponentLabel: component,
	}
}

// requestForTenantLabel maps an object of a tenant's workspace to its Tenant's reconcile request. Objects of
// an Integration carry the tenant label too; they are the Integration controller's concern.
func requestForTenantLabel(_ context.Context, obj client.Object) []reconcile.Request {
	name, ok := obj.GetLabels()[workspacesv1alpha1.TenantLabel]
	if !ok || name == "" || obj.GetLabels()[workspacesv1alpha1.ManagedByLabel] != workspacesv1alpha1.ManagedByValue {
		return nil
	}
	if _, ofIntegration := obj.GetLabels()[IntegrationLabel]; ofIntegration {
		return nil
	}
	if _, ofRequest := obj.GetLabels()[DataRequestLabel]; ofRequest {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
}

// managedByOperator reports whether obj carries the operator's managed-by label.
func managedByOperator(obj client.Object) bool {
	return obj.GetLabels()[workspacesv1alpha1.ManagedByLabel] == workspacesv1alpha1.ManagedByValue
}
