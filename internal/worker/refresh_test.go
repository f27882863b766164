package worker

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// tokenSecretAPI starts an API server holding the token Secret of Integration shop, and points the worker at
// it as the refresh Job's ServiceAccount would be: allowed to patch that one Secret and nothing else.
func tokenSecretAPI(t *testing.T, f *fixture) (client.Client, string) {
	t.Helper()
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatalf("start the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const ns, user = "tenant-acme", "system:serviceaccount:tenant-acme:shop-sync"
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-token", Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "shop-token-writer", Namespace: ns}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "patch"}, ResourceNames: []string{"shop-token"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "shop-token-writer", Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "shop-token-writer"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}},
	} {
		if err := admin.Create(context.Background(), obj); err != nil {
			t.Fatalf("create %T: %v", obj, err)
		}
	}
	job, err := env.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := job.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", f.write("kubeconfig", string(kubeconfig)))
	return admin, ns + "/shop-token"
}

// renewedDocument reads the credentials document a refresh wrote into the token Secret.
func renewedDocument(t *testing.T, admin client.Client, ref string) map[string]string {
	t.Helper()
	ns, name, _ := strings.Cut(ref, "/")
	sec := &corev1.Secret{}
	if err := admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, sec); err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{}
	if err := json.Unmarshal(sec.Data[contract.TokenSecretKey], &doc); err != nil {
		t.Fatalf("token Secret holds no credentials document: %v", err)
	}
	return doc
}

// A seller's tokens expire every two minutes on this platform; each refresh renews them through the platform's
// refresh call, hands the whole document to the token Secret (from where the PushSecret writes it back), and the
// syncs keep working with what the backend then holds — across several expiries, with no person involved.
func TestRefreshKeepsAnIntegrationConnectedAcrossExpiries(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	tt.AccessTokenLifetime = 2 * time.Minute
	admin, tokenSecret := tokenSecretAPI(t, f)
	refreshArgs := func(creds string) []string {
		return []string{"refresh", "--tenant=" + f.tenant, "--integration=shop", "--provider=TikTokShop",
			"--api-base-url=" + tt.url, "--auth-base-url=" + tt.url, "--refresh-before=5m",
			"--credentials-dir=" + creds, "--token-secret=" + tokenSecret}
	}
	// What the ExternalSecret mounts: the backend's document, one file per field.
	files := tt.CredentialFiles()
	var previous map[string]string
	for expiry := 1; expiry <= 3; expiry++ {
		previous = files
		f.forbid(files[fileRefreshToken])
		creds := writeCredentials(f, files)
		before := tt.Tokens()
		r := f.run(refreshArgs(creds)...).ok(t)
		after := tt.Tokens()
		if after.AccessToken == before.AccessToken || r.count("totals", "refreshed") != 1 {
			t.Fatalf("expiry %d: the refresh renewed nothing (result %s)", expiry, r.raw)
		}
		f.forbid(after.AccessToken, after.RefreshToken)
		doc := renewedDocument(t, admin, tokenSecret)
		if doc[fileAccessToken] != after.AccessToken || doc[fileRefreshToken] != after.RefreshToken || doc[fileAppSecret] != tt.AppSecret {
			t.Fatalf("expiry %d: the token Secret does not hold the whole renewed document", expiry)
		}
		if got, want := r.result["tokenExpiresAt"], after.AccessTokenExpiresAt.UTC().Format(time.RFC3339); got != want {
			t.Errorf("expiry %d: tokenExpiresAt %v, want %s", expiry, got, want)
		}
		// The old token no longer works; the renewed one, once back from the backend, does.
		f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, creds)...).failed(t, ExitFailed, contract.ReasonUnauthorized)
		files = doc
		f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, writeCredentials(f, files))...).ok(t)
	}
	if n := tt.Refreshes(); n != 3 {
		t.Errorf("%d refreshes granted, want 3", n)
	}

	// The last renewal has not come back from the backend yet: the mounted files still hold the refresh token
	// the platform retired, the token Secret the live one. The refresh uses the live one.
	r := f.run(refreshArgs(writeCredentials(f, previous))...).ok(t)
	if r.count("totals", "refreshed") != 1 || tt.Refreshes() != 4 {
		t.Fatalf("a refresh from stale mounted files did not renew with the token Secret's tokens (result %s)", r.raw)
	}
	files = renewedDocument(t, admin, tokenSecret)
	f.forbid(files[fileAccessToken], files[fileRefreshToken])

	// A token with more than --refresh-before left is not renewed: no call to the platform.
	r = f.run(append(refreshArgs(writeCredentials(f, files)), "--refresh-before=1m")...).ok(t)
	if r.count("totals", "refreshed") != 0 || tt.Refreshes() != 4 {
		t.Errorf("a token not yet due was renewed (result %s)", r.raw)
	}

	// The seller revoked the app: the refresh token is refused, and the worker says to re-authorize.
	tt.SetRevoked(true)
	r = f.run(refreshArgs(writeCredentials(f, files))...).failed(t, ExitFailed, contract.ReasonReauthorize)
	if !strings.Contains(r.errorText(), "re-authorize the seller account") {
		t.Errorf("error %q does not tell a person what to do", r.errorText())
	}
	if doc := renewedDocument(t, admin, tokenSecret); doc[fileAccessToken] != files[fileAccessToken] {
		t.Error("a refused refresh changed the token Secret")
	}
}

func TestRefreshRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	files := tt.CredentialFiles()
	delete(files, fileRefreshToken)
	delete(files, fileExpireAt)
	base := []string{"refresh", "--tenant=" + f.tenant, "--integration=shop", "--provider=TikTokShop", "--auth-base-url=" + tt.url}
	r := f.run(append(base, "--credentials-dir="+writeCredentials(f, files), "--token-secret=tenant-acme/shop-token")...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), filepath.Join("", fileRefreshToken)) {
		t.Errorf("error %q does not name the missing refresh_token file", r.errorText())
	}
	for _, c := range []struct{ flag, want string }{
		{"--token-secret=just-a-name", "NAMESPACE/NAME"},
		{"--refresh-before=soon", "--refresh-before"},
	} {
		args := append(append([]string{}, base...), "--credentials-dir=/nonexistent", "--token-secret=tenant-acme/shop-token", c.flag)
		r := f.run(args...).failed(t, ExitUsage, contract.ReasonUsage)
		if !strings.Contains(r.errorText(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.flag, r.errorText(), c.want)
		}
	}
	if tt.Refreshes() != 0 {
		t.Error("bad input reached the platform")
	}
}
