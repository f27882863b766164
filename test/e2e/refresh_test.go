//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/eso"
)

// The token refresh runs its real image on the node: it calls the fake platform's refresh endpoint over its egress
// policy, writes the renewed credentials into the token Secret through the API server (as the Integration's
// ServiceAccount, past the admission policy), ESO's PushSecret writes them to the backend, the ExternalSecret
// brings them back, and the next sync uses the new token.
func TestTokenRefreshRunsForRealAndReachesTheSyncs(t *testing.T) {
	// Other tests' Integrations hold the tokens this test renews: the old ones keep working for them.
	s.TikTok.RefreshGrace = time.Hour
	tn := newTenant(t, "renewing", nil)
	ns := tn.Status.Namespace

	// Connect, as AliTok's app does: the seller's tokens into the backend at the Integration's remoteKey (a key
	// pushed, not one written in the fake store's spec, which the fake backend would not let a PushSecret replace).
	doc, err := json.Marshal(s.TikTok.CredentialFiles())
	must(t, err)
	must(t, s.C.Create(s.Ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "connect", Namespace: ns},
		Data: map[string][]byte{contract.TokenSecretKey: doc}}), "creating the connecting Secret")
	connect, err := eso.Object(eso.PushSecretGVK, metav1.ObjectMeta{Name: "connect", Namespace: ns}, &eso.PushSecretSpec{
		RefreshInterval: "1h", SecretStoreRefs: []eso.StoreRef{{Name: "tenant-secrets", Kind: "SecretStore"}},
		UpdatePolicy: "Replace", DeletionPolicy: "None", Selector: eso.PushSelector{Secret: eso.PushSecretName{Name: "connect"}},
		Data: []eso.PushSecretData{{Match: eso.PushMatch{SecretKey: contract.TokenSecretKey,
			RemoteRef: eso.RemoteRef{RemoteKey: "tenants/renewing/tiktok/renewed"}}}},
	})
	must(t, err)
	must(t, s.C.Create(s.Ctx, connect), "creating the connecting PushSecret")
	eventually(t, 2*time.Minute, "the seller's tokens in the backend", func() (bool, string) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(connect), connect))
		c := eso.Ready(connect)
		return c != nil && c.Status == "True", "PushSecret connect not Ready"
	})

	i := integration(ns, "tiktok", workspacesv1alpha1.ProviderTikTokShop, s.TikTok.ShopID, "tiktok/renewed")
	must(t, s.C.Create(s.Ctx, i), "creating Integration")
	eventually(t, 2*time.Minute, "Integration tiktok Ready", func() (bool, string) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
		return conditionTrue(i.Status.Conditions, workspacesv1alpha1.ConditionReady)
	})

	refreshes := s.TikTok.Refreshes()
	base := i.DeepCopy()
	i.Annotations = map[string]string{workspacesv1alpha1.RefreshNowAnnotation: "1"}
	must(t, s.C.Patch(s.Ctx, i, client.MergeFrom(base)), "asking for a refresh")
	sum := sha256.Sum256([]byte("1"))
	ok, msg := jobTerminationMessage(t, ns, "tiktok-refresh-n"+hex.EncodeToString(sum[:])[:7], 3*time.Minute)
	r := parseResult(t, msg)
	if !ok || !r.OK || r.Totals["refreshed"] != 1 {
		t.Fatalf("the refresh Job did not renew the token: %s", msg)
	}
	if s.TikTok.Refreshes() != refreshes+1 {
		t.Errorf("the platform granted %d refreshes, want 1", s.TikTok.Refreshes()-refreshes)
	}
	renewed := s.TikTok.Tokens()

	// Back from the backend, into the credentials the syncs mount.
	eventually(t, 2*time.Minute, "the renewed token in the credentials Secret", func() (bool, string) {
		secret := &corev1.Secret{}
		if err := s.C.Get(s.Ctx, client.ObjectKey{Namespace: ns, Name: "tiktok-credentials"}, secret); err != nil {
			return false, err.Error()
		}
		return string(secret.Data["access_token"]) == renewed.AccessToken, "still the old token"
	})
	results := syncNow(t, i, "after-refresh")
	if got, want := results[workspacesv1alpha1.FeatureOrders].TokenExpiresAt, renewed.AccessTokenExpiresAt.UTC().Format(time.RFC3339); got != want {
		t.Errorf("the sync read a token expiring at %q, want the renewed one's %q", got, want)
	}
	eventually(t, time.Minute, "CredentialsValid and the token's expiry in status", func() (bool, string) {
		must(t, s.C.Get(s.Ctx, client.ObjectKeyFromObject(i), i))
		if i.Status.TokenExpiresAt == nil || !i.Status.TokenExpiresAt.Time.Equal(renewed.AccessTokenExpiresAt.Truncate(time.Second)) {
			return false, "tokenExpiresAt not the renewed token's"
		}
		return conditionTrue(i.Status.Conditions, workspacesv1alpha1.ConditionCredentialsValid)
	})
}
