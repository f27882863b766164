package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
)

// The subject's identifiers: the tests look for them where they must never appear.
const (
	subjectEmail   = "jane.doe@buyer.example"
	subjectBuyerID = "TikTokShop:7000123456789"
)

// privacyNamespace is where the privacy team keeps subject Secrets.
const privacyNamespace = "privacy"

func subjectSecret(t *testing.T, name string, data map[string]string) {
	t.Helper()
	ctx := context.Background()
	_ = k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: privacyNamespace}})
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: privacyNamespace}, StringData: data}
	if err := k8s.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, s) })
}

func newRequest(name, tenant string, typ workspacesv1alpha1.RequestType, mutate ...func(*workspacesv1alpha1.DataRequest)) *workspacesv1alpha1.DataRequest {
	dr := &workspacesv1alpha1.DataRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: workspacesv1alpha1.DataRequestSpec{
			TenantRef:    workspacesv1alpha1.TenantReference{Name: tenant},
			Type:         typ,
			Subject:      workspacesv1alpha1.Subject{SecretRef: workspacesv1alpha1.SecretReference{Name: name + "-subject", Namespace: privacyNamespace}},
			Jurisdiction: workspacesv1alpha1.JurisdictionGDPR,
		},
	}
	for _, m := range mutate {
		m(dr)
	}
	return dr
}

