//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

// The operator Pod is killed (SIGKILL, no grace) at random moments while 20 Tenants provision and 10 DataRequests
// run; a new Pod takes over through leader election. Afterwards every object reaches its final state, every
// request's Job ran exactly once, and nothing is left behind.
func TestOperatorKilledAtRandomMomentsLosesNothing(t *testing.T) {
	const tenants, requests, kills = 20, 10, 10
	for n := range tenants {
		tn := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("fault-%02d", n)},
			Spec: workspacesv1alpha1.TenantSpec{Residency: &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"}}}
		must(t, s.C.Create(s.Ctx, tn), "creating", tn.Name)
	}
	var drs []*workspacesv1alpha1.DataRequest
	for n := range requests {
		name := fmt.Sprintf("fault-erase-%02d", n)
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "subject-" + name, Namespace: realnode.OperatorNamespace},
			StringData: map[string]string{"email": fmt.Sprintf("buyer%02d@example.com", n)}}
		must(t, s.C.Create(s.Ctx, secret), "creating the subject Secret")
		dr := &workspacesv1alpha1.DataRequest{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: workspacesv1alpha1.DataRequestSpec{
				TenantRef: workspacesv1alpha1.TenantReference{Name: fmt.Sprintf("fault-%02d", n)}, Type: workspacesv1alpha1.RequestErasure,
				Subject:      workspacesv1alpha1.Subject{SecretRef: workspacesv1alpha1.SecretReference{Name: secret.Name, Namespace: secret.Namespace}},
				Jurisdiction: workspacesv1alpha1.JurisdictionGDPR,
			}}
		must(t, s.C.Create(s.Ctx, dr), "creating", name)
		drs = append(drs, dr)
	}

	for k := range kills {
		time.Sleep(time.Duration(1000+rand.IntN(6000)) * time.Millisecond)
		pods := &corev1.PodList{}
		must(t, s.C.List(s.Ctx, pods, client.InNamespace(realnode.OperatorNamespace), client.MatchingLabels{"app.kubernetes.io/name": "workspace-operator"}))
		killed := 0
		for i := range pods.Items {
			if pods.Items[i].DeletionTimestamp != nil {
				continue
			}
			if err := s.C.Delete(s.Ctx, &pods.Items[i], client.GracePeriodSeconds(0)); err == nil {
				killed++
			}
		}
		t.Logf("kill %d: %d operator Pod(s) killed", k+1, killed)
		if killed == 0 {
			t.Fatalf("kill %d: no operator Pod to kill", k+1)
		}
		// Give the next Pod a moment to start before the next kill, as a crash-looping operator would have.
		eventually(t, 2*time.Minute, "a new operator Pod running", func() (bool, string) {
			pods := &corev1.PodList{}
			if err := s.C.List(s.Ctx, pods, client.InNamespace(realnode.OperatorNamespace), client.MatchingLabels{"app.kubernetes.io/name": "workspace-operator"}); err != nil {
				return false, err.Error()
			}
			for _, p := range pods.Items {
				if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d Pods, none running", len(pods.Items))
		})
	}

	for n := range tenants {
		name := fmt.Sprintf("fault-%02d", n)
		eventually(t, 4*time.Minute, "Tenant "+name+" Ready", func() (bool, string) {
			tn := &workspacesv1alpha1.Tenant{}
			if err := s.C.Get(s.Ctx, client.ObjectKey{Name: name}, tn); err != nil {
				return false, err.Error()
			}
			return conditionTrue(tn.Status.Conditions, workspacesv1alpha1.ConditionReady)
		})
	}
	for _, dr := range drs {
		done := waitForRequest(t, dr)
		if done.Status.Phase != workspacesv1alpha1.RequestPhaseCompleted {
			t.Errorf("DataRequest %s ended %s: %v", dr.Name, done.Status.Phase, done.Status.Conditions)
			continue
		}
		ns := "tenant-" + dr.Spec.TenantRef.Name
		if len(done.Status.Jobs) != 1 {
			t.Errorf("DataRequest %s records %d Jobs, want exactly one", dr.Name, len(done.Status.Jobs))
			continue
		}
		job := &batchv1.Job{}
		must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: done.Status.Jobs[0].Name}, job))
		pods := &corev1.PodList{}
		must(t, s.C.List(s.Ctx, pods, client.InNamespace(ns), client.MatchingLabels{"job-name": job.Name}))
		if job.Status.Succeeded != 1 || job.Status.Failed != 0 || len(pods.Items) != 1 {
			t.Errorf("DataRequest %s: Job %s succeeded %d, failed %d, Pods %d; want one run", dr.Name, job.Name,
				job.Status.Succeeded, job.Status.Failed, len(pods.Items))
		}
		jobs := &batchv1.JobList{}
		must(t, s.C.List(s.Ctx, jobs, client.InNamespace(ns), client.MatchingLabels{"workspaces.alitok.ai/datarequest": dr.Name}))
		if len(jobs.Items) != 1 {
			t.Errorf("DataRequest %s has %d Jobs in %s, want one", dr.Name, len(jobs.Items), ns)
		}
		// Nothing orphaned: the subject's copy is deleted once the result is read.
		secrets := &corev1.SecretList{}
		must(t, s.C.List(s.Ctx, secrets, client.InNamespace(ns)))
		for _, sec := range secrets.Items {
			if strings.HasSuffix(sec.Name, "-subject") {
				t.Errorf("subject copy %s/%s left behind after the request completed", ns, sec.Name)
			}
		}
	}
	// Every Tenant has exactly its own workspace: one namespace, no duplicate objects from a half-done pass.
	for n := range tenants {
		ns := &corev1.Namespace{}
		err := s.C.Get(s.Ctx, client.ObjectKey{Name: fmt.Sprintf("tenant-fault-%02d", n)}, ns)
		if apierrors.IsNotFound(err) || ns.Labels[workspacesv1alpha1.TenantLabel] != fmt.Sprintf("fault-%02d", n) {
			t.Errorf("tenant-fault-%02d: %v, labels %v", n, err, ns.Labels)
		}
	}
}

