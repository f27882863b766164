package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// The checks, in report order. IDs are stable: scripts and alerts refer to them.
var checks = []check{
	{"ISO-001", "the default-deny NetworkPolicy is what makes every other traffic rule an explicit exception", checkDefaultDeny},
	{"ISO-002", "a tenant's pods must not be reachable from another tenant's namespace", checkIngressFromOtherNamespaces},
	{"ISO-003", "Pod Security restricted keeps tenant pods from escaping to the node", checkPodSecurity},
	{"ISO-004", "a ResourceQuota keeps one tenant from exhausting the cluster for the others", checkResourceQuota},
	{"ISO-005", "a LimitRange gives every container requests and limits the quota can count", checkLimitRange},
	{"ISO-006", "cluster-admin in a tenant namespace grants everything there, Secrets and RBAC included", checkClusterAdminBindings},
	{"ISO-007", "only the tenant's declared members and its own ServiceAccounts may hold roles in its namespace", checkForeignSubjects},
	{"ISO-008", "privileged or host-sharing pods can reach the node and other tenants' pods", checkPodPrivileges},
	{"ISO-009", "credentials must come only from the tenant's own SecretStore, which reaches only its own secret path", checkExternalSecretStores},
	{"ISO-010", "credentials stay server-side: no tenant member may read the namespace's Secrets", checkMembersCannotReadSecrets},
}

const (
	defaultDenyName      = "default-deny"
	defaultStoreName     = "tenant-secrets"
	tenantRolePrefix     = "workspace-operator:tenant-"
	podSecurityEnforce   = "pod-security.kubernetes.io/enforce"
	podSecurityRestrict  = "restricted"
	serviceAccountPrefix = "system:serviceaccount:"
)

var (
	externalSecretGVK = schema.GroupVersionKind{Group: "external-secrets.io", Version: "v1", Kind: "ExternalSecretList"}
	secretStoreGVK    = schema.GroupVersionKind{Group: "external-secrets.io", Version: "v1", Kind: "SecretStoreList"}
)

// accessReviewCheck asks the API server for SubjectAccessReviews: a request that creates objects, which the
// read-only checks leave out.
const accessReviewCheck = "ISO-010"

// check is one isolation check: ok and a message saying what it found, or an error when it could not look.
type check struct {
	id, rationale string
	run           func(ctx context.Context, w *workspace) (ok bool, msg string, err error)
}

// workspace is what the checks look at: a tenant, its Tenant object (nil when there is none) and namespace.
type workspace struct {
	c client.Reader
	// reviewer creates SubjectAccessReviews; nil for the read-only checks.
	reviewer  client.Client
	tenant    string
	namespace *corev1.Namespace
	spec      *workspacesv1alpha1.Tenant
	// namespaces are the tenant namespaces, once listed.
	namespaces []corev1.Namespace
}

// CheckTenant runs every check on the workspace of tenant in namespace. A check that cannot read what it needs
// fails, with the reason in its message.
func CheckTenant(ctx context.Context, c client.Client, tenant string, namespace string) []Result {
	return checkTenant(ctx, c, c, tenant, namespace)
}

// CheckTenantReadOnly runs every check that only reads: all but ISO-010, whose access reviews are requests
// that create objects. The Tenant's Isolated condition runs these on every reconcile, so that a steady state
// still sends no write.
func CheckTenantReadOnly(ctx context.Context, r client.Reader, tenant string, namespace string) []Result {
	return checkTenant(ctx, r, nil, tenant, namespace)
}

