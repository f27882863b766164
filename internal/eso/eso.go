// Package eso is the operator's own minimal mirror of the External Secrets Operator API (external-secrets.io/v1,
// ESO v0.16.2): only the fields the operator writes or reads. ESO's Go API packages do not compile with
// controller-runtime v0.25, so objects travel as unstructured and are converted to and from these types.
package eso

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is ESO's API group and the version the operator writes.
var GroupVersion = schema.GroupVersion{Group: "external-secrets.io", Version: "v1"}

// The kinds the operator uses.
var (
	SecretStoreGVK    = GroupVersion.WithKind("SecretStore")
	ExternalSecretGVK = GroupVersion.WithKind("ExternalSecret")
	// PushSecretGVK: PushSecret is still v1alpha1 in ESO v0.16.
	PushSecretGVK = schema.GroupVersion{Group: "external-secrets.io", Version: "v1alpha1"}.WithKind("PushSecret")
)

// ForceSyncAnnotation on an ExternalSecret, with a new value, makes ESO fetch it again at once.
const ForceSyncAnnotation = "force-sync"

// PushSecretSpec holds the PushSecret fields the operator writes.
type PushSecretSpec struct {
	RefreshInterval string           `json:"refreshInterval"`
	SecretStoreRefs []StoreRef       `json:"secretStoreRefs"`
	UpdatePolicy    string           `json:"updatePolicy"`
	DeletionPolicy  string           `json:"deletionPolicy"`
	Selector        PushSelector     `json:"selector"`
	Data            []PushSecretData `json:"data"`
}

// PushSelector names the Secret a PushSecret pushes.
type PushSelector struct {
	Secret PushSecretName `json:"secret"`
}

// PushSecretName is a Secret's name.
type PushSecretName struct {
	Name string `json:"name"`
}

// PushSecretData pushes one key of the Secret to one remote key.
type PushSecretData struct {
	Match PushMatch `json:"match"`
}

// PushMatch pairs a Secret key with its remote key.
type PushMatch struct {
	SecretKey string    `json:"secretKey"`
	RemoteRef RemoteRef `json:"remoteRef"`
}

// RemoteRef is a remote key.
type RemoteRef struct {
	RemoteKey string `json:"remoteKey"`
}

// ExternalSecretSpec holds the ExternalSecret fields the operator writes.
type ExternalSecretSpec struct {
	SecretStoreRef  StoreRef   `json:"secretStoreRef"`
	Target          Target     `json:"target"`
	RefreshInterval string     `json:"refreshInterval"`
	DataFrom        []DataFrom `json:"dataFrom"`
}

// StoreRef names the store an ExternalSecret reads from.
type StoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Target is the Secret an ExternalSecret writes.
type Target struct {
	Name           string `json:"name"`
	CreationPolicy string `json:"creationPolicy"`
	DeletionPolicy string `json:"deletionPolicy"`
}

// DataFrom copies every key of one remote secret.
type DataFrom struct {
	Extract Extract `json:"extract"`
}

// Extract names the remote secret, with ESO's defaults spelled out so the stored object equals the applied one.
type Extract struct {
	Key                string `json:"key"`
	ConversionStrategy string `json:"conversionStrategy"`
	DecodingStrategy   string `json:"decodingStrategy"`
	MetadataPolicy     string `json:"metadataPolicy"`
}

// Status is the part of an ESO object's status the operator reads.
type Status struct {
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition is ESO's condition (it has no observedGeneration).
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// New returns an empty unstructured object of gvk, for reads and watches.
func New(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// Object builds an unstructured ESO object from metadata and a typed or map spec.
func Object(gvk schema.GroupVersionKind, meta metav1.ObjectMeta, spec any) (*unstructured.Unstructured, error) {
	var specMap map[string]any
	switch s := spec.(type) {
	case map[string]any:
		specMap = runtime.DeepCopyJSON(s)
	default:
		var err error
		if specMap, err = runtime.DefaultUnstructuredConverter.ToUnstructured(spec); err != nil {
			return nil, err
		}
	}
	u := New(gvk)
	u.SetName(meta.Name)
	u.SetNamespace(meta.Namespace)
	u.SetLabels(meta.Labels)
	if len(meta.Annotations) > 0 {
		u.SetAnnotations(meta.Annotations)
	}
	u.Object["spec"] = specMap
	return u, nil
}

// Ready returns the object's Ready condition, or nil when it has none yet.
func Ready(u *unstructured.Unstructured) *Condition {
	raw, ok := u.Object["status"].(map[string]any)
	if !ok {
		return nil
	}
	var st Status
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &st); err != nil {
		return nil
	}
	for i := range st.Conditions {
		if st.Conditions[i].Type == "Ready" {
			return &st.Conditions[i]
		}
	}
	return nil
}

// Contains reports whether every field of want is in got with the same value; fields only in got (server
// defaults, other owners' fields) do not matter.
func Contains(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !Contains(gv, wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !Contains(g[i], w[i]) {
				return false
			}
		}
		return true
	case int64, float64, int:
		return numberEqual(got, want)
	default:
		return got == want
	}
}

func numberEqual(a, b any) bool {
	toFloat := func(v any) (float64, bool) {
		switch n := v.(type) {
		case int64:
			return float64(n), true
		case int:
			return float64(n), true
		case float64:
			return n, true
		}
		return 0, false
	}
	fa, ok1 := toFloat(a)
	fb, ok2 := toFloat(b)
	return ok1 && ok2 && fa == fb
}