// fileRequest creates the subject Secret and the DataRequest, and deletes them at the end.
func fileRequest(t *testing.T, dr *workspacesv1alpha1.DataRequest, subject map[string]string) {
	t.Helper()
	if subject != nil {
		subjectSecret(t, dr.Spec.Subject.SecretRef.Name, subject)
	}
	if err := k8s.Create(context.Background(), dr); err != nil {
		t.Fatalf("creating DataRequest: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), dr) })
}

func getRequest(t *testing.T, name string) *workspacesv1alpha1.DataRequest {
	t.Helper()
	dr := &workspacesv1alpha1.DataRequest{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, dr); err != nil {
		t.Fatal(err)
	}
	return dr
}

func requestPhase(name string, phase workspacesv1alpha1.RequestPhase) func() error {
	return func() error {
		dr := &workspacesv1alpha1.DataRequest{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, dr); err != nil {
			return err
		}
		if dr.Status.Phase != phase {
			return fmt.Errorf("DataRequest %s is %q (conditions %+v), want %s", name, dr.Status.Phase, dr.Status.Conditions, phase)
		}
		return nil
	}
}

func requestCondition(name, typ string, status metav1.ConditionStatus, reason string) func() error {
	return func() error {
		dr := &workspacesv1alpha1.DataRequest{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, dr); err != nil {
			return err
		}
		c := meta.FindStatusCondition(dr.Status.Conditions, typ)
		if c == nil || c.Status != status || (reason != "" && c.Reason != reason) {
			return fmt.Errorf("DataRequest %s: %s = %+v, want %s (%s)", name, typ, c, status, reason)
		}
		return nil
	}
}

func requestJobs(t *testing.T, ns, dr string) []batchv1.Job {
	t.Helper()
	return jobsOf(t, ns, client.MatchingLabels{DataRequestLabel: dr})
}

// assertNoSubjectLeak checks that the subject's identifiers reached none of status, events, Job specs or the
// operator's log.
func assertNoSubjectLeak(t *testing.T, ns string, dr *workspacesv1alpha1.DataRequest) {
	t.Helper()
	email := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(subjectEmail))
	buyer := regexp.MustCompile(regexp.QuoteMeta(strings.SplitN(subjectBuyerID, ":", 2)[1]))
	check := func(where string, data []byte) {
		if email.Match(data) || buyer.Match(data) {
			t.Errorf("a subject identifier appears in %s", where)
		}
	}
	raw, _ := json.Marshal(getRequest(t, dr.Name).Status)
	check("the DataRequest's status", raw)
	events := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(events.Items)
	check("events", raw)
	jobs := &batchv1.JobList{}
	if err := k8s.List(context.Background(), jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(jobs.Items)
	check("Job specs", raw)
	check("the operator's log", []byte(logBuffer.String()))
}

func TestErasureRunsOneJobAndRecordsItsResult(t *testing.T) {
	needsCluster(t)
	tenant := "erasure"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"}
	}))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	dr := newRequest("erase-jane", tenant, workspacesv1alpha1.RequestErasure)
	fileRequest(t, dr, map[string]string{"email": subjectEmail, "buyer_ids": subjectBuyerID})

	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseRunning))
	jobs := requestJobs(t, ns, dr.Name)
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs, want 1", len(jobs))
	}
	job := jobs[0]
	pod := job.Spec.Template.Spec
	if got := strings.Join(pod.Containers[0].Args, " "); got != "worker erase --tenant=erasure --subject-dir=/var/run/workspace/subject"+
		" --hmac-key-file=/var/run/workspace/hmac/key --database-dsn-file=/var/run/workspace/database/dsn" {
		t.Errorf("args = %q", got)
	}
	if pod.NodeSelector[regionNodeLabel] != "eu-central-1" || *pod.AutomountServiceAccountToken {
		t.Errorf("the erase Pod is not pinned to the region or mounts a token: %+v", pod)
	}
	live := getRequest(t, dr.Name)
	if live.Status.DueAt == nil || !live.Status.DueAt.Time.Equal(addPeriod(live.CreationTimestamp.Time, 1, 0).UTC()) {
		t.Errorf("dueAt = %v, want one month after creation %v", live.Status.DueAt, live.CreationTimestamp)
	}
	if err := exists(&corev1.Secret{}, subjectCopyName(dr.Name), ns)(); err != nil {
		t.Fatalf("the Job has no subject Secret to read: %v", err)
	}

	result := `{"task":"erase","ok":true,"counts":{"orders":{"found":3,"erased":0,"anonymized":3,"held":0},"shipping":{"found":2,"erased":2,"anonymized":0,"held":0}},"totals":{"found":5,"erased":2,"anonymized":3,"held":0},"completedAt":"2026-11-28T12:00:00Z"}`
	finishJobPods(t, ns, job.Name, corev1.PodSucceeded, result)
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseCompleted))
	live = getRequest(t, dr.Name)
	sum := sha256.Sum256([]byte(result))
	r := live.Status.Result
	if r == nil || r.RecordsFound != 5 || r.RecordsErased != 2 || r.RecordsAnonymized != 3 || r.ReceiptSHA256 != hex.EncodeToString(sum[:]) || r.CompletedAt == nil {
		t.Errorf("result = %+v, want the Job's counts and the SHA-256 of its result", r)
	}
	for _, check := range []func() error{
		requestCondition(dr.Name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonCompleted),
		requestCondition(dr.Name, workspacesv1alpha1.ConditionBlocked, metav1.ConditionFalse, ""),
		requestCondition(dr.Name, workspacesv1alpha1.ConditionOverdue, metav1.ConditionFalse, ""),
	} {
		if err := check(); err != nil {
			t.Error(err)
		}
	}
	eventually(t, waitTimeout, gone(&corev1.Secret{}, subjectCopyName(dr.Name), ns))
	if js := live.Status.Jobs; len(js) != 1 || js[0].Succeeded == nil || !*js[0].Succeeded {
		t.Errorf("jobs = %+v", js)
	}
	assertNoSubjectLeak(t, ns, dr)
	if n := len(requestJobs(t, ns, dr.Name)); n != 1 {
		t.Errorf("%d Jobs after completion, want 1", n)
	}
}