func checkTenant(ctx context.Context, c client.Reader, reviewer client.Client, tenant string, namespace string) []Result {
	w := &workspace{c: c, reviewer: reviewer, tenant: tenant, namespace: &corev1.Namespace{}}
	var setupErr error
	if err := c.Get(ctx, client.ObjectKey{Name: namespace}, w.namespace); err != nil {
		setupErr = fmt.Errorf("namespace %s: %w", namespace, err)
		if apierrors.IsNotFound(err) {
			setupErr = fmt.Errorf("namespace %s does not exist", namespace)
		}
	}
	t := &workspacesv1alpha1.Tenant{}
	switch err := c.Get(ctx, client.ObjectKey{Name: tenant}, t); {
	case err == nil:
		w.spec = t
	case !apierrors.IsNotFound(err) && setupErr == nil:
		setupErr = fmt.Errorf("reading Tenant %s: %w", tenant, err)
	}
	out := make([]Result, 0, len(checks))
	for _, ch := range checks {
		if ch.id == accessReviewCheck && reviewer == nil {
			continue
		}
		r := Result{ID: ch.id, Tenant: tenant, Rationale: ch.rationale}
		if setupErr != nil {
			r.Message = "not checked: " + setupErr.Error()
		} else if ok, msg, err := ch.run(ctx, w); err != nil {
			r.Message = "not checked: " + err.Error()
		} else {
			r.OK, r.Message = ok, msg
		}
		out = append(out, r)
	}
	return out
}

func (w *workspace) ns() string { return w.namespace.Name }

// list lists one kind in the tenant's namespace. The checks only read what they list, so a cache may hand
// out its own objects rather than copies.
func (w *workspace) list(ctx context.Context, list client.ObjectList) error {
	return w.c.List(ctx, list, client.InNamespace(w.ns()), client.UnsafeDisableDeepCopy)
}

