//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

// eventually polls f every second until it reports done, and fails the test with f's last word after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	if err := realnode.Poll(timeout, f); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func conditionTrue(conds []metav1.Condition, typ string) (bool, string) {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return false, typ + " not set"
	}
	return c.Status == metav1.ConditionTrue, fmt.Sprintf("%s=%s %s: %s", typ, c.Status, c.Reason, c.Message)
}

// newTenant creates a Tenant pinned to the node's region and waits until it is Ready.
func newTenant(t *testing.T, name string, change func(*workspacesv1alpha1.Tenant)) *workspacesv1alpha1.Tenant {
	t.Helper()
	tn := &workspacesv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: workspacesv1alpha1.TenantSpec{
			DisplayName: name,
			Residency:   &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"},
		},
	}
	if change != nil {
		change(tn)
	}
	if err := s.C.Create(s.Ctx, tn); err != nil {
		t.Fatalf("creating Tenant %s: %v", name, err)
	}
	eventually(t, 2*time.Minute, "Tenant "+name+" Ready", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKey{Name: name}, tn); err != nil {
			return false, err.Error()
		}
		return conditionTrue(tn.Status.Conditions, workspacesv1alpha1.ConditionReady)
	})
	waitForDefaultServiceAccount(t, tn.Status.Namespace)
	return tn
}

// waitForDefaultServiceAccount: Pods of a new namespace are refused until its default ServiceAccount exists.
func waitForDefaultServiceAccount(t *testing.T, ns string) {
	t.Helper()
	eventually(t, time.Minute, "default ServiceAccount in "+ns, func() (bool, string) {
		err := s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, fmt.Sprint(err)
	})
}

// restricted is a container security context that Pod Security `restricted` admits.
func restricted() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false), RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532),
		ReadOnlyRootFilesystem: ptr.To(true),
		Capabilities:           &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:         &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func probeContainer(args ...string) corev1.Container {
	return corev1.Container{
		Name: "probe", Image: realnode.ProbeImage, ImagePullPolicy: corev1.PullNever, Args: args, SecurityContext: restricted(),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
	}
}

// prober is a long-running Pod that serves on proberPort and opens connections on request: one new TCP
// connection per probe, so a connection allowed before is never reused.
type prober struct{ ns, name, ip string }

const proberPort = "8080"

// addr is where the prober serves.
func (p *prober) addr() string { return net.JoinHostPort(p.ip, proberPort) }

// newProber starts a probe Pod in ns with labels (those of the Pods whose reach is tested) and waits until it runs.
func newProber(t *testing.T, ns string, labels map[string]string) *prober {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "prober-", Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  ptr.To(false),
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers:                    []corev1.Container{probeContainer("serve", "-addr", ":"+proberPort)},
		},
	}
	must(t, s.C.Create(s.Ctx, pod), "creating a probe Pod in", ns)
	t.Cleanup(func() { _ = s.C.Delete(context.Background(), pod, client.GracePeriodSeconds(0)) })
	eventually(t, time.Minute, "probe Pod in "+ns+" running", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
			return false, err.Error()
		}
		return pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "", string(pod.Status.Phase)
	})
	return &prober{ns: ns, name: pod.Name, ip: pod.Status.PodIP}
}

// newJobProber starts a probe Pod through a Job the operator's identity creates, with the Pod labels of one of
// the operator's Jobs: only the operator may make Pods that carry them (the admission policies), and only such
// Pods are what the operator's NetworkPolicies select.
func newJobProber(t *testing.T, ns string, podLabels map[string]string) *prober {
	t.Helper()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "prober-", Namespace: ns, Labels: podLabels},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					AutomountServiceAccountToken:  ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					Containers:                    []corev1.Container{probeContainer("serve", "-addr", ":"+proberPort)},
				},
			},
		},
	}
	must(t, s.AsOperator.Create(s.Ctx, job), "creating a probe Job as the operator in", ns)
	t.Cleanup(func() {
		_ = s.AsOperator.Delete(context.Background(), job, client.PropagationPolicy(metav1.DeletePropagationBackground))
	})
	var p *prober
	eventually(t, time.Minute, "probe Job's Pod in "+ns+" running", func() (bool, string) {
		pods := &corev1.PodList{}
		if err := s.C.List(s.Ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job.Name}); err != nil {
			return false, err.Error()
		}
		for _, pod := range pods.Items {
			if pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "" {
				p = &prober{ns: ns, name: pod.Name, ip: pod.Status.PodIP}
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d Pods, none running", len(pods.Items))
	})
	return p
}

// reaches reports whether a new connection to target (host:port) is accepted. The network plugin applies
// policies to a new Pod a moment after it starts, so a result other than want is retried for a while: what is
// asserted is the state the cluster settles in.
func (p *prober) reaches(t *testing.T, target string, want bool) bool {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := s.Kubectl("exec", "-n", p.ns, p.name, "--", "/probe", "probe", "-timeout", "2s", target)
		got := err == nil
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(time.Second)
	}
}

// jobTerminationMessage waits for the Job to finish and returns whether it succeeded and its Pod's termination
// message (the worker's JSON result).
func jobTerminationMessage(t *testing.T, ns, name string, timeout time.Duration) (bool, string) {
	t.Helper()
	job := &batchv1.Job{}
	var succeeded bool
	eventually(t, timeout, "Job "+ns+"/"+name+" finished", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: name}, job); err != nil {
			return false, err.Error()
		}
		for _, c := range job.Status.Conditions {
			if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
				succeeded = c.Type == batchv1.JobComplete
				return true, ""
			}
		}
		return false, fmt.Sprintf("active %d, failed %d", job.Status.Active, job.Status.Failed)
	})
	return succeeded, podMessage(t, ns, name)
}

// podMessage is the termination message of the newest terminated Pod of a Job.
func podMessage(t *testing.T, ns, job string) string {
	t.Helper()
	msg, err := s.PodMessage(ns, job)
	must(t, err, "reading the termination message of Job", ns+"/"+job)
	return msg
}

// query returns the single integer a SQL query gives on the suite's database.
func query(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	n, err := s.Query(sql, args...)
	must(t, err)
	return n
}

func deleteAndWait(t *testing.T, obj client.Object, timeout time.Duration) {
	t.Helper()
	if err := s.C.Delete(s.Ctx, obj); client.IgnoreNotFound(err) != nil {
		t.Fatalf("deleting %s: %v", obj.GetName(), err)
	}
	eventually(t, timeout, obj.GetName()+" gone", func() (bool, string) {
		err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err), fmt.Sprintf("still there (%v)", err)
	})
}

func must(t *testing.T, err error, what ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(what, " "), err)
	}
}
