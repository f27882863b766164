package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// runSyncs starts one sync Job per feature (sync-now with a new value) and ends each with the worker's result.
func runSyncs(t *testing.T, i *workspacesv1alpha1.Integration, value, result string) {
	t.Helper()
	sync := client.MatchingLabels{IntegrationLabel: i.Name, workspacesv1alpha1.ComponentLabel: componentSync}
	before := len(jobsOf(t, i.Namespace, sync))
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		if live.Annotations == nil {
			live.Annotations = map[string]string{}
		}
		live.Annotations[workspacesv1alpha1.SyncNowAnnotation] = value
	})
	features := len(getIntegration(t, i).Spec.Features)
	var started []batchv1.Job
	eventually(t, waitTimeout, func() error {
		jobs := jobsOf(t, i.Namespace, sync)
		if len(jobs) < before+features {
			return fmt.Errorf("%d sync Jobs, want %d", len(jobs), before+features)
		}
		started = jobs
		return nil
	})
	for _, j := range started {
		if !jobFailed(&j) && !jobComplete(&j) {
			phase := corev1.PodFailed
			if strings.Contains(result, `"ok":true`) {
				phase = corev1.PodSucceeded
			}
			finishJobPods(t, i.Namespace, j.Name, phase, result)
		}
	}
	eventually(t, waitTimeout, func() error {
		for _, j := range jobsOf(t, i.Namespace, sync) {
			if !jobFailed(&j) && !jobComplete(&j) {
				return fmt.Errorf("Job %s has not finished", j.Name)
			}
		}
		return nil
	})
}

const refusedResult = `{"task":"sync","ok":false,"reason":"Unauthorized","error":"the platform refused the credentials"}`

func TestCredentialsRefusedInARowSuspendSyncingUntilTheyChange(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	i := tenantWithIntegration(t, "refused")
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	ns := i.Namespace
	eventually(t, waitTimeout, exists(&corev1.Secret{}, credentialsName(i.Name), ns))

	// Fewer refusals than refusedSyncsInARow are not enough: the platform may hiccup. Each round is one sync per
	// feature.
	features := len(getIntegration(t, i).Spec.Features)
	for refusals, round := 0, 1; refusals < refusedSyncsInARow; round++ {
		runSyncs(t, i, fmt.Sprintf("refused-%d", round), refusedResult)
		if refusals += features; refusals < refusedSyncsInARow {
			consistently(t, time.Second, cronJobsSuspended(ns, false))
		}
	}
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionFalse, workspacesv1alpha1.ReasonUnauthorized))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonUnauthorized))
	eventually(t, waitTimeout, cronJobsSuspended(ns, true))
	if msg := conditionMessage(getIntegration(t, i), workspacesv1alpha1.ConditionCredentialsValid); !strings.Contains(msg, "re-authorize the seller account") {
		t.Errorf("CredentialsValid says %q; it must tell a person to re-authorize", msg)
	}

	// The seller authorizes the app again; its new credentials, at another path of the backend here, reach the
	// Secret through the ExternalSecret: syncing resumes by itself.
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) { live.Spec.Credentials.RemoteKey = "tiktok/reauthorized" })
	eventually(t, waitTimeout, func() error {
		secret := &corev1.Secret{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: credentialsName(i.Name)}, secret); err != nil {
			return err
		}
		if got := string(secret.Data["access_token"]); got != "token-refused-reauthorized" {
			return fmt.Errorf("access_token = %q, not yet the new one", got)
		}
		return nil
	})
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionUnknown, workspacesv1alpha1.ReasonCredentialsChanged))
	eventually(t, waitTimeout, cronJobsSuspended(ns, false))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))

	// The next sync with them is accepted, and reports the token's expiry. (A sync started in the very second the
	// credentials changed counts for neither version: times are in whole seconds. Cron schedules are minutes apart.)
	time.Sleep(1100 * time.Millisecond)
	runSyncs(t, i, "accepted", `{"task":"sync","ok":true,"tokenExpiresAt":"2030-01-02T03:04:05Z"}`)
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionTrue, workspacesv1alpha1.ReasonAccepted))
	eventually(t, waitTimeout, func() error {
		if got := getIntegration(t, i).Status.TokenExpiresAt; got == nil || !got.Time.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
			return fmt.Errorf("tokenExpiresAt = %v", got)
		}
		return nil
	})
	if got, ok := gatherMetrics(t, NewMetrics(k8s, clock.Now, opConfig.NamespacePrefix))["workspace_integration_token_expiry_seconds"]; !ok || got <= 0 {
		t.Errorf("workspace_integration_token_expiry_seconds = %v (reported: %v), want the seconds until 2030", got, ok)
	}
}

