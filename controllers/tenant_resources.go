package controllers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/utils/ptr"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

// Names of the objects in a tenant's namespace.
const (
	networkPolicyDefaultDeny   = "default-deny"
	networkPolicySameNamespace = "allow-same-namespace"
	networkPolicyDNS           = "allow-dns"
	networkPolicyJobDatabase   = "allow-jobs-database"
	networkPolicyJobAPIServer  = "allow-jobs-apiserver"
	resourceQuotaName          = "tenant-quota"
	limitRangeName             = "tenant-limits"
	// hmacKeyBytes is the HMAC key's length: 256 bits, as HMAC-SHA256 wants.
	hmacKeyBytes = 32
)

// TenantClusterRole is the ClusterRole a role's RoleBinding refers to; the chart and config/rbac ship them.
func TenantClusterRole(role workspacesv1alpha1.Role) string {
	return "workspace-operator:tenant-" + string(role)
}

// roleBindingName is the name of the RoleBinding of one role in a tenant's namespace.
func roleBindingName(role workspacesv1alpha1.Role) string {
	return "tenant-" + string(role)
}

// namespaceName returns the tenant's namespace, or an error a person can act on when it is not a valid name.
func namespaceName(cfg *config.Config, tenant string) (string, error) {
	ns := cfg.NamespacePrefix + tenant
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return "", fmt.Errorf("namespace %q (prefix %q + tenant name) is not a valid namespace name: %s; choose a shorter tenant name",
			ns, cfg.NamespacePrefix, strings.Join(msgs, "; "))
	}
	return ns, nil
}

// residencyRegion returns the tenant's region (its own, else the configured default; empty when unpinned),
// or an error naming the allowed regions.
func residencyRegion(cfg *config.Config, t *workspacesv1alpha1.Tenant) (string, error) {
	if t.Spec.Residency == nil {
		return cfg.DefaultRegion, nil
	}
	region := t.Spec.Residency.Region
	if !cfg.RegionAllowed(region) {
		return "", fmt.Errorf("residency region %q is not allowed; choose one of: %s", region, strings.Join(cfg.AllowedRegions, ", "))
	}
	return region, nil
}

func desiredNamespace(t *workspacesv1alpha1.Tenant, ns, region string) *corev1ac.NamespaceApplyConfiguration {
	l := tenantLabels(t.Name, componentNamespace)
	for _, mode := range []string{"enforce", "audit", "warn"} {
		l["pod-security.kubernetes.io/"+mode] = "restricted"
		l["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	if region != "" {
		l[workspacesv1alpha1.RegionLabel] = region
	}
	return corev1ac.Namespace(ns).WithLabels(l)
}

// desiredNetworkPolicies isolate the namespace: deny everything, then allow traffic inside the namespace and
// DNS lookups to the cluster DNS.
func desiredNetworkPolicies(t *workspacesv1alpha1.Tenant, ns string) []*networkingv1ac.NetworkPolicyApplyConfiguration {
	l := tenantLabels(t.Name, componentNetworkPolicy)
	all := metav1ac.LabelSelector
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	dnsPort := intstr.FromInt32(53)
	return []*networkingv1ac.NetworkPolicyApplyConfiguration{
		networkingv1ac.NetworkPolicy(networkPolicyDefaultDeny, ns).WithLabels(l).
			WithSpec(networkingv1ac.NetworkPolicySpec().WithPodSelector(all()).WithPolicyTypes(both...)),
		networkingv1ac.NetworkPolicy(networkPolicySameNamespace, ns).WithLabels(l).
			WithSpec(networkingv1ac.NetworkPolicySpec().WithPodSelector(all()).WithPolicyTypes(both...).
				WithIngress(networkingv1ac.NetworkPolicyIngressRule().WithFrom(networkingv1ac.NetworkPolicyPeer().WithPodSelector(all()))).
				WithEgress(networkingv1ac.NetworkPolicyEgressRule().WithTo(networkingv1ac.NetworkPolicyPeer().WithPodSelector(all())))),
		networkingv1ac.NetworkPolicy(networkPolicyDNS, ns).WithLabels(l).
			WithSpec(networkingv1ac.NetworkPolicySpec().WithPodSelector(all()).WithPolicyTypes(networkingv1.PolicyTypeEgress).
				WithEgress(networkingv1ac.NetworkPolicyEgressRule().
					WithTo(networkingv1ac.NetworkPolicyPeer().
						WithNamespaceSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{corev1.LabelMetadataName: "kube-system"})).
						WithPodSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"k8s-app": "kube-dns"}))).
					WithPorts(
						networkingv1ac.NetworkPolicyPort().WithProtocol(corev1.ProtocolUDP).WithPort(dnsPort),
						networkingv1ac.NetworkPolicyPort().WithProtocol(corev1.ProtocolTCP).WithPort(dnsPort),
					))),
	}
}

