package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/config"
)

const (
	// databaseSecretName is the tenant's Secret holding the DSN of its PostgreSQL schema (key "dsn"), fetched
	// from the tenant's secret store.
	databaseSecretName = "tenant-database"
	// restrictionListName is the tenant's ConfigMap of restricted subjects' pseudonyms, one key per
	// Restriction or Objection DataRequest; every sync reads it and skips them.
	restrictionListName = "restriction-list"

	databaseMountPath    = "/var/run/workspace/database"
	hmacKeyMountPath     = "/var/run/workspace/hmac"
	subjectMountPath     = "/var/run/workspace/subject"
	restrictionMountPath = "/var/run/workspace/restrictions"

	// workerUID is the non-root user the worker runs as.
	workerUID = 65532
	// credentialsMountPath is where a Job finds its integration's credentials, one file per key.
	credentialsMountPath = "/var/run/workspace/credentials"
	// terminationLogPath is where the worker writes its JSON result for the operator to read.
	terminationLogPath = "/dev/termination-log"
	// jobActiveDeadlineSeconds bounds how long one worker run may take.
	jobActiveDeadlineSeconds = 3600
)

// workerJob describes one run of `workspace-operator worker <task>`.
type workerJob struct {
	labels         map[string]string
	serviceAccount string
	args           []string
	region         string
	// mounts are the Secrets and ConfigMaps the run reads, each mounted read-only as files.
	mounts []mount
}

// mount is a Secret or ConfigMap mounted read-only into a worker run.
type mount struct {
	name, path string
	secret     string
	configMap  string
	// optional lets the Pod start while the object does not exist yet.
	optional bool
}

// podTemplate is the Pod every operator Job runs: the worker image, Pod Security `restricted` (non-root, no
// privilege escalation, no capabilities, read-only root, RuntimeDefault seccomp), no service account token,
// pinned to the tenant's region, secrets only as mounted files.
func (w workerJob) podTemplate(cfg *config.Config) *corev1ac.PodTemplateSpecApplyConfiguration {
	container := corev1ac.Container().
		WithName("worker").
		WithImage(cfg.Worker.Image).
		WithImagePullPolicy(cfg.Worker.ImagePullPolicy).
		WithArgs(append([]string{"worker"}, w.args...)...).
		WithTerminationMessagePath(terminationLogPath).
		WithTerminationMessagePolicy(corev1.TerminationMessageReadFile).
		WithResources(corev1ac.ResourceRequirements().
			WithRequests(corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}).
			WithLimits(corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")})).
		WithSecurityContext(corev1ac.SecurityContext().
			WithAllowPrivilegeEscalation(false).
			WithReadOnlyRootFilesystem(true).
			WithRunAsNonRoot(true).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL"))).
		WithVolumeMounts(corev1ac.VolumeMount().WithName("tmp").WithMountPath("/tmp"))
	spec := corev1ac.PodSpec().
		WithRestartPolicy(corev1.RestartPolicyNever).
		WithServiceAccountName(w.serviceAccount).
		// Only a task that writes to the API server (an export) gets the service account token.
		WithAutomountServiceAccountToken(slices.Contains(apiServerTasks, w.args[0])).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithRunAsNonRoot(true).
			WithRunAsUser(workerUID).
			WithRunAsGroup(workerUID).
			WithFSGroup(workerUID).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithVolumes(corev1ac.Volume().WithName("tmp").WithEmptyDir(corev1ac.EmptyDirVolumeSource().WithSizeLimit(resource.MustParse("256Mi"))))
	for _, m := range w.mounts {
		container.WithVolumeMounts(corev1ac.VolumeMount().WithName(m.name).WithMountPath(m.path).WithReadOnly(true))
		v := corev1ac.Volume().WithName(m.name)
		if m.secret != "" {
			v.WithSecret(corev1ac.SecretVolumeSource().WithSecretName(m.secret).WithDefaultMode(0o440).WithOptional(m.optional))
		} else {
			v.WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(m.configMap).WithDefaultMode(0o440).WithOptional(m.optional))
		}
		spec.WithVolumes(v)
	}
	if w.region != "" {
		spec.WithNodeSelector(map[string]string{regionNodeLabel: w.region})
	}
	spec.WithContainers(container)
	podLabels := maps.Clone(w.labels)
	podLabels[TaskLabel] = w.args[0]
	return corev1ac.PodTemplateSpec().
		WithLabels(podLabels).
		WithSpec(spec)
}

// jobSpec is the Job spec of a worker run: bounded retries and run time, cleaned up after the configured TTL.
func (w workerJob) jobSpec(cfg *config.Config) *batchv1ac.JobSpecApplyConfiguration {
	return batchv1ac.JobSpec().
		WithBackoffLimit(cfg.Jobs.BackoffLimit).
		WithTTLSecondsAfterFinished(cfg.Jobs.TTLSecondsAfterFinished).
		WithActiveDeadlineSeconds(jobActiveDeadlineSeconds).
		WithTemplate(w.podTemplate(cfg))
}

// tenantDataMounts are what a run reads to reach the tenant's data: its database DSN, and the HMAC key for the
// runs that pseudonymize subjects (sync and the data-subject tasks). Purge and retention select rows by tenant,
// integration and age only, so they are not given the key.
func tenantDataMounts(withHMACKey bool) []mount {
	m := []mount{{name: "database", path: databaseMountPath, secret: databaseSecretName}}
	if withHMACKey {
		m = append(m, mount{name: "hmac-key", path: hmacKeyMountPath, secret: hmacKeySecretName})
	}
	return m
}

// tenantDataArgs are the flags pointing a run at the mounts of tenantDataMounts.
func tenantDataArgs(withHMACKey bool) []string {
	args := []string{"--database-dsn-file=" + databaseMountPath + "/dsn"}
	if withHMACKey {
		args = append(args, "--hmac-key-file="+hmacKeyMountPath+"/"+hmacKeyField)
	}
	return args
}

// newestPod returns the Job's most recently created Pod, or nil when none is left.
func newestPod(ctx context.Context, c client.Reader, j *batchv1.Job) (*corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(j.Namespace), client.MatchingLabels{batchv1.JobNameLabel: j.Name}); err != nil {
		return nil, err
	}
	var newest *corev1.Pod
	for idx := range pods.Items {
		if p := &pods.Items[idx]; newest == nil || newest.CreationTimestamp.Before(&p.CreationTimestamp) {
			newest = p
		}
	}
	return newest, nil
}

