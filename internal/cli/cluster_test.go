package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// The tests below run the commands against a real kube-apiserver, etcd and kube-controller-manager (its garbage
// collector deletes what a request owns), without the operator: what the operator would write in status they
// write through the status subresource.

var (
	clusterOnce sync.Once
	clusterEnv  *testenv.Env
	clusterErr  error
	admin       client.Client
)

func TestMain(m *testing.M) {
	code := m.Run()
	if clusterEnv != nil {
		if err := clusterEnv.Stop(); err != nil && code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// needsCluster starts the control plane on first use and returns the kubeconfig the commands are given.
func needsCluster(t *testing.T) string {
	t.Helper()
	clusterOnce.Do(func() {
		clusterEnv, clusterErr = testenv.Start(testenv.Options{ControllerManager: true,
			CRDDirectories: []string{filepath.Join(testenv.Root(), "config", "crd", "bases")}})
		if clusterErr != nil {
			return
		}
		scheme, err := NewScheme()
		if err != nil {
			clusterErr = err
			return
		}
		if admin, clusterErr = client.New(clusterEnv.Config, client.Options{Scheme: scheme}); clusterErr != nil {
			return
		}
		for _, ns := range []string{"privacy", config.Default().Privacy.ExportNamespace, "tenant-acme"} {
			if err := admin.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				clusterErr = err
				return
			}
		}
	})
	if clusterErr != nil {
		t.Fatalf("starting kube-apiserver and etcd: %v", clusterErr)
	}
	return clusterEnv.Kubeconfig
}

const (
	subjectEmail = "jane.doe@buyer.example"
	subjectBuyer = "7000123456789"
	subjectYAML  = "email: " + subjectEmail + "\nbuyer_ids: [\"TikTokShop:" + subjectBuyer + "\"]\n"
)

// noSubject fails when text carries the subject's identifiers or the name of its Secret.
func noSubject(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{subjectEmail, subjectBuyer, "-subject"} {
		if strings.Contains(text, s) {
			t.Errorf("%s contains %q:\n%s", what, s, text)
		}
	}
}

// gone waits up to a minute for obj to be deleted.
func gone(t *testing.T, obj client.Object) bool {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if apierrors.IsNotFound(admin.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)) {
			return true
		}
	}
	return false
}

// createRequest files a request with the command, as a privacy officer does.
func createRequest(t *testing.T, kubeconfig, name, typ, jurisdiction, receivedAt string) *workspacesv1alpha1.DataRequest {
	t.Helper()
	r := runAs("workspace-operator", subjectYAML, "request", "create", "--kubeconfig", kubeconfig, "-n", "privacy", "--name", name,
		"--tenant", "acme", "--type", typ, "--jurisdiction", jurisdiction, "--received-at", receivedAt)
	if r.code != 0 {
		t.Fatalf("request create: exit %d, stderr %s", r.code, r.stderr)
	}
	dr := &workspacesv1alpha1.DataRequest{}
	if err := admin.Get(t.Context(), client.ObjectKey{Name: name}, dr); err != nil {
		t.Fatal(err)
	}
	return dr
}

// setStatus writes a request's status as the operator would.
func setStatus(t *testing.T, dr *workspacesv1alpha1.DataRequest, status workspacesv1alpha1.DataRequestStatus) {
	t.Helper()
	d := controllers.DeadlinesOf(dr)
	status.AcknowledgeBy, status.DueAt, status.ExtendedDueAt = d.AcknowledgeBy, d.DueAt, d.ExtendedDueAt
	dr.Status = status
	if err := admin.Status().Update(t.Context(), dr); err != nil {
		t.Fatal(err)
	}
}