// desiredJobEgressPolicies let the operator's Jobs reach what their task needs beyond the namespace: every
// task that reads or writes tenant data the database, and the tasks that write to the API server (Access
// exports, token refreshes) the API server. Each
// rule list comes from the configuration; an empty list allows nothing more.
func desiredJobEgressPolicies(cfg *config.Config, t *workspacesv1alpha1.Tenant, ns string) ([]*networkingv1ac.NetworkPolicyApplyConfiguration, error) {
	l := tenantLabels(t.Name, componentNetworkPolicy)
	policy := func(name string, tasks []contract.Task, rules []networkingv1.NetworkPolicyEgressRule) (*networkingv1ac.NetworkPolicyApplyConfiguration, error) {
		// Only the operator's own Pods: the admission policies keep anyone else from labelling a Pod as managed.
		spec := networkingv1ac.NetworkPolicySpec().
			WithPodSelector(metav1ac.LabelSelector().
				WithMatchLabels(map[string]string{workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue}).
				WithMatchExpressions(metav1ac.LabelSelectorRequirement().
					WithKey(TaskLabel).WithOperator(metav1.LabelSelectorOpIn).WithValues(taskNames(tasks)...))).
			WithPolicyTypes(networkingv1.PolicyTypeEgress)
		for _, rule := range rules {
			ac, err := egressRule(rule)
			if err != nil {
				return nil, err
			}
			spec.WithEgress(ac)
		}
		return networkingv1ac.NetworkPolicy(name, ns).WithLabels(l).WithSpec(spec), nil
	}
	db, err := policy(networkPolicyJobDatabase, contract.DatabaseTasks, cfg.JobEgress.Database)
	if err != nil {
		return nil, fmt.Errorf("jobEgress.database: %w", err)
	}
	api, err := policy(networkPolicyJobAPIServer, contract.APIServerTasks, cfg.JobEgress.APIServer)
	if err != nil {
		return nil, fmt.Errorf("jobEgress.apiServer: %w", err)
	}
	return []*networkingv1ac.NetworkPolicyApplyConfiguration{db, api}, nil
}

// egressRule turns a configured rule into its apply configuration, with the API server's default protocol
// (TCP) written out, so that what is applied and what is stored compare equal.
func egressRule(rule networkingv1.NetworkPolicyEgressRule) (*networkingv1ac.NetworkPolicyEgressRuleApplyConfiguration, error) {
	rule = *rule.DeepCopy()
	for i := range rule.Ports {
		if rule.Ports[i].Protocol == nil {
			rule.Ports[i].Protocol = ptr.To(corev1.ProtocolTCP)
		}
	}
	raw, err := json.Marshal(rule)
	if err != nil {
		return nil, err
	}
	ac := networkingv1ac.NetworkPolicyEgressRule()
	return ac, json.Unmarshal(raw, ac)
}

func desiredResourceQuota(cfg *config.Config, t *workspacesv1alpha1.Tenant, ns string) *corev1ac.ResourceQuotaApplyConfiguration {
	hard := cfg.DefaultQuota
	if t.Spec.Quota != nil && len(t.Spec.Quota.Hard) > 0 {
		hard = t.Spec.Quota.Hard
	}
	return corev1ac.ResourceQuota(resourceQuotaName, ns).WithLabels(tenantLabels(t.Name, componentQuota)).
		WithSpec(corev1ac.ResourceQuotaSpec().WithHard(hard.DeepCopy()))
}

