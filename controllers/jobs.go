package controllers

import (
	"context"
	"fmt"
	"maps"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

const (
	// workerUID is the non-root user the worker runs as.
	workerUID = 65532
	// terminationLogPath is where the worker writes its JSON result for the operator to read.
	terminationLogPath = "/dev/termination-log"
	// jobActiveDeadlineSeconds bounds how long one worker run may take.
	jobActiveDeadlineSeconds = 3600

	cronJobHistoryLimit     = 3
	cronJobStartingDeadline = 300
)

// workerRun is one run of `workspace-operator worker <task>`: its inputs (the contract the worker parses back),
// and who runs it where. Every Job and CronJob of the operator is built from one.
type workerRun struct {
	inputs         contract.Inputs
	labels         map[string]string
	serviceAccount string
	region         string
	// once marks a run that is reported, not retried: a data-subject request is answered once, and a failure
	// goes to the privacy team rather than being retried behind its back; a token refresh must not present a
	// refresh token a failed attempt may have used up.
	once bool
}

// podTemplate is the Pod every operator Job runs: the worker image, Pod Security `restricted` (non-root, no
// privilege escalation, no capabilities, read-only root, RuntimeDefault seccomp), no service account token
// unless its task talks to the API server, pinned to the tenant's region, secrets only as mounted files.
func (w workerRun) podTemplate(cfg *config.Config) *corev1ac.PodTemplateSpecApplyConfiguration {
	task := w.inputs.Task()
	container := corev1ac.Container().
		WithName("worker").
		WithImage(cfg.Worker.Image).
		WithImagePullPolicy(cfg.Worker.ImagePullPolicy).
		WithArgs(append([]string{"worker"}, contract.Args(w.inputs)...)...).
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
		WithAutomountServiceAccountToken(contract.NeedsAPIServer(task)).
		WithSecurityContext(corev1ac.PodSecurityContext().
			WithRunAsNonRoot(true).
			WithRunAsUser(workerUID).
			WithRunAsGroup(workerUID).
			WithFSGroup(workerUID).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithVolumes(corev1ac.Volume().WithName("tmp").WithEmptyDir(corev1ac.EmptyDirVolumeSource().WithSizeLimit(resource.MustParse("256Mi"))))
	for _, m := range contract.Mounts(w.inputs) {
		container.WithVolumeMounts(corev1ac.VolumeMount().WithName(m.Volume).WithMountPath(m.Dir).WithReadOnly(true))
		v := corev1ac.Volume().WithName(m.Volume)
		if m.Secret != "" {
			v.WithSecret(corev1ac.SecretVolumeSource().WithSecretName(m.Secret).WithDefaultMode(0o440).WithOptional(m.Optional))
		} else {
			v.WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(m.ConfigMap).WithDefaultMode(0o440).WithOptional(m.Optional))
		}
		spec.WithVolumes(v)
	}
	if w.region != "" {
		spec.WithNodeSelector(map[string]string{regionNodeLabel: w.region})
	}
	spec.WithContainers(container)
	podLabels := maps.Clone(w.labels)
	podLabels[TaskLabel] = string(task)
	return corev1ac.PodTemplateSpec().
		WithLabels(podLabels).
		WithSpec(spec)
}

// jobSpec is the Job spec of a worker run: bounded retries and run time, cleaned up after the configured TTL.
func (w workerRun) jobSpec(cfg *config.Config) *batchv1ac.JobSpecApplyConfiguration {
	backoff := cfg.Jobs.BackoffLimit
	if w.once {
		backoff = 0
	}
	return batchv1ac.JobSpec().
		WithBackoffLimit(backoff).
		WithTTLSecondsAfterFinished(cfg.Jobs.TTLSecondsAfterFinished).
		WithActiveDeadlineSeconds(jobActiveDeadlineSeconds).
		WithTemplate(w.podTemplate(cfg))
}

// job is the run as a Job.
func (w workerRun) job(cfg *config.Config, name, ns string) *batchv1ac.JobApplyConfiguration {
	return batchv1ac.Job(name, ns).WithLabels(w.labels).WithSpec(w.jobSpec(cfg))
}

// cronJob is the run on a schedule (UTC), one at a time; suspend keeps it from starting.
func (w workerRun) cronJob(cfg *config.Config, name, ns, schedule string, suspend bool) *batchv1ac.CronJobApplyConfiguration {
	return batchv1ac.CronJob(name, ns).WithLabels(w.labels).
		WithSpec(batchv1ac.CronJobSpec().
			WithSchedule(schedule).
			WithTimeZone("Etc/UTC").
			WithSuspend(suspend).
			WithConcurrencyPolicy(batchv1.ForbidConcurrent).
			WithStartingDeadlineSeconds(cronJobStartingDeadline).
			WithSuccessfulJobsHistoryLimit(cronJobHistoryLimit).
			WithFailedJobsHistoryLimit(cronJobHistoryLimit).
			WithJobTemplate(batchv1ac.JobTemplateSpec().WithLabels(w.labels).WithSpec(w.jobSpec(cfg))))
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
	switch pod {
	case nil:
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