// tenantNamespaces lists the namespaces of every tenant, once per workspace and only when a check needs them:
// with many tenants it is the largest read of all.
func (w *workspace) tenantNamespaces(ctx context.Context) ([]corev1.Namespace, error) {
	if w.namespaces == nil {
		var list corev1.NamespaceList
		if err := w.c.List(ctx, &list, client.HasLabels{workspacesv1alpha1.TenantLabel}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		w.namespaces = list.Items
	}
	return w.namespaces, nil
}

// tenantOf returns the tenant whose namespace ns is, or "" for a namespace of no tenant (or none at all).
func (w *workspace) tenantOf(ctx context.Context, ns string) (string, error) {
	namespace := &corev1.Namespace{}
	switch err := w.c.Get(ctx, client.ObjectKey{Name: ns}, namespace); {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return namespace.Labels[workspacesv1alpha1.TenantLabel], nil
}

// verdict turns a list of problems into a check result: ok with okMsg when there are none.
func verdict(problems []string, okMsg string) (bool, string, error) {
	if len(problems) == 0 {
		return true, okMsg, nil
	}
	return false, strings.Join(problems, "; "), nil
}

func checkDefaultDeny(ctx context.Context, w *workspace) (bool, string, error) {
	np := &networkingv1.NetworkPolicy{}
	if err := w.c.Get(ctx, client.ObjectKey{Namespace: w.ns(), Name: defaultDenyName}, np); err != nil {
		if apierrors.IsNotFound(err) {
			return false, fmt.Sprintf("NetworkPolicy %s/%s is missing", w.ns(), defaultDenyName), nil
		}
		return false, "", err
	}
	var problems []string
	if len(np.Spec.PodSelector.MatchLabels) > 0 || len(np.Spec.PodSelector.MatchExpressions) > 0 {
		problems = append(problems, "selects only some pods (podSelector is not empty)")
	}
	types := slices.Clone(np.Spec.PolicyTypes)
	slices.Sort(types)
	if !slices.Equal(types, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}) {
		problems = append(problems, fmt.Sprintf("policyTypes are %v, want Ingress and Egress", np.Spec.PolicyTypes))
	}
	if n := len(np.Spec.Ingress); n > 0 {
		problems = append(problems, fmt.Sprintf("has %d ingress rule(s)", n))
	}
	if n := len(np.Spec.Egress); n > 0 {
		problems = append(problems, fmt.Sprintf("has %d egress rule(s)", n))
	}
	if len(problems) > 0 {
		return false, fmt.Sprintf("NetworkPolicy %s/%s was modified: %s", w.ns(), defaultDenyName, strings.Join(problems, ", ")), nil
	}
	return true, "default-deny denies all ingress and egress of every pod", nil
}

func checkIngressFromOtherNamespaces(ctx context.Context, w *workspace) (bool, string, error) {
	var nps networkingv1.NetworkPolicyList
	if err := w.list(ctx, &nps); err != nil {
		return false, "", err
	}
	var problems []string
	for _, np := range nps.Items {
		// Ingress rules of a policy without the Ingress type admit nothing (the API server defaults the types).
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		for _, rule := range np.Spec.Ingress {
			if len(rule.From) == 0 {
				problems = append(problems, fmt.Sprintf("NetworkPolicy %s admits ingress from everywhere (a rule without from)", np.Name))
				continue
			}
			for _, peer := range rule.From {
				p, err := w.foreignPeer(ctx, peer)
				if err != nil {
					return false, "", err
				}
				if p != "" {
					problems = append(problems, fmt.Sprintf("NetworkPolicy %s admits ingress from %s", np.Name, p))
				}
			}
		}
	}
	return verdict(problems, "no NetworkPolicy admits ingress from other tenants or all namespaces")
}

// foreignPeer describes what outside the tenant an ingress peer admits, or returns "" when it admits only
// the tenant's own namespace or namespaces of no tenant.
func (w *workspace) foreignPeer(ctx context.Context, peer networkingv1.NetworkPolicyPeer) (string, error) {
	if peer.IPBlock != nil && strings.HasSuffix(peer.IPBlock.CIDR, "/0") {
		return "every address (ipBlock " + peer.IPBlock.CIDR + ")", nil
	}
	if peer.NamespaceSelector == nil {
		return "", nil
	}
	sel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
	if err != nil {
		return fmt.Sprintf("an invalid namespace selector (%v)", err), nil
	}
	if sel.Empty() {
		return "all namespaces", nil
	}
	namespaces, err := w.tenantNamespaces(ctx)
	if err != nil {
		return "", err
	}
	var foreign []string
	for _, ns := range namespaces {
		owner, isTenant := ns.Labels[workspacesv1alpha1.TenantLabel]
		if ns.Name == w.ns() || !isTenant || owner == w.tenant || !sel.Matches(labels.Set(ns.Labels)) {
			continue
		}
		foreign = append(foreign, fmt.Sprintf("%s (tenant %s)", ns.Name, owner))
	}
	if len(foreign) > 0 {
		return "other tenants' namespaces: " + strings.Join(foreign, ", "), nil
	}
	return "", nil
}

func checkPodSecurity(_ context.Context, w *workspace) (bool, string, error) {
	level, set := w.namespace.Labels[podSecurityEnforce]
	switch {
	case !set:
		return false, fmt.Sprintf("namespace %s has no %s label: the cluster default applies, not restricted", w.ns(), podSecurityEnforce), nil
	case level != podSecurityRestrict:
		return false, fmt.Sprintf("namespace %s enforces Pod Security %q, want %q", w.ns(), level, podSecurityRestrict), nil
	}
	return true, "Pod Security restricted is enforced", nil
}

func checkResourceQuota(ctx context.Context, w *workspace) (bool, string, error) {
	var list corev1.ResourceQuotaList
	if err := w.list(ctx, &list); err != nil {
		return false, "", err
	}
	for _, q := range list.Items {
		if len(q.Spec.Hard) > 0 {
			return true, fmt.Sprintf("ResourceQuota %s limits the namespace", q.Name), nil
		}
	}
	return false, fmt.Sprintf("namespace %s has no ResourceQuota with hard limits", w.ns()), nil
}

func checkLimitRange(ctx context.Context, w *workspace) (bool, string, error) {
	var list corev1.LimitRangeList
	if err := w.list(ctx, &list); err != nil {
		return false, "", err
	}
	for _, lr := range list.Items {
		for _, item := range lr.Spec.Limits {
			if item.Type == corev1.LimitTypeContainer && (len(item.Default) > 0 || len(item.DefaultRequest) > 0) {
				return true, fmt.Sprintf("LimitRange %s sets container defaults", lr.Name), nil
			}
		}
	}
	return false, fmt.Sprintf("namespace %s has no LimitRange with container defaults", w.ns()), nil
}

func checkClusterAdminBindings(ctx context.Context, w *workspace) (bool, string, error) {
	var list rbacv1.RoleBindingList
	if err := w.list(ctx, &list); err != nil {
		return false, "", err
	}
	var problems []string
	for _, rb := range list.Items {
		if rb.RoleRef.Kind == "ClusterRole" && rb.RoleRef.Name == "cluster-admin" {
			problems = append(problems, fmt.Sprintf("RoleBinding %s grants cluster-admin to %s", rb.Name, subjectNames(rb.Subjects)))
		}
	}
	return verdict(problems, "no RoleBinding grants cluster-admin")
}

func checkForeignSubjects(ctx context.Context, w *workspace) (bool, string, error) {
	var list rbacv1.RoleBindingList
	if err := w.list(ctx, &list); err != nil {
		return false, "", err
	}
	var problems []string
	for _, rb := range list.Items {
		for _, s := range rb.Subjects {
			if w.isMember(s) {
				continue
			}
			what, err := w.foreignSubject(ctx, s)
			if err != nil {
				return false, "", err
			}
			if what != "" {
				problems = append(problems, fmt.Sprintf("RoleBinding %s binds %s", rb.Name, what))
			}
		}
	}
	return verdict(problems, "roles are held only by declared members and the namespace's own ServiceAccounts")
}

// foreignSubject describes a subject from outside the tenant's namespace, or returns "" for one inside it or
// a user or group that names no namespace.
func (w *workspace) foreignSubject(ctx context.Context, s rbacv1.Subject) (string, error) {
	// of names a namespace, and its tenant when it is another tenant's.
	var lookupErr error
	of := func(ns string) string {
		t, err := w.tenantOf(ctx, ns)
		if err != nil {
			lookupErr = err
		}
		if t != "" && t != w.tenant {
			return fmt.Sprintf("namespace %s of tenant %s", ns, t)
		}
		return "namespace " + ns
	}
	var what string
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Namespace != "" && s.Namespace != w.ns() {
			what = fmt.Sprintf("ServiceAccount %s of %s", s.Name, of(s.Namespace))
		}
	case rbacv1.UserKind:
		if rest, ok := strings.CutPrefix(s.Name, serviceAccountPrefix); ok {
			if ns, name, ok := strings.Cut(rest, ":"); ok && ns != w.ns() {
				what = fmt.Sprintf("ServiceAccount %s of %s (as user %s)", name, of(ns), s.Name)
			}
		}
		if s.Name == "system:anonymous" {
			what = "anonymous requests (user system:anonymous)"
		}
	case rbacv1.GroupKind:
		switch s.Name {
		case "system:authenticated", "system:unauthenticated", "system:serviceaccounts":
			what = "everyone in group " + s.Name
		}
		if ns, ok := strings.CutPrefix(s.Name, "system:serviceaccounts:"); ok && ns != w.ns() {
			what = fmt.Sprintf("every ServiceAccount of %s (group %s)", of(ns), s.Name)
		}
	}
	return what, lookupErr
}

