package aliexpresstest_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
)

// An end-to-end test serves the gateway to a worker running elsewhere: on a TLS listener whose certificate the
// worker trusts, with the credential files where the Integration's Secret comes from.
func Example() {
	p := aliexpresstest.New()
	alice, bob := aliexpresstest.NewBuyer("alice"), aliexpresstest.NewBuyer("bob")
	p.AddOrder("3051000000000000001", alice, "WAIT_SELLER_SEND_GOODS", time.Now().Add(-time.Hour))
	p.AddOrder("3051000000000000002", bob, "FINISH", time.Now().Add(-time.Hour))
	p.AddIssue("5000000000000001", "3051000000000000001", alice, "processing", time.Now())

	srv := httptest.NewUnstartedServer(p.Handler()) // or an http.Server with the cluster's certificate
	srv.StartTLS()
	defer srv.Close()

	dir, _ := os.MkdirTemp("", "credentials")
	for name, content := range p.CredentialFiles() {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	// workspace-operator worker sync --provider=AliExpress --account-id=<p.SellerID> --api-base-url=<srv.URL>
	//   --credentials-dir=<dir> …; then file an Erasure for alice.LoginID and check her rows are gone, and
	//   p.Requests() shows what the worker asked.
}
