package worker

import (
	"strconv"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/provider/aliexpress/aliexpresstest"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

// testShopID is the shop of the fake TikTok Shop, the --account-id syncArgs passes.
const testShopID = "7494512345678901234"

// fakeTikTok is the fake TikTok Shop on a local TLS server, which the tests' HTTP client trusts.
type fakeTikTok struct {
	*tiktokshoptest.Platform
	url string
}

func newFakeTikTok(t *testing.T) fakeTikTok {
	p := tiktokshoptest.New(t.Cleanup)
	p.ShopID = testShopID
	return fakeTikTok{Platform: p, url: p.StartTLS()}
}

// credentials writes the fake's credentials as an ESO Secret mounts them and returns the directory. withCipher
// says whether the shop cipher is among them; expireAt, when not zero, is the token's expiry.
func (tt fakeTikTok) credentials(fx *fixture, withCipher bool, expireAt time.Time) string {
	files := tt.CredentialFiles()
	if !withCipher {
		delete(files, fileShopCipher)
	}
	if !expireAt.IsZero() {
		files[fileExpireAt] = strconv.FormatInt(expireAt.Unix(), 10)
	}
	return writeCredentials(fx, files)
}

// fakeAliExpress is the fake AliExpress gateway on a local TLS server, which the tests' HTTP client trusts.
type fakeAliExpress struct {
	*aliexpresstest.Platform
	url string
}

func newFakeAliExpress(t *testing.T) fakeAliExpress {
	p := aliexpresstest.New(t.Cleanup)
	return fakeAliExpress{Platform: p, url: p.StartTLS()}
}

// credentials writes the fake's credentials as an ESO Secret mounts them and returns the directory.
func (ae fakeAliExpress) credentials(fx *fixture) string {
	return writeCredentials(fx, ae.CredentialFiles())
}

// writeCredentials writes credential files to a fresh directory and returns it. The secret and the token end in
// the newline an editor leaves, which the worker drops; neither may show in the worker's output.
func writeCredentials(fx *fixture, files map[string]string) string {
	dir := "creds-" + randomHex(4)
	for name, content := range files {
		if name == fileAppSecret || name == fileAccessToken {
			fx.forbid(content)
			content += "\n"
		}
		fx.write(dir+"/"+name, content)
	}
	return fx.dir + "/" + dir
}

// tiktok is the buyer as the fake TikTok Shop names them.
func (b buyer) tiktok() tiktokshoptest.Buyer {
	return tiktokshoptest.Buyer{UserID: b.id, Email: b.email, Name: b.name}
}

// aliexpress is the buyer as the fake AliExpress names them.
func (b buyer) aliexpress() aliexpresstest.Buyer {
	return aliexpresstest.Buyer{LoginID: b.id, Name: b.name}
}