// terminationMessage returns the termination message of the Job's newest Pod: the worker's JSON result.
func terminationMessage(ctx context.Context, c client.Reader, j *batchv1.Job) (string, error) {
	pod, err := newestPod(ctx, c, j)
	return messageOf(pod), err
}

func messageOf(pod *corev1.Pod) string {
	if pod == nil {
		return ""
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.Message != "" {
			return t.Message
		}
	}
	return ""
}

// jobFailure says why a Job failed: the worker's result when its Pod left one, else what the cluster saw — the
// Pod's reason (Evicted, OOMKilled, an exit code), or that no Pod is left, and the Job's Failed condition — so
// a run killed or evicted before it could report is reported all the same.
func jobFailure(ctx context.Context, c client.Reader, j *batchv1.Job) (string, error) {
	pod, err := newestPod(ctx, c, j)
	if err != nil {
		return "", err
	}
	if msg := messageOf(pod); msg != "" {
		return msg, nil
	}
	return describeFailure(j, pod), nil
}

func describeFailure(j *batchv1.Job, pod *corev1.Pod) string {
	var parts []string
	switch {
	case pod == nil:
		parts = append(parts, "its Pod is gone (deleted or evicted) without a result")
	default:
		if pod.Status.Reason != "" {
			parts = append(parts, strings.TrimSpace(fmt.Sprintf("Pod %s %s: %s", pod.Name, pod.Status.Reason, pod.Status.Message)))
		}
		for _, cs := range pod.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil {
				parts = append(parts, fmt.Sprintf("container %s terminated: %s, exit code %d", cs.Name, t.Reason, t.ExitCode))
			}
		}
		if pod.DeletionTimestamp != nil {
			parts = append(parts, fmt.Sprintf("Pod %s was deleted before it reported", pod.Name))
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("Pod %s left no result (phase %s)", pod.Name, pod.Status.Phase))
		}
	}
	for _, cond := range j.Status.Conditions {
		if cond.Type == batchv1.JobFailed && cond.Status == corev1.ConditionTrue {
			parts = append(parts, fmt.Sprintf("%s: %s", cond.Reason, cond.Message))
		}
	}
	return strings.Join(parts, "; ")
}