func TestRequestCreateKeepsTheSubjectInItsSecretOnly(t *testing.T) {
	kubeconfig := needsCluster(t)
	r := runAs("workspace-operator", subjectYAML, "request", "create", "--kubeconfig", kubeconfig, "-n", "privacy", "--name", "req-create",
		"--tenant", "acme", "--type", "Erasure", "--jurisdiction", "CCPA", "--received-at", "2026-11-28T09:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	for _, s := range []string{subjectEmail, subjectBuyer} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("the output contains the subject's %q:\n%s%s", s, r.stdout, r.stderr)
		}
	}
	dr := &workspacesv1alpha1.DataRequest{}
	if err := admin.Get(t.Context(), client.ObjectKey{Name: "req-create"}, dr); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(dr)
	for _, s := range []string{subjectEmail, subjectBuyer} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the DataRequest contains the subject's %q: %s", s, raw)
		}
	}
	if dr.Spec.Subject.SecretRef != (workspacesv1alpha1.SecretReference{Name: "req-create-subject", Namespace: "privacy"}) ||
		dr.Spec.Type != workspacesv1alpha1.RequestErasure || dr.Spec.Jurisdiction != workspacesv1alpha1.JurisdictionCCPA || dr.Spec.TenantRef.Name != "acme" {
		t.Errorf("spec = %+v", dr.Spec)
	}

	secret := &corev1.Secret{}
	if err := admin.Get(t.Context(), client.ObjectKey{Namespace: "privacy", Name: "req-create-subject"}, secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data[controllers.SubjectEmailKey]) != subjectEmail || string(secret.Data[controllers.SubjectBuyerIDsKey]) != "TikTokShop:"+subjectBuyer+"\n" {
		t.Errorf("the subject Secret holds %q", secret.Data)
	}
	if len(secret.OwnerReferences) != 1 || secret.OwnerReferences[0].UID != dr.UID || secret.OwnerReferences[0].Kind != "DataRequest" {
		t.Errorf("the subject Secret is not owned by the request: %+v", secret.OwnerReferences)
	}

	// The dates printed are the operator's: CCPA, 45 days and 10 business days from receipt.
	d := controllers.DeadlinesOf(dr)
	if !strings.Contains(r.stdout, "due:            2027-01-12T09:00:00Z") || d.DueAt.UTC().Format(time.RFC3339) != "2027-01-12T09:00:00Z" {
		t.Errorf("stdout does not say the operator's due date %s:\n%s", d.DueAt, r.stdout)
	}
	if !strings.Contains(r.stdout, "acknowledge by: "+formatTime(d.AcknowledgeBy)) {
		t.Errorf("stdout does not say acknowledge by %s:\n%s", formatTime(d.AcknowledgeBy), r.stdout)
	}

	// Deleting the request deletes the subject's Secret (the garbage collector, through the owner reference).
	if err := admin.Delete(t.Context(), dr); err != nil {
		t.Fatal(err)
	}
	if !gone(t, secret) {
		t.Error("the subject Secret outlives its request by a minute")
	}

	// From a file too.
	file := filepath.Join(t.TempDir(), "subject.yaml")
	if err := os.WriteFile(file, []byte(subjectYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run("request", "create", "--kubeconfig", kubeconfig, "-n", "privacy", "--name", "req-create-file", "--tenant", "acme",
		"--type", "Access", "--jurisdiction", "GDPR", "--subject-file", file); r.code != 0 {
		t.Fatalf("--subject-file: exit %d, %s", r.code, r.stderr)
	}
}

func TestRequestStatusAndReportShowNoSubject(t *testing.T) {
	kubeconfig := needsCluster(t)
	late := createRequest(t, kubeconfig, "req-report-late", "Erasure", "GDPR", "2026-01-31T10:00:00Z")
	completed := metav1.NewTime(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) // due 28 February
	setStatus(t, late, workspacesv1alpha1.DataRequestStatus{Phase: workspacesv1alpha1.RequestPhaseCompleted,
		Result:     &workspacesv1alpha1.RequestResult{RecordsFound: 3, RecordsErased: 2, CompletedAt: &completed, ReceiptSHA256: strings.Repeat("ab", 32)},
		Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Completed", Message: "Erasure request answered", LastTransitionTime: completed}}})
	onTime := createRequest(t, kubeconfig, "req-report-on-time", "Access", "LGPD", "2026-02-10T10:00:00Z")
	answeredAt := metav1.NewTime(time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)) // due 25 February
	setStatus(t, onTime, workspacesv1alpha1.DataRequestStatus{Phase: workspacesv1alpha1.RequestPhaseCompleted,
		Result: &workspacesv1alpha1.RequestResult{CompletedAt: &answeredAt, ReceiptSHA256: strings.Repeat("cd", 32)}})
	createRequest(t, kubeconfig, "req-report-open", "Objection", "GDPR", "2026-03-01T10:00:00Z") // unanswered, past due
	createRequest(t, kubeconfig, "req-report-later", "Objection", "GDPR", "2027-03-01T10:00:00Z")

	r := run("request", "status", "req-report-late", "--kubeconfig", kubeconfig, "-o", "json")
	if r.code != 0 {
		t.Fatalf("status: exit %d, %s", r.code, r.stderr)
	}
	noSubject(t, "status -o json", r.stdout)
	var v requestView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if !v.Late || v.Phase != "Completed" || v.Due.UTC().Format(time.DateOnly) != "2026-02-28" || v.Result == nil || v.Result.RecordsErased != 2 ||
		v.Result.ReceiptSHA256 != strings.Repeat("ab", 32) || len(v.Conditions) != 1 {
		t.Errorf("status = %+v", v)
	}
	for _, format := range []string{"table", "yaml"} {
		r := run("request", "status", "req-report-late", "--kubeconfig", kubeconfig, "-o", format)
		if r.code != 0 || !strings.Contains(r.stdout, strings.Repeat("ab", 32)) {
			t.Errorf("status -o %s: exit %d, %s%s", format, r.code, r.stdout, r.stderr)
		}
		noSubject(t, "status -o "+format, r.stdout)
	}

	r = run("report", "--kubeconfig", kubeconfig, "--since", "2026-01-01", "--until", "2027-01-01", "-o", "json")
	if r.code != 0 {
		t.Fatalf("report: exit %d, %s", r.code, r.stderr)
	}
	noSubject(t, "report -o json", r.stdout)
	var rows []reportRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]reportRow{}
	var order []string
	for _, row := range rows {
		if strings.HasPrefix(row.Request, "req-report-") {
			got[row.Request] = row
			order = append(order, row.Request)
		}
	}
	if strings.Join(order, ",") != "req-report-late,req-report-on-time,req-report-open" {
		t.Errorf("the report lists %v, want the three received in 2026, by receipt", order)
	}
	if !got["req-report-late"].Late || got["req-report-on-time"].Late || !got["req-report-open"].Late {
		t.Errorf("late: %+v", got)
	}
	if g := got["req-report-late"]; g.Answered != "2026-03-01T10:00:00Z" || g.Due != "2026-02-28T10:00:00Z" || g.Outcome != "Completed" || g.Receipt != strings.Repeat("ab", 32) {
		t.Errorf("req-report-late: %+v", g)
	}
	if g := got["req-report-open"]; g.Answered != "" || g.Outcome != "Pending" {
		t.Errorf("req-report-open: %+v", g)
	}
	for _, format := range []string{"table", "csv"} {
		r := run("report", "--kubeconfig", kubeconfig, "--since", "2026-01-01", "-o", format)
		if r.code != 0 || !strings.Contains(r.stdout, "req-report-later") {
			t.Errorf("report -o %s: exit %d, %s%s", format, r.code, r.stdout, r.stderr)
		}
		noSubject(t, "report -o "+format, r.stdout)
	}
}

// answeredAccess files an Access request and answers it as the operator does, with an export Secret.
func answeredAccess(t *testing.T, kubeconfig, name string, completed time.Time) *corev1.Secret {
	t.Helper()
	dr := createRequest(t, kubeconfig, name, "Access", "GDPR", "2026-11-28T09:00:00Z")
	exportNS := config.Default().Privacy.ExportNamespace
	export := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: controllers.ExportSecretName(name), Namespace: exportNS},
		Data: map[string][]byte{"export.json": []byte(`{"orders":[{"id":"o-1"}]}`)}}
	if err := admin.Create(t.Context(), export); err != nil {
		t.Fatal(err)
	}
	at := metav1.NewTime(completed.UTC().Truncate(time.Second))
	setStatus(t, dr, workspacesv1alpha1.DataRequestStatus{Phase: workspacesv1alpha1.RequestPhaseCompleted,
		Result: &workspacesv1alpha1.RequestResult{CompletedAt: &at, ExportSecret: exportNS + "/" + export.Name, ReceiptSHA256: strings.Repeat("ef", 32)}})
	return export
}