func TestARevokedIntegrationStopsSyncingAppliesOnDisconnectAndStays(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	i := tenantWithIntegration(t, "revoked", func(i *workspacesv1alpha1.Integration) { i.Spec.OnDisconnect = workspacesv1alpha1.OnDisconnectPurge })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	ns := i.Namespace
	eventually(t, waitTimeout, exists(&corev1.Secret{}, credentialsName(i.Name), ns))

	// What the webhook receiver does on a verified deauthorization.
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		live.Annotations = map[string]string{workspacesv1alpha1.RevokedAnnotation: "2026-12-01T10:00:00Z"}
	})
	eventually(t, waitTimeout, cronJobsSuspended(ns, true))
	eventually(t, waitTimeout, exists(&batchv1.Job{}, purgeJobName(i.Name), ns))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonPurging))
	finishJobPods(t, ns, purgeJobName(i.Name), corev1.PodSucceeded, `{"task":"purge","ok":true}`)

	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonRevoked))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionCredentialsValid, metav1.ConditionFalse, workspacesv1alpha1.ReasonRevoked))
	for _, check := range []func() error{
		gone(&batchv1.CronJob{}, cronJobName(i.Name, workspacesv1alpha1.FeatureOrders), ns), gone(&corev1.Secret{}, credentialsName(i.Name), ns),
		gone(&corev1.ServiceAccount{}, syncAccountName(i.Name), ns),
	} {
		eventually(t, waitTimeout, check)
	}
	// The object stays as the record, and says what to do.
	live := getIntegration(t, i)
	if msg := conditionMessage(live, workspacesv1alpha1.ConditionReady); !strings.Contains(msg, "revoked") || !strings.Contains(msg, workspacesv1alpha1.RevokedAnnotation) {
		t.Errorf("Ready says %q; it must say the seller revoked access and how to reconnect", msg)
	}
	consistently(t, time.Second, func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(i), &workspacesv1alpha1.Integration{}) })

	// The seller authorized the app again: removing the annotation reconnects it.
	updateIntegration(t, i, func(live *workspacesv1alpha1.Integration) {
		delete(live.Annotations, workspacesv1alpha1.RevokedAnnotation)
	})
	eventually(t, waitTimeout, exists(&corev1.Secret{}, credentialsName(i.Name), ns))
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	if live := getIntegration(t, i); live.Status.Disconnect != nil || conditionMessage(live, workspacesv1alpha1.ConditionCredentialsValid) != "" {
		t.Errorf("reconnected, the status still tells of the revocation: disconnect %+v, CredentialsValid %q",
			live.Status.Disconnect, conditionMessage(live, workspacesv1alpha1.ConditionCredentialsValid))
	}
}

func conditionMessage(i *workspacesv1alpha1.Integration, typ string) string {
	for _, c := range i.Status.Conditions {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// A schedule the CronJob would refuse is refused on the Integration, when it is written, with a message that says
// what a schedule is.
func TestAnIntegrationScheduleTheCronJobWouldRefuseIsRefused(t *testing.T) {
	needsCluster(t)
	tenant := "schedules"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	for _, bad := range []string{"99 * * * *", "0 24 * * *", "*/0 * * * *", "0 3 * * * *", "every hour"} {
		i := newIntegration("bad", namespaceOf(tenant), func(i *workspacesv1alpha1.Integration) { i.Spec.Features[0].Schedule = bad })
		err := k8s.Create(context.Background(), i, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), "schedule must be a cron expression of five fields") {
			t.Errorf("schedule %q: err = %v, want it refused saying what a schedule is", bad, err)
		}
	}
	for _, good := range []string{"*/15 * * * *", "0 9-17/2 * * MON-FRI", "5,35 * * * *", "@daily"} {
		i := newIntegration("good", namespaceOf(tenant), func(i *workspacesv1alpha1.Integration) { i.Spec.Features[0].Schedule = good })
		if err := k8s.Create(context.Background(), i, client.DryRunAll); err != nil {
			t.Errorf("schedule %q refused: %v", good, err)
		}
	}
}