func TestOperatorRestartMidRequestCreatesNoSecondJob(t *testing.T) {
	needsCluster(t)
	tenant := "restart"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	dr := newRequest("rectify-jane", tenant, workspacesv1alpha1.RequestRectification)
	fileRequest(t, dr, map[string]string{"email": subjectEmail, "corrections.json": `{"phone":"+44 20 7946 0000"}`})
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseRunning))

	if err := operator.stop(); err != nil {
		t.Fatalf("stopping the operator: %v", err)
	}
	var err error
	if operator, err = startOperator(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	jobs := requestJobs(t, ns, dr.Name)
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs after a restart, want the one", len(jobs))
	}
	if got := jobs[0].Spec.Template.Spec.Containers[0].Args[1]; got != "rectify" {
		t.Errorf("task = %s, want rectify", got)
	}
	finishJobPods(t, ns, jobs[0].Name, corev1.PodSucceeded, `{"task":"rectify","ok":true,"counts":{"orders":1},"totals":{"corrected":1},"completedAt":"2026-11-28T12:00:00Z"}`)
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseCompleted))
	if r := getRequest(t, dr.Name).Status.Result; r.RecordsCorrected != 1 {
		t.Errorf("recordsCorrected = %d", r.RecordsCorrected)
	}
}

func TestLegalHoldsBlockErasureOfHeldCategories(t *testing.T) {
	needsCluster(t)
	tenant := "holds"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.LegalHolds = []workspacesv1alpha1.LegalHold{
			{Name: "case-42", Reason: "litigation", Categories: []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategoryOrders}},
			{Name: "expired", Reason: "old audit", Until: &metav1.Time{Time: time.Now().Add(-time.Hour)}},
		}
	}))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)

	t.Run("everything targeted is held", func(t *testing.T) {
		dr := newRequest("erase-held", tenant, workspacesv1alpha1.RequestErasure, func(dr *workspacesv1alpha1.DataRequest) {
			dr.Spec.Scope = &workspacesv1alpha1.RequestScope{Categories: []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategoryOrders}}
		})
		fileRequest(t, dr, map[string]string{"email": subjectEmail})
		eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseBlocked))
		if err := requestCondition(dr.Name, workspacesv1alpha1.ConditionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonAllHeld)(); err != nil {
			t.Error(err)
		}
		if n := len(requestJobs(t, ns, dr.Name)); n != 0 {
			t.Errorf("%d Jobs ran for a request whose categories are all held", n)
		}
		if r := getRequest(t, dr.Name).Status.Result; r == nil || len(r.HeldCategories) != 1 || r.ReceiptSHA256 == "" {
			t.Errorf("result = %+v, want the held category and a receipt", r)
		}
	})
	t.Run("some categories held", func(t *testing.T) {
		dr := newRequest("erase-partly", tenant, workspacesv1alpha1.RequestErasure)
		fileRequest(t, dr, map[string]string{"email": subjectEmail})
		eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseRunning))
		job := requestJobs(t, ns, dr.Name)[0]
		args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ")
		if !strings.Contains(args, "--held-categories=orders") || strings.Contains(args, "products") {
			t.Errorf("args = %q, want only the active hold's category held (the expired hold no longer counts)", args)
		}
		finishJobPods(t, ns, job.Name, corev1.PodSucceeded, `{"task":"erase","ok":true,"counts":{"shipping":{"found":1,"erased":1,"anonymized":0,"held":0},"orders":{"found":2,"erased":0,"anonymized":0,"held":2}},"totals":{"found":3,"erased":1,"anonymized":0,"held":2},"held":["orders"],"completedAt":"2026-11-28T12:00:00Z"}`)
		eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseCompleted))
		eventually(t, waitTimeout, requestCondition(dr.Name, workspacesv1alpha1.ConditionBlocked, metav1.ConditionTrue, workspacesv1alpha1.ReasonPartiallyHeld))
		if r := getRequest(t, dr.Name).Status.Result; r.RecordsErased != 1 || len(r.HeldCategories) != 1 || r.HeldCategories[0] != workspacesv1alpha1.CategoryOrders {
			t.Errorf("result = %+v", r)
		}
	})
}