func TestRequestExportWritesTheFileOnceAndDeletesTheExport(t *testing.T) {
	kubeconfig := needsCluster(t)
	export := answeredAccess(t, kubeconfig, "req-export", time.Now().Add(-time.Hour))
	dir := t.TempDir()
	file := filepath.Join(dir, "jane.json")

	r := run("request", "export", "req-export", "--kubeconfig", kubeconfig, "-o", file)
	if r.code != 0 {
		t.Fatalf("exit %d, %s", r.code, r.stderr)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the file: %v, %v; want mode 0600", fi, err)
	}
	if b, _ := os.ReadFile(file); string(b) != `{"orders":[{"id":"o-1"}]}` {
		t.Errorf("the file holds %s", b)
	}
	if err := admin.Get(t.Context(), client.ObjectKeyFromObject(export), &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("the export Secret is still there (%v): the subject's data lingers", err)
	}
	dr := &workspacesv1alpha1.DataRequest{}
	if err := admin.Get(t.Context(), client.ObjectKey{Name: "req-export"}, dr); err != nil || dr.Annotations[deliveredAnnotation] == "" {
		t.Errorf("the request is not marked delivered: %v %v", dr.Annotations, err)
	}

	second := filepath.Join(dir, "again.json")
	r = run("request", "export", "req-export", "--kubeconfig", kubeconfig, "-o", second)
	if r.code != 1 || !strings.Contains(r.stderr, "already delivered") {
		t.Errorf("second export: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("the second export wrote a file (%v)", err)
	}

	// An existing file is never overwritten, and the export stays for a second try.
	kept := answeredAccess(t, kubeconfig, "req-export-exists", time.Now().Add(-time.Hour))
	r = run("request", "export", "req-export-exists", "--kubeconfig", kubeconfig, "-o", file)
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("onto an existing file: exit %d, %s", r.code, r.stderr)
	}
	if err := admin.Get(t.Context(), client.ObjectKeyFromObject(kept), &corev1.Secret{}); err != nil {
		t.Errorf("a refused export deleted the export Secret: %v", err)
	}

	// Past the export's time to live (7 days by default) it is refused.
	answeredAccess(t, kubeconfig, "req-export-expired", time.Now().Add(-8*24*time.Hour))
	r = run("request", "export", "req-export-expired", "--kubeconfig", kubeconfig, "-o", filepath.Join(dir, "expired.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "expired") {
		t.Errorf("an expired export: exit %d, %s", r.code, r.stderr)
	}
}

func TestRequestReceiptIsVerifiedAgainstTheJobResult(t *testing.T) {
	kubeconfig := needsCluster(t)
	const message = `{"ok":true,"task":"erase","totals":{"erased":2,"found":3}}`
	dr := createRequest(t, kubeconfig, "req-receipt", "Erasure", "GDPR", "2026-11-28T09:00:00Z")
	jobName := "dr-req-receipt"
	ok := true
	at := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	setStatus(t, dr, workspacesv1alpha1.DataRequestStatus{Phase: workspacesv1alpha1.RequestPhaseCompleted,
		Jobs:   []workspacesv1alpha1.JobRecord{{Name: jobName, Task: "erase", StartTime: &at, CompletionTime: &at, Succeeded: &ok}},
		Result: &workspacesv1alpha1.RequestResult{CompletedAt: &at, ReceiptSHA256: controllers.JobReceipt(message)}})

	r := run("request", "receipt", "req-receipt", "--kubeconfig", kubeconfig)
	if r.code != 0 || !strings.Contains(r.stdout, "Job tenant-acme/"+jobName+" is gone") {
		t.Errorf("without the Job: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}

	spec := corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "worker", Image: "worker"}}}
	// Suspended: the Job controller makes no Pod of its own beside the one the test makes.
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: jobName, Namespace: "tenant-acme"},
		Spec: batchv1.JobSpec{Suspend: ptr.To(true), Template: corev1.PodTemplateSpec{Spec: spec}}}
	if err := admin.Create(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: jobName + "-x", Namespace: "tenant-acme", Labels: map[string]string{batchv1.JobNameLabel: jobName}}, Spec: spec}
	if err := admin.Create(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "worker", Image: "worker",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Message: message}}}}
	if err := admin.Status().Update(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	r = run("request", "receipt", "req-receipt", "--kubeconfig", kubeconfig)
	if r.code != 0 || !strings.Contains(r.stdout, "receiptSHA256: "+controllers.JobReceipt(message)) || !strings.Contains(r.stdout, "check: verified") {
		t.Errorf("with the Job's Pod: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}

	// A receipt that does not match what the Job left is said, with exit code 1.
	dr.Status.Result.ReceiptSHA256 = controllers.JobReceipt(message + " ")
	if err := admin.Status().Update(t.Context(), dr); err != nil {
		t.Fatal(err)
	}
	r = run("request", "receipt", "req-receipt", "--kubeconfig", kubeconfig)
	if r.code != 1 || !strings.Contains(r.stdout, "check: mismatch") {
		t.Errorf("a wrong receipt: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	saved := filepath.Join(t.TempDir(), "result.json")
	if err := os.WriteFile(saved, []byte(message+" "), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run("request", "receipt", "req-receipt", "--kubeconfig", kubeconfig, "--result-file", saved); r.code != 0 || !strings.Contains(r.stdout, "verified") {
		t.Errorf("--result-file: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
}
