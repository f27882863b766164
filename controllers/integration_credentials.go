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
// results of the sync and token refresh Jobs that ran with the current version of the credentials Secret, and
// the access token's expiry. Refused several syncs in a row, or refused a refresh of the token, the credentials
// are invalid: syncing and refreshing are suspended (the Integration is Stalled) until the credentials Secret
// changes — the seller authorized the app again — after which they resume by themselves.
func (r *IntegrationReconciler) reconcileCredentialsValidity(ctx context.Context, s *integrationScope) error {
	i := s.intg
	prev := meta.FindStatusCondition(i.Status.Conditions, workspacesv1alpha1.ConditionCredentialsValid)
	wasRefused := prev != nil && prev.Status == metav1.ConditionFalse &&
		(prev.Reason == workspacesv1alpha1.ReasonUnauthorized || prev.Reason == workspacesv1alpha1.ReasonReauthorizationRequired)
	check := i.Status.CredentialsCheck
	jobs, err := r.finishedJobs(ctx, i, check)
	if err != nil {
		return err
	}
	if len(jobs) == 0 && !wasRefused {
		return nil // nothing new to judge by; and no request spent
	}
	version, found, err := r.credentialsVersion(ctx, i)
	if err != nil {
		return err
	}
	if !found {
		if wasRefused && s.invalid == nil { // still refused: a missing Secret brings nothing new
			s.invalid = stalled(prev.Reason, "%s", prev.Message)
		}
		return nil // a missing Secret is CredentialsReady's to report
	}
	set := func(status metav1.ConditionStatus, reason, msg string) {
		setCondition(&i.Status.Conditions, i.Generation, workspacesv1alpha1.ConditionCredentialsValid, status, reason, msg)
	}
	switch {
	case check == nil:
		// The first verdict covers every run so far.
		i.Status.CredentialsCheck = &workspacesv1alpha1.CredentialsCheck{SecretVersion: version}
	case check.SecretVersion != version:
		// New credentials: what the runs said of the old ones no longer counts.
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
	var syncs []contract.Result
	var lastRefresh *contract.Result
	for k := range results {
		switch {
		case results[k].Task == string(contract.TaskRefresh) && lastRefresh == nil:
			lastRefresh = &results[k]
		case results[k].Task != string(contract.TaskRefresh):
			syncs = append(syncs, results[k])
		}
	}
	if lastRefresh != nil {
		failure := ""
		if !lastRefresh.OK {
			failure = fmt.Sprintf("token refresh failed (%s): %s", lastRefresh.Reason, truncate(lastRefresh.Error, maxFailureMessage/2))
		}
		r.noteRefreshFailure(i, failure)
	}
	reauthorize := lastRefresh != nil && lastRefresh.Reason == contract.ReasonReauthorize
	switch {
	case wasRefused:
		if s.invalid == nil {
			s.invalid = stalled(prev.Reason, "%s", prev.Message)
		}
	case reauthorize, refusedInARow(syncs) >= refusedSyncsInARow:
		reason, msg := workspacesv1alpha1.ReasonUnauthorized, fmt.Sprintf("the platform refused the credentials on %d syncs in a row: "+
			"re-authorize the seller account; syncing is suspended until the credentials Secret %s changes", refusedSyncsInARow, credentialsName(i.Name))
		if reauthorize {
			reason, msg = workspacesv1alpha1.ReasonReauthorizationRequired, fmt.Sprintf("the platform refused to renew the access token "+
				"(the refresh token expired or was revoked): re-authorize the seller account; syncing is suspended until the credentials Secret %s changes",
				credentialsName(i.Name))
		}
		set(metav1.ConditionFalse, reason, msg)
		if s.invalid == nil { // its Warning event comes with the Stalled condition
			s.invalid = stalled(reason, "%s", msg)
		}
	case len(syncs) > 0 && syncs[0].OK:
		set(metav1.ConditionTrue, workspacesv1alpha1.ReasonAccepted, "the platform accepted the credentials on the last sync")
	}
	return nil
}

// refusedInARow counts the newest sync results that are refusals of the credentials. An expired access token is
// not one: the refresh renews it, and suspending would stop that refresh too.
func refusedInARow(results []contract.Result) int {
	n := 0
	for _, res := range results {
		if res.OK || res.Reason != contract.ReasonUnauthorized {
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

// finishedJobs returns the integration's finished sync and token refresh Jobs that count for the check, newest
// first: those started after it began (all, before the first check). A Job started in the second the check began
// may have used either version of the credentials, and counts for neither.
func (r *IntegrationReconciler) finishedJobs(ctx context.Context, i *workspacesv1alpha1.Integration, check *workspacesv1alpha1.CredentialsCheck) ([]*batchv1.Job, error) {
	jobs := &batchv1.JobList{}
	if err := r.List(ctx, jobs, client.InNamespace(i.Namespace), client.MatchingLabels{IntegrationLabel: i.Name}); err != nil {
		return nil, err
	}
	var finished []*batchv1.Job
	for idx := range jobs.Items {
		j := &jobs.Items[idx]
		if c := j.Labels[workspacesv1alpha1.ComponentLabel]; c != componentSync && c != componentTokenRefresh {
			continue
		}
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
// as succeeded or failed, without a reason, for its task.
func (r *IntegrationReconciler) resultsOf(ctx context.Context, jobs []*batchv1.Job) ([]contract.Result, error) {
	out := make([]contract.Result, 0, len(jobs))
	for _, j := range jobs {
		msg, err := terminationMessage(ctx, r.Client, j)
		if err != nil {
			return nil, err
		}
		var res contract.Result
		if json.Unmarshal([]byte(msg), &res) != nil || res.Task == "" {
			res = contract.Result{OK: jobComplete(j), Task: taskOf(j)}
		}
		out = append(out, res)
	}
	return out, nil
}

// taskOf is the worker task a Job's Pods run.
func taskOf(j *batchv1.Job) string { return j.Spec.Template.Labels[TaskLabel] }
