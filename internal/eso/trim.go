package eso

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// TrimForCache reduces one of ESO's objects, as the operator's cache keeps it, to what the operator reads from
// the cache: its metadata, its conditions (Ready), a PushSecret's status.syncedResourceVersion (which credentials
// it pushed), and of an ExternalSecret's spec only the references that say which store or generator each part of
// it reads from (the isolation checks: spec.secretStoreRef, and sourceRef of each spec.data and spec.dataFrom
// entry, kept in their places). An unstructured object keeps every field as a map entry, so this is most of its
// size. Other kinds are left as they are.
func TrimForCache(u *unstructured.Unstructured) {
	var spec map[string]any
	switch u.GetKind() {
	case SecretStoreGVK.Kind, PushSecretGVK.Kind:
	case ExternalSecretGVK.Kind:
		spec = storeReferences(u.Object["spec"])
	default:
		return
	}
	if spec == nil {
		delete(u.Object, "spec")
	} else {
		u.Object["spec"] = spec
	}
	status, _ := u.Object["status"].(map[string]any)
	kept := map[string]any{}
	if conditions, ok := status["conditions"].([]any); ok {
		var slim []any
		for _, c := range conditions {
			c, ok := c.(map[string]any)
			if !ok {
				continue
			}
			s := map[string]any{}
			for _, f := range []string{"type", "status", "reason", "message"} {
				if v, ok := c[f]; ok {
					s[f] = v
				}
			}
			slim = append(slim, s)
		}
		kept["conditions"] = slim
	}
	if v, ok := status["syncedResourceVersion"]; ok && u.GetKind() == PushSecretGVK.Kind {
		kept["syncedResourceVersion"] = v
	}
	if len(kept) == 0 {
		delete(u.Object, "status")
	} else {
		u.Object["status"] = kept
	}
}

// storeReferences is an ExternalSecret's spec reduced to secretStoreRef and the sourceRef of each data and
// dataFrom entry (an entry without one stays as an empty map, so entries keep their positions).
func storeReferences(spec any) map[string]any {
	s, ok := spec.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]any{}
	if ref, ok := s["secretStoreRef"]; ok {
		out["secretStoreRef"] = ref
	}
	for _, field := range []string{"data", "dataFrom"} {
		entries, ok := s[field].([]any)
		if !ok {
			continue
		}
		refs := make([]any, 0, len(entries))
		for _, e := range entries {
			m := map[string]any{}
			if e, ok := e.(map[string]any); ok {
				if ref, ok := e["sourceRef"]; ok {
					m["sourceRef"] = ref
				}
			}
			refs = append(refs, m)
		}
		out[field] = refs
	}
	return out
}