// A sync Job whose Pod is killed before it could report (the platform never answers, and the Pod is evicted
// without grace, as a node drain would end it) is reported in the Integration's status.
func TestAJobWhosePodIsKilledIsReportedNotLost(t *testing.T) {
	release := make(chan struct{})
	s.TikTok.Override(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); s.TikTok.Override(nil) })

	tn := newTenant(t, "killed", nil)
	intg := integration(tn.Status.Namespace, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/main",
		workspacesv1alpha1.FeatureOrders)
	must(t, s.C.Create(s.Ctx, intg), "creating Integration")
	eventually(t, 2*time.Minute, "Integration Ready", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(intg), intg); err != nil {
			return false, err.Error()
		}
		return conditionTrue(intg.Status.Conditions, workspacesv1alpha1.ConditionReady)
	})
	base := intg.DeepCopy()
	intg.Annotations = map[string]string{workspacesv1alpha1.SyncNowAnnotation: "killed"}
	must(t, s.C.Patch(s.Ctx, intg, client.MergeFrom(base)), "asking for a sync")

	var pod corev1.Pod
	eventually(t, 2*time.Minute, "the sync Pod running (waiting on the platform)", func() (bool, string) {
		pods := &corev1.PodList{}
		if err := s.C.List(s.Ctx, pods, client.InNamespace(tn.Status.Namespace), client.MatchingLabels{"workspaces.alitok.ai/task": "sync"}); err != nil {
			return false, err.Error()
		}
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				pod = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d Pods, none running", len(pods.Items))
	})
	time.Sleep(2 * time.Second) // well inside its call to the platform
	// Evicted as `kubectl drain` does (the operator's admission policy keeps anyone else from deleting its Pods).
	eviction := &policyv1.Eviction{DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}}
	must(t, s.C.SubResource("eviction").Create(s.Ctx, &pod, eviction), "evicting the sync Pod")

	eventually(t, 2*time.Minute, "the killed run in the Integration's status", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(intg), intg); err != nil {
			return false, err.Error()
		}
		for _, f := range intg.Status.Features {
			if f.Name == workspacesv1alpha1.FeatureOrders && f.LastFailure != "" {
				t.Logf("status.features[orders].lastFailure: %s", f.LastFailure)
				if !strings.Contains(f.LastFailure, "Pod is gone") && !strings.Contains(f.LastFailure, "deleted before it reported") {
					t.Errorf("lastFailure does not say the run's Pod was killed: %s", f.LastFailure)
				}
				return true, ""
			}
		}
		return false, fmt.Sprintf("features %+v", intg.Status.Features)
	})
}
