//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
)

// A seller who revokes the app on the platform's side, with no webhook telling AliTok: the real sync Jobs are
// refused by the platform (HTTP 401), their results say Unauthorized, and after those refusals the operator
// stops syncing — CredentialsValid=False, Stalled Unauthorized, every sync CronJob suspended — instead of
// running Jobs that cannot succeed until someone re-authorizes the seller.
func TestSyncsThePlatformRefusesSuspendSyncing(t *testing.T) {
	tn := newTenant(t, "refused", nil)
	ns := tn.Status.Namespace
	i := integration(ns, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/main")
	must(t, s.C.Create(s.Ctx, i), "creating Integration")
	eventually(t, 2*time.Minute, "Integration tiktok Ready", func() (bool, string) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
		return conditionTrue(i.Status.Conditions, workspacesv1alpha1.ConditionReady)
	})

	s.TikTok.SetRevoked(true)
	t.Cleanup(func() { s.TikTok.SetRevoked(false) })
	must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
	base := i.DeepCopy()
	i.Annotations = map[string]string{workspacesv1alpha1.SyncNowAnnotation: "while-revoked"}
	must(t, s.C.Patch(s.Ctx, i, client.MergeFrom(base)), "asking for a sync")
	sum := sha256.Sum256([]byte("while-revoked"))
	for _, f := range allFeatures {
		ok, msg := jobTerminationMessage(t, ns, fmt.Sprintf("tiktok-%s-n%s", f, hex.EncodeToString(sum[:])[:7]), 3*time.Minute)
		if r := parseResult(t, msg); ok || r.OK || r.Reason != contract.ReasonUnauthorized {
			t.Fatalf("sync of %s while the seller is revoked: succeeded %v, result %s; want a failure with reason %s", f, ok, msg, contract.ReasonUnauthorized)
		}
	}

	eventually(t, time.Minute, "CredentialsValid=False and Stalled, reason Unauthorized", func() (bool, string) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
		for _, typ := range []string{workspacesv1alpha1.ConditionCredentialsValid, workspacesv1alpha1.ConditionStalled} {
			c := meta.FindStatusCondition(i.Status.Conditions, typ)
			want := metav1.ConditionTrue
			if typ == workspacesv1alpha1.ConditionCredentialsValid {
				want = metav1.ConditionFalse
			}
			if c == nil || c.Status != want || c.Reason != workspacesv1alpha1.ReasonUnauthorized {
				return false, fmt.Sprintf("%s = %+v", typ, c)
			}
			if !strings.Contains(c.Message, "re-authorize the seller account") {
				return false, fmt.Sprintf("%s message %q does not say what to do", typ, c.Message)
			}
		}
		return true, ""
	})
	eventually(t, time.Minute, "every sync CronJob suspended", func() (bool, string) {
		for _, f := range allFeatures {
			cj := &batchv1.CronJob{}
			must(t, s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("tiktok-%s", f)}, cj))
			if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
				return false, "CronJob " + cj.Name + " still runs"
			}
		}
		return true, ""
	})
}
