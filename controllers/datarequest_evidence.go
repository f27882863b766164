package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
)

// What the privacy officer's command line shares with the DataRequest controller, so that it prints the
// operator's dates and checks the operator's receipts rather than a copy of either.

// Deadlines are a request's dates as the operator records them in status: AcknowledgeBy (nil where no
// acknowledgement deadline applies), DueAt, and ExtendedDueAt (nil without an extension, or where the law
// allows none).
type Deadlines struct {
	AcknowledgeBy, DueAt, ExtendedDueAt *metav1.Time
}

// DeadlinesOf computes a request's deadlines from its jurisdiction, its receipt (spec.receivedAt, else its
// creation) and its extension.
func DeadlinesOf(dr *workspacesv1alpha1.DataRequest) Deadlines {
	received := dr.CreationTimestamp.Time
	if dr.Spec.ReceivedAt != nil {
		received = dr.Spec.ReceivedAt.Time
	}
	d := computeDeadlines(dr.Spec.Jurisdiction, received, dr.Spec.Extension != nil)
	asTime := func(t *time.Time) *metav1.Time {
		if t == nil {
			return nil
		}
		return &metav1.Time{Time: t.UTC().Truncate(time.Second)}
	}
	return Deadlines{AcknowledgeBy: asTime(d.acknowledgeBy), DueAt: asTime(&d.due), ExtendedDueAt: asTime(d.extendedDue)}
}

// JobReceipt is the receipt of a request answered by a Job: the SHA-256, in hex, of the worker's result as its
// Pod's termination message holds it.
func JobReceipt(terminationMessage string) string {
	sum := sha256.Sum256([]byte(terminationMessage))
	return hex.EncodeToString(sum[:])
}

// JobResult returns the termination message of the Job's newest Pod, the worker's JSON result; "" when no Pod
// of the Job is left or it left no message.
func JobResult(ctx context.Context, c client.Reader, job *batchv1.Job) (string, error) {
	return terminationMessage(ctx, c, job)
}

// TenantNamespace is the namespace of a tenant's workspace, where its requests' Jobs run.
func TenantNamespace(cfg *config.Config, tenant string) (string, error) {
	return namespaceName(cfg, tenant)
}

// ExportSecretName is the name of an Access request's export Secret, in the configuration's
// privacy.exportNamespace.
func ExportSecretName(dataRequest string) string { return exportSecretName(dataRequest) }

// The keys of the subject Secret a DataRequest points at.
const (
	SubjectEmailKey       = subjectEmailKey
	SubjectBuyerIDsKey    = subjectBuyerIDsKey
	SubjectCorrectionsKey = subjectCorrectionsKey
)