func TestAccessExportIsKeptForItsTimeToLive(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	tenant := "access"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	dr := newRequest("export-jane", tenant, workspacesv1alpha1.RequestAccess, func(dr *workspacesv1alpha1.DataRequest) {
		dr.Spec.Jurisdiction = workspacesv1alpha1.JurisdictionCCPA
	})
	fileRequest(t, dr, map[string]string{"email": subjectEmail})
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseRunning))
	if live := getRequest(t, dr.Name); live.Status.AcknowledgeBy == nil {
		t.Error("a CCPA request has no acknowledgeBy")
	}
	exportNS, exportName := opConfig.Privacy.ExportNamespace, exportSecretName(dr.Name)
	for _, check := range []func() error{
		exists(&corev1.Secret{}, exportName, exportNS), exists(&rbacv1.Role{}, exportName, exportNS), exists(&rbacv1.RoleBinding{}, exportName, exportNS),
	} {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
	role := &rbacv1.Role{}
	_ = k8s.Get(ctx, client.ObjectKey{Namespace: exportNS, Name: exportName}, role)
	if fmt.Sprint(role.Rules[0].ResourceNames) != "["+exportName+"]" {
		t.Errorf("the export Job may write more than its Secret: %+v", role.Rules)
	}
	job := requestJobs(t, ns, dr.Name)[0]
	if !*job.Spec.Template.Spec.AutomountServiceAccountToken || !strings.Contains(strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "), "--export-secret="+exportNS+"/"+exportName) {
		t.Errorf("the export Job cannot write its export: %+v", job.Spec.Template.Spec)
	}
	finishJobPods(t, ns, job.Name, corev1.PodSucceeded, `{"task":"export","ok":true,"counts":{"orders":4},"totals":{"records":4},"sha256":"ab12","bytes":1200,"exportSecret":"workspace-operator-system/dr-export-jane-export","completedAt":"2026-11-28T12:00:00Z"}`)
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseCompleted))
	if r := getRequest(t, dr.Name).Status.Result; r.ExportSecret != exportNS+"/"+exportName || r.RecordsFound != 4 {
		t.Errorf("result = %+v", r)
	}

	clock.Advance(opConfig.Privacy.ExportTTL.Duration + time.Minute)
	t.Cleanup(func() { clock.Advance(-(opConfig.Privacy.ExportTTL.Duration + time.Minute)) })
	operatorReconcileRequest(t, dr.Name)
	eventually(t, waitTimeout, gone(&corev1.Secret{}, exportName, exportNS))
	eventually(t, waitTimeout, gone(&rbacv1.Role{}, exportName, exportNS))
	eventually(t, waitTimeout, func() error {
		if r := getRequest(t, dr.Name).Status.Result; r.ExportSecret != "" {
			return fmt.Errorf("exportSecret still %q", r.ExportSecret)
		}
		return nil
	})
}

