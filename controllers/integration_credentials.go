package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
)

// refusedSyncsInARow is how many sync Jobs in a row the platform must refuse (unauthorized, or an expired token)
// before the credentials count as invalid and syncing is suspended: one refusal can be a platform hiccup, three
// in a row on every feature's schedule are not.
const refusedSyncsInARow = 3

// reconcileCredentialsValidity reports whether the platform accepts the credentials (CredentialsValid), from the
// results of the sync Jobs that ran with the current version of the credentials Secret, and the access token's
// expiry. Refused several times in a row, the credentials are invalid: syncing is suspended (the Integration is
// Stalled, reason Unauthorized) until the credentials Secret changes — the seller authorized the app again —
// after which syncing resumes by itself.
func (r *IntegrationReconciler) reconcileCredentialsValidity(ctx context.Context, s *integrationScope) error {
	i := s.intg
	prev := meta.FindStatusCondition(i.Status.Conditions, workspacesv1alpha1.ConditionCredentialsValid)
	wasRefused := prev != nil && prev.Status == metav1.ConditionFalse && prev.Reason == workspacesv1alpha1.ReasonUnauthorized
	check := i.Status.CredentialsCheck
	jobs, err := r.finishedSyncJobs(ctx, i, check)
	if err != nil {
		return err
	}
	if len(jobs) == 0 && !wasRefused {
		return nil // nothing new to judge by; and no request spent
	}
	version, found, err := r.credentialsVersion(ctx, i)
	if err != nil || !found {
		return err // a missing Secret is CredentialsReady's to report
	}
	set := func(status metav1.ConditionStatus, reason, msg string) {
		setCondition(&i.Status.Conditions, i.Generation, workspacesv1alpha1.ConditionCredentialsValid, status, reason, msg)
	}
	switch {
	case check == nil:
		// The first verdict covers every sync so far.
		i.Status.CredentialsCheck = &workspacesv1alpha1.CredentialsCheck{SecretVersion: version}
	case check.SecretVersion != version:
		// New credentials: what the syncs said of the old ones no longer counts.
		i.Status.CredentialsCheck = &workspacesv1alpha1.CredentialsCheck{SecretVersion: version, Since: &metav1.Time{Time: r.Now().Truncate(time.Second)}}
		if wasRefused {
			set(metav1.ConditionUnknown, workspacesv1alpha1.ReasonCredentialsChanged, "the credentials changed since the platform refused them; syncing resumes")
			r.Recorder.Eventf(i, nil, corev1.EventTypeNormal, workspacesv1alpha1.ReasonCredentialsChanged, "Sync", "the credentials changed: syncing resumes")
		}
		return nil
	}
	results, err := r.resultsOf(ctx, jobs)
	if err != nil {
		return err
	}
	for _, res := range results {
		if t, err := time.Parse(time.RFC3339, res.TokenExpiresAt); err == nil {
			i.Status.TokenExpiresAt = &metav1.Time{Time: t}
			break
		}
	}
	switch {
	case wasRefused || refusedInARow(results) >= refusedSyncsInARow:
		msg := fmt.Sprintf("the platform refused the credentials on %d syncs in a row: re-authorize the seller account; "+
			"syncing is suspended until the credentials Secret %s changes", refusedSyncsInARow, credentialsName(i.Name))
		if !wasRefused {
			set(metav1.ConditionFalse, workspacesv1alpha1.ReasonUnauthorized, msg)
			r.Recorder.Eventf(i, nil, corev1.EventTypeWarning, workspacesv1alpha1.ReasonUnauthorized, "Sync", "%s", msg)
		}
		if s.invalid == nil {
			s.invalid = stalled(workspacesv1alpha1.ReasonUnauthorized, "%s", msg)
		}
	case len(results) > 0 && results[0].OK:
		set(metav1.ConditionTrue, workspacesv1alpha1.ReasonAccepted, "the platform accepted the credentials on the last sync")
	}
	return nil
}

// refusedInARow counts the newest results that are refusals of the credentials.
func refusedInARow(results []contract.Result) int {
	n := 0
	for _, res := range results {
		if res.OK || (res.Reason != contract.ReasonUnauthorized && res.Reason != contract.ReasonTokenExpired) {
			break
		}
		n++
	}
	return n
}

// credentialsVersion is the resourceVersion of the integration's credentials Secret, read as metadata only.
func (r *IntegrationReconciler) credentialsVersion(ctx context.Context, i *workspacesv1alpha1.Integration) (string, bool, error) {
	secret := &metav1.PartialObjectMetadata{}
	secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: i.Namespace, Name: credentialsName(i.Name)}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	return secret.ResourceVersion, true, nil
}

// finishedSyncJobs returns the integration's finished sync Jobs that count for the check, newest first: those
// started after it began (all, before the first check). A Job started in the second the check began may have
// used either version of the credentials, and counts for neither.
func (r *IntegrationReconciler) finishedSyncJobs(ctx context.Context, i *workspacesv1alpha1.Integration, check *workspacesv1alpha1.CredentialsCheck) ([]*batchv1.Job, error) {
	jobs := &batchv1.JobList{}
	if err := r.List(ctx, jobs, client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name, workspacesv1alpha1.ComponentLabel: componentSync}); err != nil {
		return nil, err
	}
	var finished []*batchv1.Job
	for idx := range jobs.Items {
		j := &jobs.Items[idx]
		if check != nil && check.Since != nil && !j.CreationTimestamp.After(check.Since.Time) {
			continue
		}
		if jobComplete(j) || jobFailed(j) {
			finished = append(finished, j)
		}
	}
	slices.SortFunc(finished, func(a, b *batchv1.Job) int { return b.CreationTimestamp.Compare(a.CreationTimestamp.Time) })
	return finished, nil
}

// resultsOf returns the worker results of the Jobs, in the Jobs' order; a Job without a readable result counts
// as succeeded or failed, without a reason.
func (r *IntegrationReconciler) resultsOf(ctx context.Context, jobs []*batchv1.Job) ([]contract.Result, error) {
	out := make([]contract.Result, 0, len(jobs))
	for _, j := range jobs {
		msg, err := terminationMessage(ctx, r.Client, j)
		if err != nil {
			return nil, err
		}
		var res contract.Result
		if json.Unmarshal([]byte(msg), &res) != nil {
			res = contract.Result{OK: jobComplete(j)}
		}
		out = append(out, res)
	}
	return out, nil
}
