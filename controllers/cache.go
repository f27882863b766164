package controllers

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/eso"
)

// CacheOptions limits the manager's cache of child kinds to objects the operator manages: it never holds the
// cluster's other Secrets, Namespaces or RoleBindings in memory, and watches only what it reconciles.
func CacheOptions() cache.Options {
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{
		workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue,
	})}
	byObject := map[client.Object]cache.ByObject{}
	for _, obj := range []client.Object{
		&corev1.Namespace{}, &corev1.Secret{}, &corev1.ResourceQuota{}, &corev1.LimitRange{},
		&networkingv1.NetworkPolicy{}, &rbacv1.RoleBinding{}, &rbacv1.Role{}, &corev1.ServiceAccount{},
		&batchv1.CronJob{}, &batchv1.Job{}, &corev1.Pod{}, &corev1.ConfigMap{},
		eso.New(eso.SecretStoreGVK), eso.New(eso.ExternalSecretGVK),
	} {
		byObject[obj] = managed
	}
	return cache.Options{ByObject: byObject}
}
