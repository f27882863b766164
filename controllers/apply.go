package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/eso"
)

// FieldOwner is the one server-side apply field manager of everything the operator writes.
const FieldOwner = "workspace-operator"

// applyIfChanged server-side applies desired, unless current (the cached object, nil when absent) already holds
// exactly the fields the operator owns with the values it wants. The check compares what the operator applied
// last (extracted from current's managedFields) with what it would apply now, so a steady state sends no
// request at all, while a field someone else changed or took over differs and is put back.
func applyIfChanged[O any, A runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, current *O, desired A, extract func(*O, string) (A, error),
) (applied bool, err error) {
	if current != nil {
		owned, err := extract(current, FieldOwner)
		if err != nil {
			return false, fmt.Errorf("reading the operator's fields: %w", err)
		}
		same, err := jsonEqual(owned, desired)
		if err != nil {
			return false, err
		}
		if same {
			return false, nil
		}
	}
	if err := c.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return false, err
	}
	return true, nil
}

// jsonEqual compares two values by their JSON form, in which quantities and times are canonical.
func jsonEqual(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return string(ja) == string(jb), nil
}

// objectPtr is a pointer to a typed Kubernetes object.
type objectPtr[O any] interface {
	*O
	client.Object
}

// applyCached reads name from the cache and applies desired unless it is already in place.
func applyCached[O any, PO objectPtr[O], A runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, name, namespace string, desired A, extract func(*O, string) (A, error),
) error {
	current, err := getCached[O, PO](ctx, c, name, namespace)
	if err != nil {
		return err
	}
	_, err = applyIfChanged(ctx, c, current, desired, extract)
	return err
}

// applyExact is applyCached for objects whose every field matters to isolation (NetworkPolicies, quotas,
// RoleBindings): server-side apply leaves alone fields that others added, such as an extra ingress rule in a
// deny-all policy, so when the part that spec selects differs from what the operator wants, it is replaced
// whole first.
func applyExact[O any, PO objectPtr[O], A runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, name, namespace string, desired A, extract func(*O, string) (A, error),
	spec func(PO) any,
) error {
	current, err := getCached[O, PO](ctx, c, name, namespace)
	if err != nil {
		return err
	}
	if current != nil {
		want := PO(new(O))
		raw, err := json.Marshal(desired)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, want); err != nil {
			return err
		}
		live := PO(current)
		if !equality.Semantic.DeepEqual(spec(live), spec(want)) {
			base := live.DeepCopyObject().(client.Object)
			reflect.ValueOf(spec(live)).Elem().Set(reflect.ValueOf(spec(want)).Elem())
			if err := c.Patch(ctx, live, client.MergeFrom(base), client.FieldOwner(FieldOwner)); err != nil {
				return fmt.Errorf("restoring %s: %w", name, err)
			}
		}
	}
	_, err = applyIfChanged(ctx, c, current, desired, extract)
	return err
}

// getCached returns the cached object, or nil when it does not exist.
func getCached[O any, PO objectPtr[O]](ctx context.Context, c client.Client, name, namespace string) (*O, error) {
	obj := PO(new(O))
	switch err := c.Get(ctx, client.ObjectKey{Name: name, Namespace: namespace}, obj); {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return (*O)(obj), nil
}

// applyUnstructured applies an object the operator has no typed API for (ESO's), unless every field of desired
// is already in the cached object with the same value. It returns the object as the cache or the API server
// last reported it.
func applyUnstructured(ctx context.Context, c client.Client, desired *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(desired.GroupVersionKind())
	err := c.Get(ctx, client.ObjectKeyFromObject(desired), live)
	switch {
	case err == nil:
		metadata := map[string]any{"labels": toAnyMap(desired.GetLabels())}
		if a := desired.GetAnnotations(); len(a) > 0 {
			metadata["annotations"] = toAnyMap(a)
		}
		want := map[string]any{"spec": desired.Object["spec"], "metadata": metadata}
		if eso.Contains(live.Object, want) {
			return live, nil
		}
	case !apierrors.IsNotFound(err):
		return nil, err
	}
	applied := desired.DeepCopy()
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return nil, err
	}
	return applied, nil
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