func desiredLimitRange(cfg *config.Config, t *workspacesv1alpha1.Tenant, ns string) *corev1ac.LimitRangeApplyConfiguration {
	def, defReq := cfg.DefaultLimits.Default, cfg.DefaultLimits.DefaultRequest
	if t.Spec.Limits != nil {
		def, defReq = t.Spec.Limits.Default, t.Spec.Limits.DefaultRequest
	}
	def, defReq = def.DeepCopy(), defReq.DeepCopy()
	// The API server defaults a missing defaultRequest to the default limit; say so here, so that what the
	// operator applies and what the server stores are the same and a steady state writes nothing.
	for name, qty := range def {
		if _, ok := defReq[name]; !ok {
			if defReq == nil {
				defReq = corev1.ResourceList{}
			}
			defReq[name] = qty
		}
	}
	item := corev1ac.LimitRangeItem().WithType(corev1.LimitTypeContainer)
	if len(def) > 0 {
		item.WithDefault(def)
	}
	if len(defReq) > 0 {
		item.WithDefaultRequest(defReq)
	}
	return corev1ac.LimitRange(limitRangeName, ns).WithLabels(tenantLabels(t.Name, componentQuota)).
		WithSpec(corev1ac.LimitRangeSpec().WithLimits(item))
}

// effectiveRole is the role a member is bound to: a Suspended tenant keeps read access only.
func effectiveRole(t *workspacesv1alpha1.Tenant, m workspacesv1alpha1.Member) workspacesv1alpha1.Role {
	if t.GetLifecycle() == workspacesv1alpha1.LifecycleSuspended {
		return workspacesv1alpha1.RoleViewer
	}
	return m.Role
}

// desiredRoleBindings returns one RoleBinding per role that has members, subjects in a stable order. A
// Closed tenant has none: closure removes every member's access at once.
func desiredRoleBindings(t *workspacesv1alpha1.Tenant, ns string) map[string]*rbacv1ac.RoleBindingApplyConfiguration {
	out := map[string]*rbacv1ac.RoleBindingApplyConfiguration{}
	if t.GetLifecycle() == workspacesv1alpha1.LifecycleClosed {
		return out
	}
	subjects := map[workspacesv1alpha1.Role][]rbacv1.Subject{}
	for _, m := range t.Spec.Members {
		s := rbacv1.Subject{Kind: string(m.Kind), Name: m.Name}
		if m.Kind == workspacesv1alpha1.MemberServiceAccount {
			s.Namespace = m.Namespace
		} else {
			s.APIGroup = rbacv1.GroupName
		}
		role := effectiveRole(t, m)
		subjects[role] = append(subjects[role], s)
	}
	for role, subs := range subjects {
		slices.SortFunc(subs, func(a, b rbacv1.Subject) int {
			return strings.Compare(a.Kind+"/"+a.Namespace+"/"+a.Name, b.Kind+"/"+b.Namespace+"/"+b.Name)
		})
		rb := rbacv1ac.RoleBinding(roleBindingName(role), ns).WithLabels(tenantLabels(t.Name, componentRBAC)).
			WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("ClusterRole").WithName(TenantClusterRole(role)))
		for _, s := range subs {
			sub := rbacv1ac.Subject().WithKind(s.Kind).WithName(s.Name)
			if s.APIGroup != "" {
				sub.WithAPIGroup(s.APIGroup)
			}
			if s.Namespace != "" {
				sub.WithNamespace(s.Namespace)
			}
			rb.WithSubjects(sub)
		}
		out[roleBindingName(role)] = rb
	}
	return out
}

// desiredHMACKey is the tenant's HMAC key Secret, used to pseudonymize subject identifiers. It is created once
// and never written again, so nothing the operator does rotates it by accident.
func desiredHMACKey(t *workspacesv1alpha1.Tenant, ns string, key []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: contract.HMACKeySecret, Namespace: ns, Labels: tenantLabels(t.Name, componentHMACKey)},
		Type:       corev1.SecretTypeOpaque,
		Immutable:  ptr.To(true),
		Data:       map[string][]byte{contract.HMACKeyKey: key},
	}
}

// The parts of each kind that must match the desired object exactly (see applyExact).
func networkPolicySpec(np *networkingv1.NetworkPolicy) any { return &np.Spec }
func resourceQuotaSpec(q *corev1.ResourceQuota) any        { return &q.Spec }
func limitRangeSpec(lr *corev1.LimitRange) any             { return &lr.Spec }
func roleBindingSubjectsOf(rb *rbacv1.RoleBinding) any     { return &rb.Subjects }
func roleRules(r *rbacv1.Role) any                         { return &r.Rules }

// taskNames are tasks as label values.
func taskNames(tasks []contract.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = string(t)
	}
	return out
}
