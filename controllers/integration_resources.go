package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

// httpsPort is where the platforms' APIs listen.
const httpsPort = 443

// Names of an Integration's objects.
func credentialsName(intg string) string  { return intg + "-credentials" }
func syncAccountName(intg string) string  { return intg + "-sync" }
func readerRoleName(intg string) string   { return intg + "-credentials-reader" }
func egressPolicyName(intg string) string { return intg + "-egress" }
func purgeJobName(intg string) string     { return intg + "-purge" }
func cronJobName(intg string, f workspacesv1alpha1.FeatureName) string {
	return intg + "-" + string(f)
}

// runNowJobName is the Job a sync-now or refresh-now value starts from a CronJob: the same value gives the same
// name, so each value starts exactly one Job per CronJob, however often it is reconciled.
func runNowJobName(cronJob, value string) string {
	sum := sha256.Sum256([]byte(value))
	return cronJob + "-n" + hex.EncodeToString(sum[:])[:7]
}

// integrationLabels are the labels of an Integration's objects.
func integrationLabels(tenant, intg, component string) map[string]string {
	l := tenantLabels(tenant, component)
	l[IntegrationLabel] = intg
	return l
}

// scopeProblems compares granted scopes with what the enabled features need, per the provider catalog. It
// returns a message naming every missing and excess scope, or "" when they match.
func scopeProblems(cat config.Provider, i *workspacesv1alpha1.Integration) string {
	needed := map[string][]string{} // scope -> features needing it
	var missing []string
	granted := map[string]bool{}
	for _, s := range i.Spec.Scopes {
		granted[s] = true
	}
	for _, f := range i.Spec.Features {
		for _, s := range cat.Features[f.Name].Scopes {
			needed[s] = append(needed[s], string(f.Name))
			if !granted[s] && !slices.Contains(missing, s) {
				missing = append(missing, s)
			}
		}
	}
	var excess []string
	for _, s := range i.Spec.Scopes {
		if _, ok := needed[s]; !ok {
			excess = append(excess, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(excess)
	var msgs []string
	for _, s := range missing {
		msgs = append(msgs, fmt.Sprintf("scope %q is missing (needed by %s)", s, strings.Join(needed[s], ", ")))
	}
	if len(excess) > 0 {
		msgs = append(msgs, fmt.Sprintf("scopes %s are not needed by any enabled feature: remove them, least privilege", quoteAll(excess)))
	}
	return strings.Join(msgs, "; ")
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func desiredServiceAccount(i *workspacesv1alpha1.Integration, tenant string) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(syncAccountName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentCredentials)).
		WithAutomountServiceAccountToken(false)
}

// desiredReaderRole may get exactly one Secret: the integration's credentials.
func desiredReaderRole(i *workspacesv1alpha1.Integration, tenant string) *rbacv1ac.RoleApplyConfiguration {
	return rbacv1ac.Role(readerRoleName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentCredentials)).
		WithRules(rbacv1ac.PolicyRule().WithAPIGroups("").WithResources("secrets").
			WithResourceNames(credentialsName(i.Name)).WithVerbs("get"))
}

func desiredReaderBinding(i *workspacesv1alpha1.Integration, tenant string) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(readerRoleName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentCredentials)).
		WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("Role").WithName(readerRoleName(i.Name))).
		WithSubjects(rbacv1ac.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(syncAccountName(i.Name)).WithNamespace(i.Namespace))
}

