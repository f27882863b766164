package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/eso"
)

// watcher follows Tenants, Integrations, the operator's namespaces and all SecretStores and ExternalSecrets
// through one informer cache in this process, so waiting costs the API server no polling.
type watcher struct {
	c      cache.Cache
	cancel context.CancelFunc
}

func newWatcher(ctx context.Context, cfg *rest.Config) (*watcher, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, ByObject: map[client.Object]cache.ByObject{
		&corev1.Namespace{}: {Label: labels.SelectorFromSet(labels.Set{workspacesv1alpha1.ManagedByLabel: workspacesv1alpha1.ManagedByValue})},
	}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{c: c, cancel: cancel}
	for _, obj := range []client.Object{&corev1.Namespace{}, &workspacesv1alpha1.Tenant{}, &workspacesv1alpha1.Integration{},
		eso.New(eso.SecretStoreGVK), eso.New(eso.ExternalSecretGVK)} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			cancel()
			return nil, err
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, errors.New("the bench's watches did not sync")
	}
	return w, nil
}

func (w *watcher) stop() { w.cancel() }

func (w *watcher) namespaceExists(tenantName string) bool {
	return w.c.Get(context.Background(), client.ObjectKey{Name: "tenant-" + tenantName}, &corev1.Namespace{}) == nil
}

// readyWorkspaces counts the names whose Tenant (Ready and Isolated) and Integration (Ready) are True for
// their generation.
func (w *watcher) readyWorkspaces(names []string) int {
	ctx := context.Background()
	var tenants workspacesv1alpha1.TenantList
	var integrations workspacesv1alpha1.IntegrationList
	if w.c.List(ctx, &tenants, client.UnsafeDisableDeepCopy) != nil || w.c.List(ctx, &integrations, client.UnsafeDisableDeepCopy) != nil {
		return 0
	}
	ready := map[string]int{}
	for _, t := range tenants.Items {
		if c := meta.FindStatusCondition(t.Status.Conditions, workspacesv1alpha1.ConditionReady); c != nil &&
			c.Status == metav1.ConditionTrue && c.ObservedGeneration == t.Generation &&
			meta.IsStatusConditionTrue(t.Status.Conditions, workspacesv1alpha1.ConditionIsolated) {
			ready["tenant-"+t.Name]++
		}
	}
	for _, i := range integrations.Items {
		if c := meta.FindStatusCondition(i.Status.Conditions, workspacesv1alpha1.ConditionReady); c != nil &&
			c.Status == metav1.ConditionTrue && c.ObservedGeneration == i.Generation {
			ready[i.Namespace]++
		}
	}
	count := 0
	for _, name := range names {
		if ready["tenant-"+name] == 2 {
			count++
		}
	}
	return count
}

// readyESO counts SecretStores and ExternalSecrets with Ready=True in namespaces starting with prefix.
func (w *watcher) readyESO(prefix string) (stores, externalSecrets int) {
	count := func(gvk schema.GroupVersionKind) int {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		if w.c.List(context.Background(), list, client.UnsafeDisableDeepCopy) != nil {
			return 0
		}
		n := 0
		for _, item := range list.Items {
			if strings.HasPrefix(item.GetNamespace(), prefix) && isTrue(eso.Ready(&item)) {
				n++
			}
		}
		return n
	}
	return count(eso.SecretStoreGVK), count(eso.ExternalSecretGVK)
}

func isTrue(c *eso.Condition) bool { return c != nil && c.Status == "True" }

// componentsExited reports a control-plane component of the current run that exited (ESO v0.16.2's fake
// provider has crashed on concurrent map access); the run sets it.
var componentsExited = func() error { return nil }

func waitFor(timeout time.Duration, what string, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	lastSaid := time.Now()
	for {
		ok, progress := cond()
		if ok {
			return nil
		}
		if err := componentsExited(); err != nil {
			return fmt.Errorf("while waiting for %s (%s): %w; its log is in the run's folder", what, progress, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s (%s)", timeout, what, progress)
		}
		if progress != "" && time.Since(lastSaid) > 15*time.Second {
			say("  … %s", progress)
			lastSaid = time.Now()
		}
		time.Sleep(time.Second)
	}
}