// isMember reports whether the Tenant's spec declares the subject as a member.
func (w *workspace) isMember(s rbacv1.Subject) bool {
	if w.spec == nil {
		return false
	}
	for _, m := range w.spec.Spec.Members {
		if string(m.Kind) == s.Kind && m.Name == s.Name && (m.Kind != workspacesv1alpha1.MemberServiceAccount || m.Namespace == s.Namespace) {
			return true
		}
	}
	return false
}

func checkPodPrivileges(ctx context.Context, w *workspace) (bool, string, error) {
	var list corev1.PodList
	if err := w.list(ctx, &list); err != nil {
		return false, "", err
	}
	var problems []string
	for _, pod := range list.Items {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		if found := podPrivileges(&pod.Spec); len(found) > 0 {
			problems = append(problems, fmt.Sprintf("Pod %s: %s", pod.Name, strings.Join(found, ", ")))
		}
	}
	return verdict(problems, "no running Pod is privileged or shares the node's namespaces or file system")
}

// PodShell returns what checkPodPrivileges reads of pod — its name, namespace and phase, its host namespaces,
// its hostPath volumes and its privileged containers — and nothing else, so that a cache can hold the Pods of
// every tenant namespace for the check at a fraction of their size.
func PodShell(pod *corev1.Pod) *corev1.Pod {
	shell := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, ResourceVersion: pod.ResourceVersion},
		Spec:       corev1.PodSpec{HostNetwork: pod.Spec.HostNetwork, HostPID: pod.Spec.HostPID, HostIPC: pod.Spec.HostIPC},
		Status:     corev1.PodStatus{Phase: pod.Status.Phase},
	}
	for _, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			shell.Spec.Volumes = append(shell.Spec.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{HostPath: v.HostPath}})
		}
	}
	privilegedOnly := func(cs []corev1.Container) (out []corev1.Container) {
		for _, c := range cs {
			if privileged(c.SecurityContext) {
				out = append(out, corev1.Container{Name: c.Name, SecurityContext: &corev1.SecurityContext{Privileged: c.SecurityContext.Privileged}})
			}
		}
		return out
	}
	shell.Spec.InitContainers, shell.Spec.Containers = privilegedOnly(pod.Spec.InitContainers), privilegedOnly(pod.Spec.Containers)
	for _, c := range pod.Spec.EphemeralContainers {
		if privileged(c.SecurityContext) {
			shell.Spec.EphemeralContainers = append(shell.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, SecurityContext: &corev1.SecurityContext{Privileged: c.SecurityContext.Privileged}}})
		}
	}
	return shell
}