// desiredEgressPolicy lets the integration's sync pods open HTTPS connections to public addresses, on top of the
// tenant's DNS policy. NetworkPolicy matches IP addresses, not host names: it cannot tell the provider's API
// from any other public HTTPS server, so it admits port 443 on every address except the excluded ranges
// (private, link-local, loopback, cluster). Restricting to the provider's host names needs an egress proxy or
// an FQDN-aware network plugin; the policy names the provider's hosts for one (APIHostsAnnotation).
func desiredEgressPolicy(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant string) *networkingv1ac.NetworkPolicyApplyConfiguration {
	port := intstr.FromInt32(httpsPort)
	return networkingv1ac.NetworkPolicy(egressPolicyName(i.Name), i.Namespace).
		WithLabels(integrationLabels(tenant, i.Name, componentNetworkPolicy)).
		WithAnnotations(map[string]string{workspacesv1alpha1.APIHostsAnnotation: strings.Join(cfg.Providers[i.Spec.Provider].APIHosts, ",")}).
		WithSpec(networkingv1ac.NetworkPolicySpec().
			// The integration's Pods that call the platform (sync, token refresh) only: its purge Job needs the
			// database, not the internet.
			WithPodSelector(metav1ac.LabelSelector().
				WithMatchLabels(map[string]string{IntegrationLabel: i.Name, workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue}).
				WithMatchExpressions(metav1ac.LabelSelectorRequirement().
					WithKey(TaskLabel).WithOperator(metav1.LabelSelectorOpIn).WithValues(taskNames(contract.PlatformTasks)...))).
			WithPolicyTypes(networkingv1.PolicyTypeEgress).
			WithEgress(networkingv1ac.NetworkPolicyEgressRule().
				WithTo(networkingv1ac.NetworkPolicyPeer().WithIPBlock(
					networkingv1ac.IPBlock().WithCIDR("0.0.0.0/0").WithExcept(cfg.EgressExceptCIDRs...))).
				WithPorts(networkingv1ac.NetworkPolicyPort().WithProtocol(corev1.ProtocolTCP).WithPort(port))))
}

// syncRun is the worker run of one feature's sync.
func syncRun(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant, region string, f workspacesv1alpha1.FeatureName) workerRun {
	l := integrationLabels(tenant, i.Name, componentSync)
	l[FeatureLabel] = string(f)
	return workerRun{
		inputs: &contract.Sync{
			Tenant: tenant, Integration: i.Name, Provider: i.Spec.Provider, Feature: f, AccountID: i.Spec.Account.ID,
			APIBaseURL:  cfg.Providers[i.Spec.Provider].APIBaseURL,
			Credentials: contract.Credentials(credentialsName(i.Name)),
			Database:    contract.TenantDatabase(), HMACKey: contract.TenantHMACKey(), Restrictions: contract.RestrictionList(),
		},
		labels:         l,
		serviceAccount: syncAccountName(i.Name),
		region:         region,
	}
}

// featureSchedule is when a feature's sync runs: its own schedule, else the provider catalog's.
func featureSchedule(cfg *config.Config, i *workspacesv1alpha1.Integration, f workspacesv1alpha1.Feature) string {
	if f.Schedule != "" {
		return f.Schedule
	}
	return cfg.Providers[i.Spec.Provider].Features[f.Name].Schedule
}

// desiredCronJob runs one feature's sync on its schedule, one run at a time. A schedule no CronJob can have (the
// Integration is then Stalled, so every CronJob is suspended) is replaced by the catalog's until it is fixed, so
// that the suspension itself can be written.
func desiredCronJob(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant, region string, f workspacesv1alpha1.Feature, suspend bool) *batchv1ac.CronJobApplyConfiguration {
	schedule := featureSchedule(cfg, i, f)
	if config.CheckSchedule(schedule) != nil {
		schedule = cfg.Providers[i.Spec.Provider].Features[f.Name].Schedule
	}
	return syncRun(cfg, i, tenant, region, f.Name).cronJob(cfg, cronJobName(i.Name, f.Name), i.Namespace, schedule, suspend)
}

// desiredPurgeJob removes the integration's synced data when it is disconnected with onDisconnect: Purge.
func desiredPurgeJob(cfg *config.Config, i *workspacesv1alpha1.Integration, tenant, region string, held []workspacesv1alpha1.DataCategory) *batchv1ac.JobApplyConfiguration {
	return workerRun{
		inputs:         &contract.Purge{Tenant: tenant, Integration: i.Name, Held: held, Database: contract.TenantDatabase()},
		labels:         integrationLabels(tenant, i.Name, componentPurge),
		serviceAccount: syncAccountName(i.Name),
		region:         region,
	}.job(cfg, purgeJobName(i.Name), i.Namespace)
}
