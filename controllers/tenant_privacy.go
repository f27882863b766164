package controllers

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

const (
	// maintenanceAccountName runs a tenant's retention and purge Jobs; it has no API access.
	maintenanceAccountName = "tenant-maintenance"
	retentionCronJobName   = "retention"
	tenantPurgeJobName     = "tenant-purge"
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
	desired, err := desiredExternalSecret(r.Config.SecretStore.Name, contract.DatabaseSecret, s.namespace,
		tenantLabels(t.Name, componentDatabase), nil, key, time.Hour)
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