// privileged reports whether a container's security context makes it privileged.
func privileged(sc *corev1.SecurityContext) bool {
	return sc != nil && sc.Privileged != nil && *sc.Privileged
}

func podPrivileges(spec *corev1.PodSpec) []string {
	var found []string
	if spec.HostNetwork {
		found = append(found, "hostNetwork")
	}
	if spec.HostPID {
		found = append(found, "hostPID")
	}
	if spec.HostIPC {
		found = append(found, "hostIPC")
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			found = append(found, fmt.Sprintf("hostPath volume %s (%s)", v.Name, v.HostPath.Path))
		}
	}
	flag := func(name string, sc *corev1.SecurityContext) {
		if privileged(sc) {
			found = append(found, "privileged container "+name)
		}
	}
	for _, c := range spec.InitContainers {
		flag(c.Name, c.SecurityContext)
	}
	for _, c := range spec.Containers {
		flag(c.Name, c.SecurityContext)
	}
	for _, c := range spec.EphemeralContainers {
		flag(c.Name, c.SecurityContext)
	}
	return found
}

func checkExternalSecretStores(ctx context.Context, w *workspace) (bool, string, error) {
	externalSecrets := &unstructured.UnstructuredList{}
	externalSecrets.SetGroupVersionKind(externalSecretGVK)
	if err := w.list(ctx, externalSecrets); err != nil {
		if meta.IsNoMatchError(err) {
			return true, "the External Secrets Operator's API is not installed: no ExternalSecrets", nil
		}
		return false, "", err
	}
	own, err := w.tenantStores(ctx)
	if err != nil {
		return false, "", err
	}
	var problems []string
	for _, es := range externalSecrets.Items {
		for _, ref := range storeRefs(es.Object) {
			kind, name := ref[0], ref[1]
			if kind != "SecretStore" || !slices.Contains(own, name) {
				problems = append(problems, fmt.Sprintf("ExternalSecret %s reads from %s %s", es.GetName(), kind, name))
			}
		}
		if usesGenerator(es.Object) {
			problems = append(problems, fmt.Sprintf("ExternalSecret %s uses a generator", es.GetName()))
		}
	}
	return verdict(problems, fmt.Sprintf("every ExternalSecret reads from the tenant's SecretStore %s", strings.Join(own, ", ")))
}

// tenantStores are the names of the operator's SecretStores for the tenant in its namespace (labelled by the
// operator, which alone may write SecretStores there), or the default name when there is none yet.
func (w *workspace) tenantStores(ctx context.Context) ([]string, error) {
	stores := &unstructured.UnstructuredList{}
	stores.SetGroupVersionKind(secretStoreGVK)
	if err := w.c.List(ctx, stores, client.InNamespace(w.ns()), client.MatchingLabels{
		workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue,
		workspacesv1alpha1.TenantLabel:    w.tenant,
	}); err != nil {
		return nil, err
	}
	var names []string
	for _, s := range stores.Items {
		names = append(names, s.GetName())
	}
	if len(names) == 0 {
		names = []string{defaultStoreName}
	}
	return names, nil
}