// operatorReconcileRequest wakes the operator for a DataRequest now, as its requeue at a due time would once
// the test has moved the clock: the Pods of the request's Job are watched, so touching one does it.
func operatorReconcileRequest(t *testing.T, name string) {
	t.Helper()
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.MatchingLabels{DataRequestLabel: name}); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		base := p.DeepCopy()
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations["test/touch"] = time.Now().String()
		if err := k8s.Patch(context.Background(), &p, client.MergeFrom(base)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestrictionIsInForceUntilTheRequestIsDeleted(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	tenant := "restrict"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	dr := newRequest("object-jane", tenant, workspacesv1alpha1.RequestObjection)
	fileRequest(t, dr, map[string]string{"email": subjectEmail, "buyer_ids": subjectBuyerID})
	eventually(t, waitTimeout, requestPhase(dr.Name, workspacesv1alpha1.RequestPhaseCompleted))
	eventually(t, waitTimeout, requestCondition(dr.Name, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, workspacesv1alpha1.ReasonRestrictionInForce))

	cm := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: contract.RestrictionListConfigMap}, cm); err != nil {
		t.Fatal(err)
	}
	var pseudonyms []string
	if err := json.Unmarshal([]byte(cm.Data[restrictionKey(dr.Name)]), &pseudonyms); err != nil {
		t.Fatalf("restriction list entry: %v (%q)", err, cm.Data)
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	if len(pseudonyms) != 2 || !hex64.MatchString(pseudonyms[0]) || !hex64.MatchString(pseudonyms[1]) {
		t.Errorf("restriction list entry = %v, want two pseudonyms", pseudonyms)
	}
	raw, _ := json.Marshal(cm)
	if strings.Contains(string(raw), subjectEmail) {
		t.Error("the restriction list holds the subject's email")
	}
	// Every sync reads the list.
	i := newIntegration("shop", ns)
	if err := k8s.Create(ctx, i); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, exists(&batchv1.CronJob{}, "shop-orders", ns))
	cj := &batchv1.CronJob{}
	_ = k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-orders"}, cj)
	mounted := false
	for _, v := range cj.Spec.JobTemplate.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == contract.RestrictionListConfigMap {
			mounted = true
		}
	}
	if !mounted {
		t.Error("the sync CronJob does not mount the restriction list")
	}
	assertNoSubjectLeak(t, ns, dr)

	if err := k8s.Delete(ctx, dr); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, gone(&workspacesv1alpha1.DataRequest{}, dr.Name, ""))
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: contract.RestrictionListConfigMap}, cm); err != nil {
		t.Fatal(err)
	}
	if _, still := cm.Data[restrictionKey(dr.Name)]; still {
		t.Error("deleting the DataRequest did not lift the restriction")
	}
}

func TestOverdueRequestsAreFlagged(t *testing.T) {
	needsCluster(t)
	tenant := "late"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	dr := newRequest("late-jane", tenant, workspacesv1alpha1.RequestErasure, func(dr *workspacesv1alpha1.DataRequest) {
		dr.Spec.ReceivedAt = &metav1.Time{Time: time.Now().Add(-40 * 24 * time.Hour)}
	})
	fileRequest(t, dr, map[string]string{"email": subjectEmail})
	eventually(t, waitTimeout, requestCondition(dr.Name, workspacesv1alpha1.ConditionOverdue, metav1.ConditionTrue, workspacesv1alpha1.ReasonOverdue))

	onTime := newRequest("ontime-jane", tenant, workspacesv1alpha1.RequestErasure, func(dr *workspacesv1alpha1.DataRequest) {
		dr.Spec.Jurisdiction = workspacesv1alpha1.JurisdictionLGPD
	})
	fileRequest(t, onTime, map[string]string{"email": subjectEmail})
	eventually(t, waitTimeout, requestCondition(onTime.Name, workspacesv1alpha1.ConditionOverdue, metav1.ConditionFalse, workspacesv1alpha1.ReasonOnTime))
	// Sixteen days later the LGPD deadline (15 days) has passed.
	clock.Advance(16 * 24 * time.Hour)
	t.Cleanup(func() { clock.Advance(-16 * 24 * time.Hour) })
	operatorReconcileRequest(t, onTime.Name)
	eventually(t, waitTimeout, requestCondition(onTime.Name, workspacesv1alpha1.ConditionOverdue, metav1.ConditionTrue, workspacesv1alpha1.ReasonOverdue))

	m := NewMetrics(k8s, clock.Now, opConfig.NamespacePrefix)
	families := gatherMetrics(t, m)
	if got := families["workspace_datarequests_overdue"]; got < 2 {
		t.Errorf("workspace_datarequests_overdue = %v, want at least 2", got)
	}
	if got, ok := families["workspace_datarequest_next_deadline_seconds"]; !ok || got >= 0 {
		t.Errorf("workspace_datarequest_next_deadline_seconds = %v, want negative (past due)", got)
	}
}

