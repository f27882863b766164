package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/eso"
)

// FieldOwner is the server-side apply field manager of everything the operator writes, but for the first create
// of the objects it applies (CreateFieldManager).
const FieldOwner = "workspace-operator"

// CreateFieldManager is the field manager of the operator's plain creates of objects it otherwise applies
// (applyHashed): a create costs the API server about a third of an apply (docs/scale.md), and most objects never
// change after. Its entry is an Update, from which a later apply would not remove fields, so the first apply that
// changes such an object is preceded by handing the entry's fields to FieldOwner's apply entry (handOverCreated).
// A name of its own, because FieldOwner's own Update entries (the DataRequest controller's patches of the
// restriction list) hold fields no apply of the operator's carries, which must stay where they are.
const CreateFieldManager = FieldOwner + "-create"

// createdMark ends the AppliedAnnotation of an object the operator created and has not applied since: the cache
// keeps no managedFields of the operator's, and this tells without them that the create's entry is still to be
// handed over. It goes only with the apply that follows a successful hand-over, so a failure in between is
// retried.
const createdMark = ".created"

// AppliedAnnotation is on every object the operator applies and holds a hash of the configuration it applied.
// With it the operator knows from the cached object alone — which need not hold what it compares (cache.go trims
// Pod templates and managedFields) — that an object is as it last applied it.
const AppliedAnnotation = "workspaces.alitok.ai/applied"

// applyIfChanged creates or server-side applies desired (applyHashed), unless current (the cached object, nil
// when absent) is already as the operator applied it: it carries the hash of desired (AppliedAnnotation) and
// nobody else wrote it since. An object someone else wrote too (a field manager other than the operator's own
// apply, outside subresources) is read in full from the API server once per such write, and what the operator
// owns in it compared with desired: a field someone else changed or took over differs and is put back. A steady
// state sends no request at all.
func applyIfChanged[O any, A runtime.ApplyConfiguration](
	ctx context.Context, c client.Client, current *O, desired A, extract func(*O, string) (A, error),
) (applied bool, err error) {
	var live client.Object
	if current != nil {
		live = any(current).(client.Object)
	}
	resp, err := applyHashed(ctx, c, live, desired, func(ctx context.Context, want *unstructured.Unstructured) (bool, error) {
		full := new(O)
		if err := apiReader(c).Get(ctx, client.ObjectKeyFromObject(want), any(full).(client.Object)); err != nil {
			return false, err
		}
		owned, err := extract(full, FieldOwner)
		if err != nil {
			return false, fmt.Errorf("reading the operator's fields: %w", err)
		}
		return jsonEqual(owned, want.Object)
	})
	return resp != nil, err
}

// applyHashed applies desired (an apply configuration, or an unstructured object) with its hash in
// AppliedAnnotation, unless live (the cached object, nil when absent) carries that hash and either nobody else
// wrote it, or the writes of others were already checked, or same — given the configuration as it would be
// applied — reports the operator's fields in the object as they should be. An object the cache does not hold is
// created instead (under CreateFieldManager, with createdMark); if it exists after all, it is read from the API
// server and treated as live. It returns the API server's answer to the create or apply, or nil when it sent
// none.
func applyHashed(ctx context.Context, c client.Client, live client.Object, desired any,
	same func(context.Context, *unstructured.Unstructured) (bool, error),
) (*unstructured.Unstructured, error) {
	raw, err := json.Marshal(desired)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	hash := base64.RawURLEncoding.EncodeToString(sum[:16])
	want := &unstructured.Unstructured{}
	if err := want.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	setAnnotation(want, AppliedAnnotation, hash)

	checked := checkedWrites(c)
	key := want.GroupVersionKind().Kind + "/" + want.GetNamespace() + "/" + want.GetName()
	if live == nil {
		created := want.DeepCopy()
		setAnnotation(created, AppliedAnnotation, hash+createdMark)
		// Strict, as an apply is: a field the API server does not know is an error, not a warning and a field
		// silently dropped under a hash that says it was written.
		switch err := c.Create(ctx, created, client.FieldOwner(CreateFieldManager), client.FieldValidation("Strict")); {
		case err == nil:
			checked.Delete(key)
			return created, nil
		case !apierrors.IsAlreadyExists(err):
			return nil, err
		}
		// Made since the cache last looked: most often by this operator's previous pass, whose create the cache
		// does not show yet. As the API server has it, it may need no write at all.
		existing, err := readFull(ctx, c, want)
		if err != nil {
			return nil, err
		}
		live = existing
	}
	current := live.GetAnnotations()[AppliedAnnotation]
	if strings.TrimSuffix(current, createdMark) == hash {
		others := othersWrites(live.GetManagedFields())
		if others == "" {
			return nil, nil
		}
		if v, ok := checked.Load(key); ok && v == hash+others {
			return nil, nil
		}
		ok, err := same(ctx, want)
		if err != nil {
			return nil, err
		}
		if ok {
			checked.Store(key, hash+others)
			return nil, nil
		}
	}
	if strings.HasSuffix(current, createdMark) {
		if err := handOverCreated(ctx, c, want); err != nil {
			return nil, err
		}
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(want), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return nil, err
	}
	// want is now the API server's answer: what others still own after this apply needs no second look.
	if others := othersWrites(want.GetManagedFields()); others != "" {
		checked.Store(key, hash+others)
	} else {
		checked.Delete(key)
	}
	return want, nil
}

