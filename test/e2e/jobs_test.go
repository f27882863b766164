//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

var allFeatures = []workspacesv1alpha1.FeatureName{workspacesv1alpha1.FeatureProducts, workspacesv1alpha1.FeatureOrders,
	workspacesv1alpha1.FeatureFulfillment, workspacesv1alpha1.FeatureReturns}

// integration is an Integration of the given features (default: all), granted exactly the scopes the
// operator's catalog asks for them.
func integration(ns, name string, provider workspacesv1alpha1.Provider, account, remoteKey string, features ...workspacesv1alpha1.FeatureName) *workspacesv1alpha1.Integration {
	if len(features) == 0 {
		features = allFeatures
	}
	i := &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: provider, Account: workspacesv1alpha1.AccountRef{ID: account, Region: "DE"},
			Scopes: realnode.Scopes(provider, features...), Credentials: workspacesv1alpha1.CredentialsSpec{RemoteKey: remoteKey},
			OnDisconnect: workspacesv1alpha1.OnDisconnectPurge,
		},
	}
	for _, f := range features {
		i.Spec.Features = append(i.Spec.Features, workspacesv1alpha1.Feature{Name: f})
	}
	return i
}

// workerResult is the part of a worker's JSON result the suite reads.
type workerResult struct {
	Task   string `json:"task"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
	Counts struct {
		Fetched int `json:"fetched"`
		Written int `json:"written"`
	} `json:"counts"`
	Totals         map[string]int64 `json:"totals"`
	TokenExpiresAt string           `json:"tokenExpiresAt"`
}

func parseResult(t *testing.T, msg string) workerResult {
	t.Helper()
	var r workerResult
	if err := json.Unmarshal([]byte(msg), &r); err != nil {
		t.Fatalf("termination message is not the worker's JSON result: %v: %q", err, msg)
	}
	return r
}

// syncNow asks for one sync of every feature and returns each feature's worker result, once every Job ended.
func syncNow(t *testing.T, i *workspacesv1alpha1.Integration, value string) map[workspacesv1alpha1.FeatureName]workerResult {
	t.Helper()
	must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
	base := i.DeepCopy()
	if i.Annotations == nil {
		i.Annotations = map[string]string{}
	}
	i.Annotations[workspacesv1alpha1.SyncNowAnnotation] = value
	must(t, s.C.Patch(s.Ctx, i, client.MergeFrom(base)), "asking for a sync")
	results := map[workspacesv1alpha1.FeatureName]workerResult{}
	sum := sha256.Sum256([]byte(value))
	for _, f := range allFeatures {
		// Each sync-now value starts one Job per feature, named <integration>-<feature>-n<hash of the value>.
		job := fmt.Sprintf("%s-%s-n%s", i.Name, f, hex.EncodeToString(sum[:])[:7])
		ok, msg := jobTerminationMessage(t, i.Namespace, job, 3*time.Minute)
		r := parseResult(t, msg)
		if !ok || !r.OK {
			t.Fatalf("sync of %s/%s failed: %s", i.Name, f, msg)
		}
		results[f] = r
	}
	return results
}

func TestEveryJobKindRunsForReal(t *testing.T) {
	now := time.Now()
	alice, bob := tiktokshoptest.NewBuyer("alice"), tiktokshoptest.NewBuyer("bob")
	s.TikTok.AddOrder("5761000000000000001", alice, "COMPLETED", now.Add(-time.Hour))
	s.TikTok.AddOrder("5761000000000000002", bob, "COMPLETED", now.Add(-2*time.Hour))
	// Old enough for the retention rule below (orders kept 30 days).
	s.TikTok.AddOrder("5761000000000000003", bob, "COMPLETED", now.Add(-90*24*time.Hour))
	s.TikTok.AddProduct("1729000000000000001", "Mug", now.Add(-time.Hour))
	s.TikTok.AddPackage("1152000000000000001", "5761000000000000001", now.Add(-time.Hour))
	s.TikTok.AddReturn("4035000000000000001", "5761000000000000001", now.Add(-time.Hour))
	carol := aliexpresstest.NewBuyer("carol")
	s.Ali.AddOrder("8190000000000001", carol, "FINISH", now.Add(-time.Hour))
	s.Ali.AddProduct("1005000000000001", "Teapot", now.Add(-time.Hour))
	s.Ali.AddIssue("9000000000000001", "8190000000000001", carol, "processing", now.Add(-time.Hour))

	tn := newTenant(t, "shop", nil)
	ns := tn.Status.Namespace
	tiktok := integration(ns, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/main")
	ali := integration(ns, "aliexpress", workspacesv1alpha1.ProviderAliExpress, s.Ali.SellerID, "aliexpress/main")
	for _, i := range []*workspacesv1alpha1.Integration{tiktok, ali} {
		must(t, s.C.Create(s.Ctx, i), "creating Integration", i.Name)
		eventually(t, 2*time.Minute, "Integration "+i.Name+" Ready", func() (bool, string) {
			if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i); err != nil {
				return false, err.Error()
			}
			return conditionTrue(i.Status.Conditions, workspacesv1alpha1.ConditionReady)
		})
	}
	schema := "tenant_shop"

	t.Run("sync of every feature, both platforms, through ESO's credentials", func(t *testing.T) {
		first := syncNow(t, tiktok, "1")
		if first[workspacesv1alpha1.FeatureOrders].Counts.Written != 3 {
			t.Errorf("first TikTok orders sync wrote %d records, want 3", first[workspacesv1alpha1.FeatureOrders].Counts.Written)
		}
		syncNow(t, ali, "1")
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE integration = 'tiktok'"); n != 3 {
			t.Errorf("TikTok orders in PostgreSQL: %d, want 3", n)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE integration = 'aliexpress'"); n != 1 {
			t.Errorf("AliExpress orders in PostgreSQL: %d, want 1", n)
		}
		for _, table := range []string{"products", "shipments", "returns"} {
			if n := query(t, "SELECT count(*) FROM "+schema+"."+table); n == 0 {
				t.Errorf("no rows in %s after syncing every feature", table)
			}
		}
		second := syncNow(t, tiktok, "2")
		for f, r := range second {
			if r.Counts.Written != 0 {
				t.Errorf("second sync of %s wrote %d records; nothing changed on the platform", f, r.Counts.Written)
			}
		}
	})

	t.Run("erasure: the subject's rows are gone and the receipt is the hash of the Job's result", func(t *testing.T) {
		dr := dataRequest(t, "erase-alice", workspacesv1alpha1.RequestErasure, map[string]string{
			"email": alice.Email, "buyer_ids": "TikTokShop:" + alice.UserID + "\n",
		})
		done := waitForRequest(t, dr)
		if done.Status.Phase != workspacesv1alpha1.RequestPhaseCompleted {
			t.Fatalf("Erasure ended %s: %+v", done.Status.Phase, done.Status.Conditions)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE buyer_email = $1 OR buyer_user_id = $2", alice.Email, alice.UserID); n != 0 {
			t.Errorf("%d orders still carry the erased buyer's identity", n)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE buyer_user_id = $1", bob.UserID); n == 0 {
			t.Errorf("the erasure took another buyer's orders too")
		}
		msg := podMessage(t, ns, done.Status.Jobs[0].Name)
		sum := sha256.Sum256([]byte(msg))
		if got := done.Status.Result.ReceiptSHA256; got != hex.EncodeToString(sum[:]) {
			t.Errorf("receiptSHA256 %s is not the SHA-256 of the Pod's termination message (%s)", got, hex.EncodeToString(sum[:]))
		}
	})

	t.Run("access: the export Job writes the export Secret through the API server", func(t *testing.T) {
		dr := dataRequest(t, "access-bob", workspacesv1alpha1.RequestAccess, map[string]string{
			"email": bob.Email, "buyer_ids": "TikTokShop:" + bob.UserID + "\n",
		})
		done := waitForRequest(t, dr)
		if done.Status.Phase != workspacesv1alpha1.RequestPhaseCompleted || done.Status.Result == nil || done.Status.Result.ExportSecret == "" {
			t.Fatalf("Access ended %s with result %+v", done.Status.Phase, done.Status.Result)
		}
		export := &corev1.Secret{}
		ns, name, _ := strings.Cut(done.Status.Result.ExportSecret, "/")
		must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: name}, export), "reading the export")
		if len(export.Data) == 0 {
			t.Errorf("export Secret %s is empty", export.Name)
		}
		if done.Status.Result.RecordsFound == 0 {
			t.Errorf("the export found no record of a buyer with orders")
		}
	})

	t.Run("rectification: the subject's name is corrected", func(t *testing.T) {
		dr := dataRequest(t, "rectify-bob", workspacesv1alpha1.RequestRectification, map[string]string{
			"email": bob.Email, "buyer_ids": "TikTokShop:" + bob.UserID + "\n", "corrections.json": `{"name":"Robert Example"}`,
		})
		done := waitForRequest(t, dr)
		if done.Status.Phase != workspacesv1alpha1.RequestPhaseCompleted {
			t.Fatalf("Rectification ended %s: %+v", done.Status.Phase, done.Status.Conditions)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE buyer_user_id = $1 AND buyer_name = 'Robert Example'", bob.UserID); n == 0 {
			t.Errorf("no order of the subject carries the corrected name")
		}
	})

	t.Run("retention: the CronJob runs on its schedule and removes orders older than the rule", func(t *testing.T) {
		// A retention rule added now: the CronJob appears and, scheduled every minute, starts a Job.
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(tn), tn))
		base := tn.DeepCopy()
		tn.Spec.Retention = []workspacesv1alpha1.RetentionRule{{Category: workspacesv1alpha1.CategoryOrders, KeepDays: 30}}
		must(t, s.C.Patch(s.Ctx, tn, client.MergeFrom(base)), "adding a retention rule")
		var job string
		eventually(t, 3*time.Minute, "a Job of the retention CronJob", func() (bool, string) {
			jobs := &batchv1.JobList{}
			if err := s.C.List(s.Ctx, jobs, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/component": "retention"}); err != nil {
				return false, err.Error()
			}
			if len(jobs.Items) > 0 {
				job = jobs.Items[0].Name
			}
			return job != "", "none yet (schedule: every minute)"
		})
		ok, msg := jobTerminationMessage(t, ns, job, 3*time.Minute)
		if !ok {
			t.Fatalf("retention Job %s failed: %s", job, msg)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE external_id = '5761000000000000003'"); n != 0 {
			t.Errorf("an order 90 days old is still there after retention keeping 30 days")
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE external_id = '5761000000000000002'"); n != 1 {
			t.Errorf("retention removed a recent order")
		}
	})

	t.Run("disconnect with Purge: the purge Job removes the integration's data", func(t *testing.T) {
		deleteAndWait(t, ali, 4*time.Minute)
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE integration = 'aliexpress'"); n != 0 {
			t.Errorf("%d AliExpress orders left after disconnecting with onDisconnect: Purge", n)
		}
		if n := query(t, "SELECT count(*) FROM "+schema+".orders WHERE integration = 'tiktok'"); n == 0 {
			t.Errorf("disconnecting AliExpress purged TikTok's orders too")
		}
	})

	t.Run("closure: the tenant purge Job drops the schema, then the namespace goes", func(t *testing.T) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(tn), tn))
		base := tn.DeepCopy()
		tn.Spec.Lifecycle = workspacesv1alpha1.LifecycleClosed
		if tn.Annotations == nil {
			tn.Annotations = map[string]string{}
		}
		tn.Annotations[workspacesv1alpha1.ConfirmPurgeAnnotation] = tn.Name
		must(t, s.C.Patch(s.Ctx, tn, client.MergeFrom(base)), "closing the tenant")
		ok, msg := jobTerminationMessage(t, ns, "tenant-purge", 3*time.Minute)
		if !ok {
			t.Fatalf("tenant purge Job failed: %s", msg)
		}
		eventually(t, 3*time.Minute, "Tenant shop purged", func() (bool, string) {
			if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(tn), tn); err != nil {
				return false, err.Error()
			}
			return tn.Status.Phase == workspacesv1alpha1.TenantPhaseClosed, string(tn.Status.Phase)
		})
		if n := query(t, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema); n != 0 {
			t.Errorf("schema %s still exists after the tenant was purged", schema)
		}
		err := s.C.Get(s.Ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s still exists after the tenant was purged (%v)", ns, err)
		}
	})
}

// dataRequest files a request for the subject identified by files (kept in a Secret of the operator's namespace).
func dataRequest(t *testing.T, name string, typ workspacesv1alpha1.RequestType, files map[string]string) *workspacesv1alpha1.DataRequest {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "subject-" + name, Namespace: realnode.OperatorNamespace}, StringData: files}
	must(t, s.C.Create(s.Ctx, secret), "creating the subject Secret")
	dr := &workspacesv1alpha1.DataRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: workspacesv1alpha1.DataRequestSpec{
			TenantRef: workspacesv1alpha1.TenantReference{Name: "shop"}, Type: typ,
			Subject:      workspacesv1alpha1.Subject{SecretRef: workspacesv1alpha1.SecretReference{Name: secret.Name, Namespace: secret.Namespace}},
			Jurisdiction: workspacesv1alpha1.JurisdictionGDPR,
		},
	}
	must(t, s.C.Create(s.Ctx, dr), "creating DataRequest", name)
	return dr
}

func waitForRequest(t *testing.T, dr *workspacesv1alpha1.DataRequest) *workspacesv1alpha1.DataRequest {
	t.Helper()
	eventually(t, 3*time.Minute, "DataRequest "+dr.Name+" finished", func() (bool, string) {
		if err := s.C.Get(s.Ctx, client.ObjectKeyFromObject(dr), dr); err != nil {
			return false, err.Error()
		}
		switch dr.Status.Phase {
		case workspacesv1alpha1.RequestPhaseCompleted, workspacesv1alpha1.RequestPhaseFailed,
			workspacesv1alpha1.RequestPhaseBlocked, workspacesv1alpha1.RequestPhaseRejected:
			return true, ""
		}
		return false, fmt.Sprintf("phase %s %v", dr.Status.Phase, dr.Status.Conditions)
	})
	return dr
}
