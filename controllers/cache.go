package controllers

import (
	"strings"
	"unique"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/audit"
	"github.com/alitok/workspace-operator/internal/eso"
)

// CacheOptions limits the manager's cache of child kinds to objects the operator manages — it never holds the
// cluster's other Secrets, ConfigMaps or Namespaces in memory — except for the kinds the isolation checks look
// at in a tenant's namespace whoever made them: NetworkPolicies, ResourceQuotas, LimitRanges, RoleBindings,
// ExternalSecrets and Pods. Caching those lets the Isolated condition be checked on every pass without a
// request, and again as soon as one changes. Of such objects outside tenant namespaces (named
// namespacePrefix + tenant) only an empty shell is kept, so other namespaces cost little memory; of Pods the
// operator did not make, only what the privilege check reads (audit.PodShell).
func CacheOptions(namespacePrefix string) cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{
		workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue,
	})}
	byObject := map[client.Object]cache.ByObject{}
	for _, obj := range []client.Object{
		&corev1.Namespace{}, &corev1.Secret{}, &rbacv1.Role{}, &corev1.ServiceAccount{},
		&batchv1.CronJob{}, &batchv1.Job{}, &corev1.ConfigMap{}, eso.New(eso.SecretStoreGVK), eso.New(eso.PushSecretGVK),
	} {
		byObject[obj] = managed
	}
	for _, obj := range []client.Object{
		&networkingv1.NetworkPolicy{}, &corev1.ResourceQuota{}, &corev1.LimitRange{}, &rbacv1.RoleBinding{},
		eso.New(eso.ExternalSecretGVK),
	} {
		byObject[obj] = cache.ByObject{Transform: shellOutsideTenants(namespacePrefix)}
	}
	byObject[&corev1.Pod{}] = cache.ByObject{Transform: podShells(namespacePrefix)}
	return cache.Options{ByObject: byObject, DefaultTransform: trimForCache}
}

// podShells keeps the operator's own Pods (its Jobs') as trimForCache does, and reduces every other Pod to what
// the privilege check (ISO-008) reads in a tenant namespace, or to its name elsewhere: a cluster's Pods cost the
// operator a few hundred bytes each, and the check needs no list per tenant from the API server.
func podShells(namespacePrefix string) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		pod, ok := obj.(*corev1.Pod)
		if !ok || managedByOperator(pod) {
			return trimForCache(obj)
		}
		shell := audit.PodShell(pod)
		if !strings.HasPrefix(pod.Namespace, namespacePrefix) {
			shell = &corev1.Pod{ObjectMeta: shell.ObjectMeta}
		}
		internMetadata(shell)
		return shell, nil
	}
}

// trimForCache drops from each cached object what the operator never reads from the cache, which is much of an
// object's size: managedFields but a summary of other writers' entries (slimManagedFields; the operator knows its
// own objects by AppliedAnnotation, apply.go), the Pod templates of CronJobs and Jobs (the labels stay; runNow
// reads a CronJob's template from the API server), and of ESO's objects all but their conditions and the store
// references the isolation checks read (eso.TrimForCache). The strings many objects repeat — names, namespaces,
// labels, annotation keys, owner and field-manager names — are shared (internMetadata).
func trimForCache(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil
	}
	o.SetManagedFields(slimManagedFields(o.GetManagedFields()))
	switch o := o.(type) {
	case *batchv1.CronJob:
		o.Spec.JobTemplate.Spec.Template.Spec = corev1.PodSpec{}
	case *batchv1.Job:
		o.Spec.Template.Spec = corev1.PodSpec{}
	case *unstructured.Unstructured:
		eso.TrimForCache(o)
	}
	internMetadata(o)
	return o, nil
}

// intern returns s backed by a copy shared with the equal strings interned since the last collection: 10,000
// tenants' objects carry the same few dozen label keys and values, child names and owner kinds, and each
// namespace name ~30 times. unique drops its entry once no Handle refers to it, and intern keeps none, so what
// arrives in a burst (an informer's initial list) shares one copy, and objects arriving one by one over hours
// share less.
func intern(s string) string { return unique.Make(s).Value() }

// internMetadata replaces the repeated strings of o's metadata by shared copies. UIDs, resource versions and
// annotation values (the applied hash differs per object) are left alone: nothing repeats them.
func internMetadata(o client.Object) {
	o.SetName(intern(o.GetName()))
	o.SetNamespace(intern(o.GetNamespace()))
	if labels := o.GetLabels(); len(labels) > 0 {
		shared := make(map[string]string, len(labels))
		for k, v := range labels {
			shared[intern(k)] = intern(v)
		}
		o.SetLabels(shared)
	}
	if annotations := o.GetAnnotations(); len(annotations) > 0 {
		shared := make(map[string]string, len(annotations))
		for k, v := range annotations {
			shared[intern(k)] = v
		}
		o.SetAnnotations(shared)
	}
	if refs := o.GetOwnerReferences(); len(refs) > 0 {
		for i := range refs {
			refs[i].APIVersion, refs[i].Kind, refs[i].Name = intern(refs[i].APIVersion), intern(refs[i].Kind), intern(refs[i].Name)
		}
		o.SetOwnerReferences(refs)
	}
	if entries := o.GetManagedFields(); len(entries) > 0 {
		for i := range entries {
			entries[i].Manager = intern(entries[i].Manager)
		}
		o.SetManagedFields(entries)
	}
}

// shellOutsideTenants trims like trimForCache, and reduces an object the operator does not manage, outside the
// namespaces named with the tenant prefix, to its metadata: nothing reads more of it.
func shellOutsideTenants(namespacePrefix string) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		o, ok := obj.(client.Object)
		if !ok || strings.HasPrefix(o.GetNamespace(), namespacePrefix) ||
			managedByOperator(o) {
			return trimForCache(obj)
		}
		o.SetManagedFields(nil)
		o.SetAnnotations(nil)
		internMetadata(o)
		switch o := o.(type) {
		case *networkingv1.NetworkPolicy:
			o.Spec = networkingv1.NetworkPolicySpec{}
		case *corev1.ResourceQuota:
			o.Spec, o.Status = corev1.ResourceQuotaSpec{}, corev1.ResourceQuotaStatus{}
		case *corev1.LimitRange:
			o.Spec = corev1.LimitRangeSpec{}
		case *rbacv1.RoleBinding:
			o.Subjects, o.RoleRef = nil, rbacv1.RoleRef{}
		case *unstructured.Unstructured:
			delete(o.Object, "spec")
			delete(o.Object, "status")
		}
		return o, nil
	}
}

// ClientOptions makes the manager's client read ESO's kinds, which the operator handles as unstructured
// objects, from the cache as well (controller-runtime reads unstructured objects from the API server unless
// told otherwise).
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{Unstructured: true}}
}
