package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/contract"
)

// exportSecretKey is the data key of the export Secret that receives the export.
const exportSecretKey = contract.ExportSecretKey

// maxSecretBytes is the API server's limit on a Secret's data (corev1.MaxSecretSize, 1 MiB).
const maxSecretBytes = corev1.MaxSecretSize

// kubeTimeout bounds each call to the API server: a Job must not hang on an unreachable control plane.
const kubeTimeout = 30 * time.Second

// newKubeClient makes a client from ctrl.GetConfig: $KUBECONFIG when set, else the Pod's in-cluster
// configuration.
func newKubeClient() (client.Client, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = kubeTimeout
	return client.New(cfg, client.Options{})
}

// parseSecretRef reads NAMESPACE/NAME, the value of the flag named flagName.
func parseSecretRef(flagName, ref string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(ref, "/")
	if !ok || len(validation.IsDNS1123Label(namespace)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return "", "", usageError("--%s %q is not NAMESPACE/NAME of a Secret", flagName, ref)
	}
	return namespace, name, nil
}

// writeExportSecret puts the export into the data key export.json of the Secret the operator created for it.
// A merge patch needs no read first: the Job's ServiceAccount may patch that one Secret and nothing else, and
// patching never creates a Secret that is not there. Patching the same export again changes nothing.
func (r *runner) writeExportSecret(ctx context.Context, namespace, name string, doc []byte) error {
	if len(doc)+len(exportSecretKey) > maxSecretBytes {
		return fail(contract.ReasonExportTooLarge, fmt.Errorf("the export (%d bytes) does not fit in a Secret (at most %d bytes of data)",
			len(doc), maxSecretBytes))
	}
	c, err := r.env.kubeClient()
	if err != nil {
		return fail(contract.ReasonExportSecret, fmt.Errorf("connect to the Kubernetes API: %w", err))
	}
	return patchExportSecret(ctx, c, namespace, name, doc)
}

// patchExportSecret sends the merge patch. Secret data is base64 in JSON, which is how encoding/json writes
// []byte.
func patchExportSecret(ctx context.Context, c client.Client, namespace, name string, doc []byte) error {
	patch, err := json.Marshal(map[string]any{"data": map[string][]byte{exportSecretKey: doc}})
	if err != nil {
		return fail(contract.ReasonInternal, err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	err = c.Patch(ctx, sec, client.RawPatch(types.MergePatchType, patch))
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err):
		return fail(contract.ReasonExportSecret, fmt.Errorf("export Secret %s/%s does not exist; the operator creates it before the Job",
			namespace, name))
	case apierrors.IsForbidden(err):
		return fail(contract.ReasonExportSecret, fmt.Errorf("not allowed to patch export Secret %s/%s: %v", namespace, name,
			apierrors.ReasonForError(err)))
	default:
		return fail(contract.ReasonExportSecret, fmt.Errorf("patch export Secret %s/%s: %w", namespace, name, err))
	}
}
