package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

// printReceipt prints a request's receipt, how it is made, and whether the Job's result still matches it.
func printReceipt(ctx context.Context, out io.Writer, c client.Client, cfg *config.Config, dr *workspacesv1alpha1.DataRequest, resultFile string) error {
	res := dr.Status.Result
	if res == nil || res.ReceiptSHA256 == "" {
		return fmt.Errorf("DataRequest %s has no receipt yet (phase %s)", dr.Name, orNone(string(dr.Status.Phase)))
	}
	fmt.Fprintf(out, "receiptSHA256: %s\n", res.ReceiptSHA256)
	if len(dr.Status.Jobs) == 0 {
		// Blocked, Restriction and Objection: no Job ran, the operator hashed its own record of the answer.
		fmt.Fprintf(out, "made from: the operator's record of the answer (no Job ran for a %s request in phase %s); it is the SHA-256 of that record's JSON\n",
			dr.Spec.Type, dr.Status.Phase)
		return nil
	}
	job := dr.Status.Jobs[0].Name
	ns, err := controllers.TenantNamespace(cfg, dr.Spec.TenantRef.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "made from: the SHA-256 of Job %s/%s's result, byte for byte its Pod's termination message\n", ns, job)
	fmt.Fprintf(out, "verify by hand: kubectl -n %s get pod -l %s=%s -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.message}' | sha256sum\n",
		ns, batchv1.JobNameLabel, job)

	var message, from string
	if resultFile != "" {
		raw, err := os.ReadFile(resultFile)
		if err != nil {
			return fmt.Errorf("--result-file: %w", err)
		}
		message, from = string(raw), resultFile
	} else {
		j := &batchv1.Job{}
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: job}, j)
		switch {
		case apierrors.IsNotFound(err):
			fmt.Fprintf(out, "check: not possible now: Job %s/%s is gone (its time to live ended); keep its result and use --result-file\n", ns, job)
			return nil
		case err != nil:
			return fmt.Errorf("reading Job %s/%s: %w", ns, job, err)
		}
		if message, err = controllers.JobResult(ctx, c, j); err != nil {
			return fmt.Errorf("reading the Pods of Job %s/%s: %w", ns, job, err)
		}
		if message == "" {
			fmt.Fprintf(out, "check: not possible now: no Pod of Job %s/%s with a result is left; keep its result and use --result-file\n", ns, job)
			return nil
		}
		from = "Job " + ns + "/" + job
	}
	if got := controllers.JobReceipt(message); got != res.ReceiptSHA256 {
		fmt.Fprintf(out, "check: mismatch: the result in %s hashes to %s\n", from, got)
		return &exitError{code: 1, err: errors.New("the receipt does not match the Job's result")}
	}
	fmt.Fprintf(out, "check: verified against the result in %s\n", from)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// run writes an Access request's export to o.file once, then deletes the export Secret.
func (o *exportOptions) run(ctx context.Context, out io.Writer, name string) error {
	c, cfg, err := o.setup()
	if err != nil {
		return err
	}
	dr, err := getRequest(ctx, c, name)
	if err != nil {
		return err
	}
	if dr.Spec.Type != workspacesv1alpha1.RequestAccess {
		return fmt.Errorf("DataRequest %s is of type %s: only Access requests have an export", dr.Name, dr.Spec.Type)
	}
	if at := dr.Annotations[deliveredAnnotation]; at != "" {
		return fmt.Errorf("the export of %s was already delivered at %s and deleted from the cluster: it is handed over once", dr.Name, at)
	}
	res := dr.Status.Result
	if dr.Status.Phase != workspacesv1alpha1.RequestPhaseCompleted || res == nil || res.CompletedAt == nil {
		return fmt.Errorf("DataRequest %s is not answered yet (phase %s): no export to hand over", dr.Name, orNone(string(dr.Status.Phase)))
	}
	expires := res.CompletedAt.Add(cfg.Privacy.ExportTTL.Duration)
	if res.ExportSecret == "" || !o.now().Before(expires) {
		return fmt.Errorf("the export of %s expired at %s (privacy.exportTTL %s): file a new Access request", dr.Name,
			expires.UTC().Format(time.RFC3339), cfg.Privacy.ExportTTL.Duration)
	}
	ns, secretName, ok := strings.Cut(res.ExportSecret, "/")
	if !ok {
		return fmt.Errorf("DataRequest %s names its export %q, not NAMESPACE/NAME", dr.Name, res.ExportSecret)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("the export Secret %s is gone (expired or delivered): file a new Access request", res.ExportSecret)
		}
		return fmt.Errorf("reading the export Secret %s: %w", res.ExportSecret, err)
	}
	doc := secret.Data[contract.ExportSecretKey]
	if len(doc) == 0 {
		return fmt.Errorf("the export Secret %s holds no %s", res.ExportSecret, contract.ExportSecretKey)
	}
	if err := writeNewFile(o.file, doc); err != nil {
		return err
	}
	fmt.Fprintf(out, "export of %s written to %s (%d bytes, mode 0600)\n", dr.Name, o.file, len(doc))

	// Delivered: say so on the request, then remove the subject's data from the cluster.
	deliveredAt := o.now().UTC().Format(time.RFC3339)
	if err := patchAnnotation(ctx, c, dr, deliveredAnnotation, deliveredAt); err != nil {
		return fmt.Errorf("the export is written, but marking %s delivered failed: %w; delete the export: kubectl -n %s delete secret %s", dr.Name, err, ns, secretName)
	}
	if err := c.Delete(ctx, secret, client.Preconditions{UID: &secret.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("the export is written, but deleting the export Secret failed: %w; delete it: kubectl -n %s delete secret %s", err, ns, secretName)
	}
	fmt.Fprintf(out, "the export Secret %s is deleted; %s is marked delivered at %s\n", res.ExportSecret, dr.Name, deliveredAt)
	return nil
}

// writeNewFile writes data to a file that must not exist yet, readable by its owner only; on a failed write
// nothing is left behind.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: refusing to overwrite it", path)
		}
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