func TestRequestsWithMissingReferencesStall(t *testing.T) {
	needsCluster(t)
	dr := newRequest("orphan", "no-such-tenant", workspacesv1alpha1.RequestAccess)
	fileRequest(t, dr, map[string]string{"email": subjectEmail})
	eventually(t, waitTimeout, requestCondition(dr.Name, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonTenantMissing))

	tenant := "nosubject"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	waitReady(t, tenant)
	missing := newRequest("missing-subject", tenant, workspacesv1alpha1.RequestErasure)
	fileRequest(t, missing, nil)
	eventually(t, waitTimeout, requestCondition(missing.Name, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonSubjectMissing))
	if n := len(requestJobs(t, namespaceOf(tenant), missing.Name)); n != 0 {
		t.Errorf("%d Jobs for a request without a subject", n)
	}
}

func TestRequestDefinitionIsImmutable(t *testing.T) {
	needsCluster(t)
	tenant := "immutable"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant))
	dr := newRequest("fixed", tenant, workspacesv1alpha1.RequestAccess)
	fileRequest(t, dr, map[string]string{"email": subjectEmail})
	for field, mutate := range map[string]func(*workspacesv1alpha1.DataRequest){
		"type is immutable":         func(d *workspacesv1alpha1.DataRequest) { d.Spec.Type = workspacesv1alpha1.RequestErasure },
		"tenantRef is immutable":    func(d *workspacesv1alpha1.DataRequest) { d.Spec.TenantRef.Name = "other" },
		"jurisdiction is immutable": func(d *workspacesv1alpha1.DataRequest) { d.Spec.Jurisdiction = workspacesv1alpha1.JurisdictionCCPA },
		"subject is immutable":      func(d *workspacesv1alpha1.DataRequest) { d.Spec.Subject.SecretRef.Name = "x" },
	} {
		var err error
		for range 20 { // the operator writes the object too: retry on conflicts
			live := getRequest(t, dr.Name)
			mutate(live)
			if err = k8s.Update(context.Background(), live); !apierrors.IsConflict(err) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}

func TestRetentionCronJobCarriesRulesAndActiveHolds(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	tenant := "retention"
	cleanupTenant(t, tenant)
	until := metav1.NewTime(time.Now().Add(48 * time.Hour).Truncate(time.Second))
	createTenant(t, newTenant(tenant, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Retention = []workspacesv1alpha1.RetentionRule{{Category: workspacesv1alpha1.CategoryLogs, KeepDays: 30}, {Category: workspacesv1alpha1.CategoryOrders, KeepDays: 2555}}
		tn.Spec.LegalHolds = []workspacesv1alpha1.LegalHold{{Name: "audit", Reason: "tax audit", Categories: []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategoryLogs}, Until: &until}}
	}))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	args := func() string {
		cj := &batchv1.CronJob{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: retentionCronJobName}, cj); err != nil {
			return err.Error()
		}
		return strings.Join(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, " ")
	}
	want := "worker retention --tenant=retention --keep=orders=2555,logs=30 --database-dsn-file=/var/run/workspace/database/dsn"
	eventually(t, waitTimeout, func() error {
		if got := args(); got != strings.Replace(want, " --database", " --held-categories=logs --database", 1) {
			return fmt.Errorf("args = %q", got)
		}
		return nil
	})
	cj := &batchv1.CronJob{}
	_ = k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: retentionCronJobName}, cj)
	if cj.Spec.Schedule != opConfig.Privacy.RetentionSchedule || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("retention CronJob spec = %+v", cj.Spec)
	}

	// The hold expires; nobody edits the Tenant.
	clock.Advance(49 * time.Hour)
	t.Cleanup(func() { clock.Advance(-49 * time.Hour) })
	updateTenant(t, tenant, func(tn *workspacesv1alpha1.Tenant) { tn.Annotations = map[string]string{"test/touch": "requeue"} })
	eventually(t, waitTimeout, func() error {
		if got := args(); got != want {
			return fmt.Errorf("args = %q, want the expired hold gone", got)
		}
		return nil
	})

	updateTenant(t, tenant, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Retention = nil })
	eventually(t, waitTimeout, gone(&batchv1.CronJob{}, retentionCronJobName, ns))
}

