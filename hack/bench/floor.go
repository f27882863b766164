package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// snapshot returns every object labelled as the operator's in namespace ns, and the namespace itself, as the
// operator built them; objects a controller made from them (ESO's Secrets) are left out.
func snapshot(ctx context.Context, cfg *rest.Config, ns string) ([]*unstructured.Unstructured, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		return nil, err
	}
	nsObj, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	out := []*unstructured.Unstructured{nsObj}
	selector := workspacesv1alpha1.ManagedByLabel + "=" + workspacesv1alpha1.ManagedByValue
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, res := range l.APIResources {
			if strings.Contains(res.Name, "/") || !slices.Contains(res.Verbs, "list") || !slices.Contains(res.Verbs, "create") ||
				res.Name == "events" {
				continue
			}
			items, err := dyn.Resource(gv.WithResource(res.Name)).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", res.Name, err)
			}
			for i := range items.Items {
				item := &items.Items[i]
				if ownedByAController(item) {
					continue
				}
				out = append(out, item)
			}
		}
	}
	// In the order the operator creates them: the namespace first, the SecretStore before the ExternalSecrets
	// that read from it (ESO retries an ExternalSecret whose store is missing only after a back-off).
	rank := map[string]int{"Namespace": 0, "SecretStore": 1, "ExternalSecret": 3}
	sort.SliceStable(out, func(i, j int) bool { return rankOf(rank, out[i]) < rankOf(rank, out[j]) })
	return out, nil
}

func rankOf(rank map[string]int, obj *unstructured.Unstructured) int {
	if r, ok := rank[obj.GetKind()]; ok {
		return r
	}
	return 2
}

func ownedByAController(obj *unstructured.Unstructured) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if !strings.HasPrefix(ref.APIVersion, workspacesv1alpha1.GroupVersion.Group+"/") {
			return true
		}
	}
	return false
}

func kindsOf(objs []*unstructured.Unstructured) string {
	count := map[string]int{}
	for _, o := range objs {
		count[o.GetKind()]++
	}
	var parts []string
	for k, v := range count {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// createFloor creates n copies of the template workspace (namespace floor-NNNN, every name and path of the
// template tenant renamed), one workspace per worker at a time, the namespace first.
func createFloor(ctx context.Context, cfg *rest.Config, template []*unstructured.Unstructured, n, workers int) error {
	// controller-runtime's client, as the operator's: one rate limiter per resource, with the same QPS and burst.
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	var encoded [][]byte
	for _, obj := range template {
		clean := obj.DeepCopy()
		for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "ownerReferences", "finalizers"} {
			unstructured.RemoveNestedField(clean.Object, "metadata", f)
		}
		unstructured.RemoveNestedField(clean.Object, "status")
		lbls := clean.GetLabels()
		// Not the operator's label, so that the operator neither caches nor reacts to the floor's objects.
		lbls[workspacesv1alpha1.ManagedByLabel] = "bench-floor"
		clean.SetLabels(lbls)
		b, err := json.Marshal(clean.Object)
		if err != nil {
			return err
		}
		encoded = append(encoded, b)
	}
	var failed atomic.Pointer[error]
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("%s%04d", floorPrefix, i)
				for _, b := range encoded {
					obj := &unstructured.Unstructured{}
					// "tenant-bench-template" becomes "tenant-floor-NNNN"; the namespace is then renamed below.
					if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), templateName, name)), &obj.Object); err != nil {
						failed.Store(&err)
						return
					}
					if obj.GetNamespace() != "" {
						obj.SetNamespace(name)
					} else {
						obj.SetName(name)
					}
					if err := c.Create(ctx, obj); err != nil {
						err = fmt.Errorf("creating %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
						failed.Store(&err)
						return
					}
				}
			}
		}()
	}
	for i := 1; i <= n && failed.Load() == nil; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}