// handOverCreated prepares the first apply to an object the operator created (want names it): it reads the
// object from the API server and moves the fields of the create's entry into the operator's apply entry (one
// JSON patch, conditional on the resourceVersion it read, tried again on a conflict), so that the apply which
// follows removes what the create set and the operator no longer wants (a label dropped from desired, say). An
// object without a create entry (a hand-over whose apply failed) needs no patch. Every later change costs one
// apply, as before.
func handOverCreated(ctx context.Context, c client.Client, want *unstructured.Unstructured) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		full, err := readFull(ctx, c, want)
		if err != nil {
			return err
		}
		patch, err := csaupgrade.UpgradeManagedFieldsPatch(full, sets.New(CreateFieldManager), FieldOwner)
		if err != nil || patch == nil {
			return err
		}
		return c.Patch(ctx, full, client.RawPatch(types.JSONPatchType, patch))
	})
	if err != nil {
		return fmt.Errorf("handing the fields of the operator's create to its apply: %w", err)
	}
	return nil
}

// readFull reads the object obj names (its kind, namespace and name) from the API server, as an unstructured
// object with every field, managedFields included.
func readFull(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	full := &unstructured.Unstructured{}
	full.SetGroupVersionKind(obj.GroupVersionKind())
	if err := apiReader(c).Get(ctx, client.ObjectKeyFromObject(obj), full); err != nil {
		return nil, err
	}
	return full, nil
}

func setAnnotation(obj *unstructured.Unstructured, key, value string) {
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	obj.SetAnnotations(annotations)
}

// othersWrites summarizes the managedFields entries of writers other than the operator (its applies, the
// patches and creates it sends under the same field manager, and its creates under CreateFieldManager), outside
// subresources (status): each writer, operation, time and, as a hash, the fields it owns. Empty: nobody else
// wrote the object. It reads entries as the cache keeps them (slimManagedFields) or in full, with one result.
func othersWrites(entries []metav1.ManagedFieldsEntry) string {
	var b strings.Builder
	for _, e := range slimManagedFields(entries) {
		b.WriteString(e.Manager)
		b.WriteByte('/')
		b.WriteString(string(e.Operation))
		b.WriteByte('/')
		if e.Time != nil {
			b.WriteString(e.Time.UTC().Format(time.RFC3339))
		}
		b.WriteByte('/')
		if e.FieldsV1 != nil {
			b.WriteString(e.FieldsV1.GetRawString())
		}
		b.WriteByte(';')
	}
	return b.String()
}

// fieldsHashPrefix marks a FieldsV1 that slimManagedFields already replaced by its hash: a JSON string (FieldsV1
// must stay JSON, as a patch computed from a cached object marshals it) where the API server's is an object.
const fieldsHashPrefix = `"#`

// slimManagedFields keeps of managedFields only what othersWrites needs: the entries of writers other than the
// operator, outside subresources, each with the fields it owns replaced by their hash. It is
// idempotent, so it gives the same result on an object the cache already trimmed.
func slimManagedFields(entries []metav1.ManagedFieldsEntry) []metav1.ManagedFieldsEntry {
	var kept []metav1.ManagedFieldsEntry
	for _, e := range entries {
		if e.Subresource != "" || e.Manager == FieldOwner || e.Manager == CreateFieldManager {
			continue
		}
		if raw := e.FieldsV1.GetRawString(); e.FieldsV1 != nil && !strings.HasPrefix(raw, fieldsHashPrefix) {
			sum := sha256.Sum256([]byte(raw))
			e.FieldsV1 = metav1.NewFieldsV1(fieldsHashPrefix + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`)
		}
		e.APIVersion, e.FieldsType = "", ""
		kept = append(kept, e)
	}
	return kept
}

// apiReader is the reader of the API server behind c, the operator's client; c itself elsewhere (tests).
func apiReader(c client.Client) client.Reader {
	if w, ok := c.(writeFlaggingClient); ok && w.api != nil {
		return w.api
	}
	return c
}

// checkedWrites is the operator client's record of objects written by others and found as applied; a fresh one
// for other clients (tests), which then compare every time.
func checkedWrites(c client.Client) *sync.Map {
	if w, ok := c.(writeFlaggingClient); ok && w.checked != nil {
		return w.checked
	}
	return &sync.Map{}
}

// jsonEqual compares two values by their JSON form with object keys sorted, in which quantities and times are
// canonical: a typed apply configuration and the same content as a map compare equal.
func jsonEqual(a, b any) (bool, error) {
	ja, err := canonicalJSON(a)
	if err != nil {
		return false, err
	}
	jb, err := canonicalJSON(b)
	if err != nil {
		return false, err
	}
	return ja == jb, nil
}

func canonicalJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return "", err
	}
	raw, err = json.Marshal(generic)
	return string(raw), err
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

// applyUnstructured applies an object the operator has no typed API for (ESO's) as applyIfChanged does; where
// someone else wrote it too, it compares whether every field of desired is in the object, read in full, with the
// same value. It returns the object as the cache or the API server last reported it (the cache keeps of some of
// ESO's kinds only metadata and status, cache.go).
func applyUnstructured(ctx context.Context, c client.Client, desired *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(desired.GroupVersionKind())
	var current client.Object
	switch err := c.Get(ctx, client.ObjectKeyFromObject(desired), live); {
	case err == nil:
		current = live
	case !apierrors.IsNotFound(err):
		return nil, err
	}
	applied, err := applyHashed(ctx, c, current, desired, func(ctx context.Context, want *unstructured.Unstructured) (bool, error) {
		full, err := readFull(ctx, c, desired)
		if err != nil {
			return false, err
		}
		metadata := map[string]any{"labels": toAnyMap(want.GetLabels()), "annotations": toAnyMap(want.GetAnnotations())}
		return eso.Contains(full.Object, map[string]any{"spec": want.Object["spec"], "metadata": metadata}), nil
	})
	if err != nil {
		return nil, err
	}
	if applied == nil {
		return live, nil
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
