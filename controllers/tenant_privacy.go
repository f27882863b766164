package controllers

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

const (
	// maintenanceAccountName runs a tenant's retention and purge Jobs; it has no API access.
	maintenanceAccountName = "tenant-maintenance"
	retentionCronJobName   = "retention"
	tenantPurgeJobName     = "tenant-purge"
	componentRetention     = "retention"
	componentDatabase      = "database"
)

// reconcileMaintenance applies what the tenant's data jobs share: the ServiceAccount they run as, the
// restriction list every sync reads (its entries belong to DataRequests), and the retention CronJob.
func (r *TenantReconciler) reconcileMaintenance(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	sa := corev1ac.ServiceAccount(maintenanceAccountName, s.namespace).
		WithLabels(tenantLabels(t.Name, componentRetention)).WithAutomountServiceAccountToken(false)
	if err := applyCached(ctx, r.Client, maintenanceAccountName, s.namespace, sa, corev1ac.ExtractServiceAccount); err != nil {
		return fmt.Errorf("applying ServiceAccount %s: %w", maintenanceAccountName, err)
	}
	cm := corev1ac.ConfigMap(contract.RestrictionListConfigMap, s.namespace).WithLabels(tenantLabels(t.Name, componentRequest))
	if err := applyCached(ctx, r.Client, contract.RestrictionListConfigMap, s.namespace, cm, corev1ac.ExtractConfigMap); err != nil {
		return fmt.Errorf("applying the restriction list: %w", err)
	}
	return r.reconcileRetention(ctx, s)
}

// reconcileRetention runs the retention CronJob daily while the tenant has retention rules, with the legal
// holds in force passed in. A hold that expires changes the arguments at its expiry time, without anyone
// editing the Tenant.
func (r *TenantReconciler) reconcileRetention(ctx context.Context, s *tenantScope) error {
	t := s.tenant
	if len(t.Spec.Retention) == 0 {
		cj, err := getCached[batchv1.CronJob](ctx, r.Client, retentionCronJobName, s.namespace)
		if cj == nil || err != nil {
			return err
		}
		return client.IgnoreNotFound(r.Delete(ctx, cj, client.PropagationPolicy(metav1.DeletePropagationBackground)))
	}
	now := r.Now()
	cj := desiredRetentionCronJob(r.Config, t, s.namespace, s.region, heldCategories(t, now))
	if err := applyCached(ctx, r.Client, retentionCronJobName, s.namespace, cj, batchv1ac.ExtractCronJob); err != nil {
		return fmt.Errorf("applying the retention CronJob: %w", err)
	}
	if next := nextHoldExpiry(t, now); !next.IsZero() {
		s.requeueAfter(next.Sub(now) + time.Second)
	}
	return nil
}

// desiredRetentionCronJob runs retention daily with the tenant's rules and the legal holds in force.
func desiredRetentionCronJob(cfg *config.Config, t *workspacesv1alpha1.Tenant, ns, region string, held []workspacesv1alpha1.DataCategory) *batchv1ac.CronJobApplyConfiguration {
	keep := make(contract.Keep, len(t.Spec.Retention))
	for i, rule := range t.Spec.Retention {
		keep[i] = contract.KeepRule{Category: rule.Category, Days: int(rule.KeepDays)}
	}
	return workerRun{
		inputs:         &contract.Retention{Tenant: t.Name, Keep: keep, Held: held, Database: contract.TenantDatabase()},
		labels:         tenantLabels(t.Name, componentRetention),
		serviceAccount: maintenanceAccountName,
		region:         region,
	}.cronJob(cfg, retentionCronJobName, ns, cfg.Privacy.RetentionSchedule, t.GetLifecycle() == workspacesv1alpha1.LifecycleClosed)
}

// reconcileDatabaseCredentials fetches the DSN of the tenant's PostgreSQL schema from the tenant's store into
// the Secret every data job mounts.
func (r *TenantReconciler) reconcileDatabaseCredentials(ctx context.Context, s *tenantScope, remoteKeyPrefix string) error {
	t := s.tenant
	key, err := remoteKeyFor(remoteKeyPrefix, componentDatabase)
	if err != nil {
		return err
	}
	spec := eso.ExternalSecretSpec{
		SecretStoreRef:  eso.StoreRef{Name: r.Config.SecretStore.Name, Kind: "SecretStore"},
		Target:          eso.Target{Name: contract.DatabaseSecret, CreationPolicy: "Owner", DeletionPolicy: "Delete"},
		RefreshInterval: time.Hour.String(),
		DataFrom:        []eso.DataFrom{{Extract: eso.Extract{Key: key, ConversionStrategy: "Default", DecodingStrategy: "None", MetadataPolicy: "None"}}},
	}
	desired, err := eso.Object(eso.ExternalSecretGVK, metav1.ObjectMeta{
		Name: contract.DatabaseSecret, Namespace: s.namespace, Labels: tenantLabels(t.Name, componentDatabase),
	}, &spec)
	if err != nil {
		return err
	}
	if _, err := applyUnstructured(ctx, r.Client, desired); err != nil {
		return fmt.Errorf("applying the database ExternalSecret: %w", err)
	}
	return nil
}

// desiredTenantPurgeJob deletes all of the tenant's synced data but what legal holds keep.
func desiredTenantPurgeJob(cfg *config.Config, t *workspacesv1alpha1.Tenant, ns, region string, held []workspacesv1alpha1.DataCategory) *batchv1ac.JobApplyConfiguration {
	return workerRun{
		inputs:         &contract.Purge{Tenant: t.Name, Held: held, Database: contract.TenantDatabase()},
		labels:         tenantLabels(t.Name, componentPurge),
		serviceAccount: maintenanceAccountName,
		region:         region,
	}.job(cfg, tenantPurgeJobName, ns)
}

// purgeData runs the tenant-wide purge Job, honouring legal holds, before the namespace goes. It reports
// done once the Job succeeded; a failed Job keeps the namespace and says why.
func (r *TenantReconciler) purgeData(ctx context.Context, s *tenantScope) (bool, error) {
	t := s.tenant
	job := &batchv1.Job{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: tenantPurgeJobName}, job)
	switch {
	case apierrors.IsNotFound(err):
		desired := desiredTenantPurgeJob(r.Config, t, s.namespace, s.region, heldCategories(t, r.Now()))
		if err := r.Apply(ctx, desired, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return false, fmt.Errorf("starting the purge Job: %w", err)
		}
		s.waiting = "purging: the purge Job is deleting the tenant's synced data (legal holds kept)"
		return false, nil
	case err != nil:
		return false, err
	case jobComplete(job):
		return true, nil
	case jobFailed(job):
		msg, err := jobFailure(ctx, r.Client, job)
		if err != nil {
			return false, err
		}
		return false, stalled(ReasonPurgeFailed, "the purge Job %s/%s failed, so the namespace is kept: %s; fix the cause and delete the Job to try again",
			s.namespace, tenantPurgeJobName, truncate(msg, maxFailureMessage))
	}
	s.waiting = "purging: the purge Job is deleting the tenant's synced data (legal holds kept)"
	return false, nil
}
