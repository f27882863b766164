package controllers

import (
	"fmt"
	"path"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/alitok/workspace-operator/internal/eso"
)

// The ExternalSecrets of a tenant's workspace: an Integration's credentials and the tenant's database DSN. Both
// read from the tenant's own SecretStore, under the tenant's own path of the secret backend.

// remoteKeyFor resolves credentials.remoteKey under the tenant's path in the secret backend, refusing any key
// that would leave it.
func remoteKeyFor(prefix, remoteKey string) (string, error) {
	if remoteKey == "" || strings.HasPrefix(remoteKey, "/") {
		return "", fmt.Errorf("credentials.remoteKey %q must be a path relative to the tenant's secret path %q", remoteKey, prefix)
	}
	for _, seg := range strings.Split(remoteKey, "/") {
		if seg == ".." || seg == "." {
			return "", fmt.Errorf("credentials.remoteKey %q must not contain '.' or '..': it may not leave the tenant's secret path %q", remoteKey, prefix)
		}
	}
	full := path.Clean(prefix + remoteKey)
	base := strings.TrimSuffix(path.Clean(prefix), "/") + "/"
	if !strings.HasPrefix(full+"/", base) || full+"/" == base {
		return "", fmt.Errorf("credentials.remoteKey %q resolves to %q, outside the tenant's secret path %q", remoteKey, full, prefix)
	}
	return full, nil
}

// desiredExternalSecret reads one key of the secret backend through the tenant's SecretStore only, into a Secret
// of the same name that is deleted with it.
func desiredExternalSecret(store, name, ns string, labels, annotations map[string]string, remoteKey string, refresh time.Duration) (*unstructured.Unstructured, error) {
	spec := eso.ExternalSecretSpec{
		SecretStoreRef:  eso.StoreRef{Name: store, Kind: "SecretStore"},
		Target:          eso.Target{Name: name, CreationPolicy: "Owner", DeletionPolicy: "Delete"},
		RefreshInterval: refresh.String(),
		DataFrom: []eso.DataFrom{{Extract: eso.Extract{
			Key: remoteKey, ConversionStrategy: "Default", DecodingStrategy: "None", MetadataPolicy: "None",
		}}},
	}
	return eso.Object(eso.ExternalSecretGVK, metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: annotations}, &spec)
}
