package tiktokshoptest_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// An end-to-end test serves the platform to a worker running elsewhere: on a TLS listener whose certificate
// the worker trusts, with the credential files where the Integration's Secret comes from.
func Example() {
	p := tiktokshoptest.New()
	alice, bob := tiktokshoptest.NewBuyer("alice"), tiktokshoptest.NewBuyer("bob")
	p.AddOrder("576461413038785752", alice, "AWAITING_SHIPMENT", time.Now().Add(-time.Hour))
	p.AddOrder("576461413038785753", bob, "DELIVERED", time.Now().Add(-time.Hour))
	p.AddPackage("1152921504606846976", "576461413038785752", time.Now())

	srv := httptest.NewUnstartedServer(p.Handler()) // or an http.Server with the cluster's certificate
	srv.StartTLS()
	defer srv.Close()

	dir, _ := os.MkdirTemp("", "credentials")
	for name, content := range p.CredentialFiles() {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	// workspace-operator worker sync --provider=TikTokShop --account-id=<p.ShopID> --api-base-url=<srv.URL>
	//   --credentials-dir=<dir> …; then file an Erasure for alice.UserID and check her rows are gone, and
	//   p.Requests() shows what the worker asked.
}
