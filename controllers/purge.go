package controllers

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Purge retries back off from purgeRetryBase, doubling per failure, up to purgeRetryMax.
const (
	purgeRetryBase = 30 * time.Second
	purgeRetryMax  = 15 * time.Minute
)

// purgeRunner runs a purge Job to completion: a Tenant's at closure, an Integration's on disconnect.
//
// Both follow one failure policy: a failed purge is retried with backoff, its Job kept as evidence until the
// retry is due, each failure shown in status (attempts, last failure, next attempt) and raised as a Warning
// event. Purging is idempotent and its failures are mostly transient (the database restarting, a node going
// away), and deletion on account closure is a promise with a deadline: it must not wait for a person to notice
// and delete a Job. The backoff caps at purgeRetryMax, so a failure that lasts costs one Job per quarter hour,
// and the status says so for as long as it lasts.
type purgeRunner struct {
	client   client.Client
	recorder recorder.EventRecorder
	now      func() time.Time
}

// run starts the purge Job when there is none, and reports done once it succeeded. While it runs, or while a
// failed one waits for its retry, run returns a waitError saying so.
func (p purgeRunner) run(ctx context.Context, owner runtime.Object, st *workspacesv1alpha1.PurgeStatus, desired *batchv1ac.JobApplyConfiguration, what string) (bool, error) {
	log := logf.FromContext(ctx)
	st.PurgeJob = *desired.Name
	job := &batchv1.Job{}
	err := p.client.Get(ctx, client.ObjectKey{Namespace: *desired.Namespace, Name: *desired.Name}, job)
	switch {
	case apierrors.IsNotFound(err):
		if err := p.client.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return false, fmt.Errorf("starting purge Job %s: %w", *desired.Name, err)
		}
		log.Info("purge started", "job", *desired.Name, "namespace", *desired.Namespace, "reason", what)
		return false, waiting(0, workspacesv1alpha1.ReasonPurging, "purging %s: Job %s is running (legal holds kept)", what, *desired.Name)
	case err != nil:
		return false, err
	case !job.DeletionTimestamp.IsZero():
		return false, waiting(time.Second, workspacesv1alpha1.ReasonPurging, "purging %s: Job %s makes way for a retry", what, job.Name)
	case jobComplete(job):
		log.Info("purge completed", "job", job.Name, "namespace", job.Namespace, "reason", what)
		return true, nil
	case !jobFailed(job):
		return false, waiting(0, workspacesv1alpha1.ReasonPurging, "purging %s: Job %s is running (legal holds kept)", what, job.Name)
	}
	now := p.now()
	if st.NextAttemptAt == nil || st.LastFailure == "" {
		msg, err := jobFailure(ctx, p.client, job)
		if err != nil {
			return false, err
		}
		st.Attempts++
		st.LastFailure = truncate(msg, maxFailureMessage)
		wait := purgeBackoff(st.Attempts)
		st.NextAttemptAt = &metav1.Time{Time: now.Add(wait).Truncate(time.Second)}
		p.recorder.Eventf(owner, nil, corev1.EventTypeWarning, workspacesv1alpha1.ReasonPurgeFailed, "Purge",
			"purge attempt %d failed; retrying in %s", st.Attempts, wait)
		log.Info("purge failed", "job", job.Name, "namespace", job.Namespace, "attempt", st.Attempts, "retryIn", wait.String())
	}
	if now.Before(st.NextAttemptAt.Time) {
		return false, waiting(st.NextAttemptAt.Sub(now), workspacesv1alpha1.ReasonPurgeFailed, "purge attempt %d failed; retrying at %s: %s",
			st.Attempts, st.NextAttemptAt.UTC().Format(time.RFC3339), st.LastFailure)
	}
	// The retry is due: the failed Job makes way for the next attempt, whose failure is a new one.
	if err := p.client.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
		return false, err
	}
	st.NextAttemptAt, st.LastFailure = nil, ""
	return false, waiting(time.Second, workspacesv1alpha1.ReasonPurging, "purging %s: retrying after %d failed attempt(s)", what, st.Attempts)
}

// purgeBackoff is the wait after the n-th failed purge.
func purgeBackoff(n int32) time.Duration {
	d := purgeRetryBase
	for k := int32(1); k < n && d < purgeRetryMax; k++ {
		d *= 2
	}
	return min(d, purgeRetryMax)
}