func TestClosurePurgeFailureKeepsTheNamespaceAndIsRetried(t *testing.T) {
	needsCluster(t)
	ctx := context.Background()
	tenant := "purgefail"
	cleanupTenant(t, tenant)
	createTenant(t, newTenant(tenant, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.LegalHolds = []workspacesv1alpha1.LegalHold{{Name: "case-7", Reason: "dispute", Categories: []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategorySupport}}}
	}))
	waitReady(t, tenant)
	ns := namespaceOf(tenant)
	updateTenant(t, tenant, func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed
		tn.Annotations = map[string]string{workspacesv1alpha1.ConfirmPurgeAnnotation: tenant}
	})
	eventually(t, waitTimeout, exists(&batchv1.Job{}, tenantPurgeJobName, ns))
	job := &batchv1.Job{}
	_ = k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: tenantPurgeJobName}, job)
	if args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); !strings.HasPrefix(args, "worker purge --tenant=purgefail") || !strings.Contains(args, "--held-categories=support") {
		t.Errorf("purge args = %q, want the tenant and its held categories", args)
	}
	finishJobPods(t, ns, tenantPurgeJobName, corev1.PodFailed, `{"task":"purge","ok":false,"error":"database unreachable"}`)
	// The failure is shown and retried with backoff, as an Integration's purge is; the namespace stays meanwhile.
	eventually(t, waitTimeout, conditionIs(tenant, workspacesv1alpha1.ConditionReady, metav1.ConditionFalse, workspacesv1alpha1.ReasonPurgeFailed))
	live := getTenant(t, tenant)
	if msg := findConditionMessage(live, workspacesv1alpha1.ConditionReconciling); !strings.Contains(msg, "database unreachable") || !strings.Contains(msg, "retrying at") {
		t.Errorf("Reconciling message %q does not say why and when it is retried", msg)
	}
	if c := live.Status.Closure; c == nil || c.Attempts != 1 || c.NextAttemptAt == nil || c.PurgeJob != tenantPurgeJobName {
		t.Errorf("closure status = %+v, want one failed attempt of %s and the next attempt's time", c, tenantPurgeJobName)
	}
	if findConditionMessage(live, workspacesv1alpha1.ConditionStalled) != "" {
		t.Errorf("a purge that is retried is not Stalled")
	}
	consistently(t, 2*time.Second, exists(nsObj(), ns, ""))

	// The backoff passes; the next attempt runs and succeeds.
	clock.Advance(purgeRetryBase + time.Second)
	t.Cleanup(func() { clock.Advance(-(purgeRetryBase + time.Second)) })
	updateTenant(t, tenant, func(tn *workspacesv1alpha1.Tenant) { tn.Annotations["test/touch"] = "retry" })
	eventually(t, waitTimeout, func() error {
		j := &batchv1.Job{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: tenantPurgeJobName}, j); err != nil {
			return err
		}
		if j.UID == job.UID {
			return fmt.Errorf("still the failed Job")
		}
		return nil
	})
	finishJobPods(t, ns, tenantPurgeJobName, corev1.PodSucceeded, `{"task":"purge","ok":true}`)
	eventually(t, 2*waitTimeout, gone(nsObj(), ns, ""))
	eventually(t, waitTimeout, func() error {
		if tn := getTenant(t, tenant); tn.Status.Closure == nil || tn.Status.Closure.PurgedAt == nil {
			return fmt.Errorf("no purgedAt yet")
		}
		return nil
	})
}