// storeRefs returns the [kind, name] of every store an ExternalSecret reads from; kind defaults to SecretStore
// as in ESO.
func storeRefs(es map[string]any) [][2]string {
	var refs [][2]string
	add := func(ref map[string]any, ok bool) {
		if !ok {
			return
		}
		kind, _ := ref["kind"].(string)
		if kind == "" {
			kind = "SecretStore"
		}
		name, _ := ref["name"].(string)
		refs = append(refs, [2]string{kind, name})
	}
	top, found, _ := unstructured.NestedMap(es, "spec", "secretStoreRef")
	add(top, found)
	for _, field := range []string{"data", "dataFrom"} {
		entries, _, _ := unstructured.NestedSlice(es, "spec", field)
		for _, e := range entries {
			if m, ok := e.(map[string]any); ok {
				ref, found, _ := unstructured.NestedMap(m, "sourceRef", "storeRef")
				add(ref, found)
			}
		}
	}
	return refs
}

func usesGenerator(es map[string]any) bool {
	for _, field := range []string{"data", "dataFrom"} {
		entries, _, _ := unstructured.NestedSlice(es, "spec", field)
		for _, e := range entries {
			if m, ok := e.(map[string]any); ok {
				if _, found, _ := unstructured.NestedMap(m, "sourceRef", "generatorRef"); found {
					return true
				}
			}
		}
	}
	return false
}

func checkMembersCannotReadSecrets(ctx context.Context, w *workspace) (bool, string, error) {
	subjects, err := w.memberSubjects(ctx)
	if err != nil {
		return false, "", err
	}
	var problems []string
	for _, s := range subjects {
		for _, verb := range []string{"get", "list", "watch"} {
			sar := subjectAccessReview(s, verb, w.ns())
			if err := w.reviewer.Create(ctx, sar); err != nil {
				return false, "", fmt.Errorf("asking whether %s can %s secrets: %w", subjectName(s), verb, err)
			}
			if sar.Status.Allowed {
				problems = append(problems, fmt.Sprintf("%s can %s secrets", subjectName(s), verb))
			}
		}
	}
	if len(problems) > 0 {
		return false, fmt.Sprintf("in namespace %s: %s", w.ns(), strings.Join(problems, "; ")), nil
	}
	return true, fmt.Sprintf("none of %d member(s) can read Secrets", len(subjects)), nil
}

// memberSubjects are the Tenant's declared members and every subject the namespace binds to a tenant role.
func (w *workspace) memberSubjects(ctx context.Context) ([]rbacv1.Subject, error) {
	var subjects []rbacv1.Subject
	add := func(s rbacv1.Subject) {
		if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
			s.Namespace = w.ns()
		}
		s.APIGroup = ""
		if !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	if w.spec != nil {
		for _, m := range w.spec.Spec.Members {
			add(rbacv1.Subject{Kind: string(m.Kind), Name: m.Name, Namespace: m.Namespace})
		}
	}
	var list rbacv1.RoleBindingList
	if err := w.list(ctx, &list); err != nil {
		return nil, err
	}
	for _, rb := range list.Items {
		if rb.RoleRef.Kind == "ClusterRole" && strings.HasPrefix(rb.RoleRef.Name, tenantRolePrefix) {
			for _, s := range rb.Subjects {
				add(s)
			}
		}
	}
	return subjects, nil
}

// subjectAccessReview asks whether s may verb secrets in ns, with the groups its authenticator would give it.
func subjectAccessReview(s rbacv1.Subject, verb, ns string) *authorizationv1.SubjectAccessReview {
	spec := authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "secrets"},
		Groups:             []string{"system:authenticated"},
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		spec.User = serviceAccountPrefix + s.Namespace + ":" + s.Name
		spec.Groups = append(spec.Groups, "system:serviceaccounts", "system:serviceaccounts:"+s.Namespace)
	case rbacv1.GroupKind:
		spec.Groups = append(spec.Groups, s.Name)
	default:
		spec.User = s.Name
	}
	return &authorizationv1.SubjectAccessReview{Spec: spec}
}

func subjectName(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %s/%s", s.Namespace, s.Name)
	}
	return s.Kind + " " + s.Name
}

func subjectNames(subjects []rbacv1.Subject) string {
	names := make([]string, 0, len(subjects))
	for _, s := range subjects {
		names = append(names, subjectName(s))
	}
	return strings.Join(names, ", ")
}
