package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/pgtest"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
)

func TestSyncReportsBadCredentialFilesByName(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	for _, c := range []struct {
		name, file, content string
		want                string
	}{
		{"missing secret", "app_secret", "", "app_secret is missing"},
		{"empty token", "access_token", "\n", "access_token is empty"},
		{"token with a line break", "access_token", "first-half-9f3a\nsecond-half-7c1e", "access_token is malformed"},
		{"expiry not a number", "access_token_expire_at", "next-tuesday-4b2d", "access_token_expire_at is malformed"},
		{"expiry in milliseconds", "access_token_expire_at", fmt.Sprint(time.Now().Add(time.Hour).UnixMilli()), "milliseconds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := f.with(t)
			creds := tt.credentials(f, true, time.Time{})
			path := filepath.Join(creds, c.file)
			if c.content == "" {
				os.Remove(path)
			} else {
				f.write(strings.TrimPrefix(path, f.dir+"/"), c.content)
			}
			for _, part := range strings.Fields(strings.ReplaceAll(c.content, "\n", " ")) {
				f.forbid(part) // the file's content, or any line of it
			}
			r := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, creds)...).failed(t, ExitFailed, contract.ReasonInvalidInput)
			if !strings.Contains(r.errorText(), path) || !strings.Contains(r.errorText(), c.want) {
				t.Errorf("error %q does not name %s (%q)", r.errorText(), path, c.want)
			}
			if len(tt.Requests()) != 0 {
				t.Errorf("the platform was called with bad credentials")
			}
		})
	}
}

func TestSyncReportsBadSecretsAndLists(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	creds := tt.credentials(f, true, time.Time{})
	args := func(extra ...string) []string {
		return syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, creds, extra...)
	}
	short := f.write("short-key", "tiny-key-6c")
	f.forbid("tiny-key-6c")
	r := f.run(append(args(), "--hmac-key-file="+short)...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), short) {
		t.Errorf("error %q does not name the key file", r.errorText())
	}

	bad := f.write("bad-restrictions.json", `["not-a-pseudonym-5e1f"]`)
	f.forbid("not-a-pseudonym-5e1f")
	r = f.run(append(args(), "--restriction-list="+bad)...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), "entry 1") {
		t.Errorf("error %q does not name the entry", r.errorText())
	}
	notJSON := f.write("restrictions.txt", `alice-secret-value-9d2e`)
	f.forbid("alice-secret-value-9d2e")
	f.run(append(args(), "--restriction-list="+notJSON)...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	// A restriction list that is not there must stop the sync rather than let restricted data in.
	r = f.run(append(args(), "--restriction-list="+filepath.Join(f.dir, "absent.json"))...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), "absent.json is missing") {
		t.Errorf("error = %q", r.errorText())
	}

	malformed := f.write("bad-dsn", "postgres://worker:"+dbPassword+"@[::1/oops")
	r = f.run(append(args(), "--database-dsn-file="+malformed)...).failed(t, ExitFailed, contract.ReasonInvalidInput)
	if !strings.Contains(r.errorText(), malformed) {
		t.Errorf("error %q does not name the DSN file", r.errorText())
	}
	if len(tt.Requests()) != 0 {
		t.Errorf("the platform was called although the inputs were bad")
	}
}

func TestSyncReportsAnUnreachableDatabase(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("postgres://worker:%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", dbPassword, port)
	f.forbid(dsn)
	r := f.run(append(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, time.Time{})),
		"--database-dsn-file="+f.write("unreachable-dsn", dsn))...).failed(t, ExitFailed, contract.ReasonDBUnreachable)
	if !strings.Contains(r.errorText(), fmt.Sprint(port)) {
		t.Errorf("error %q does not say where the database was looked for", r.errorText())
	}
	if len(tt.Requests()) != 0 {
		t.Errorf("the platform was called without a database to write to")
	}
	// Data-subject tasks report it the same way.
	subject := f.write("subject-unreachable/email", "someone-3c9a@example.com")
	f.forbid("someone-3c9a@example.com")
	f.run("erase", "--tenant="+f.tenant, "--subject-dir="+filepath.Dir(subject), "--hmac-key-file="+f.keyFile,
		"--database-dsn-file="+f.write("unreachable-dsn", dsn)).failed(t, ExitFailed, contract.ReasonDBUnreachable)
}

func TestSyncReportsPlatformFailures(t *testing.T) {
	f := newFixture(t)
	tt := newFakeTikTok(t)
	b1, b2, b3 := newBuyer(f, "alice"), newBuyer(f, "bob"), newBuyer(f, "carol")
	at := time.Now().Add(-time.Hour)
	tt.Seed(tiktokshoptest.FeatureOrders, tiktokshoptest.Order("o1", b1.tiktok(), "UNPAID", at),
		tiktokshoptest.Order("o2", b2.tiktok(), "UNPAID", at), tiktokshoptest.Order("o3", b3.tiktok(), "UNPAID", at))

	t.Run("revoked token", func(t *testing.T) {
		f := f.with(t)
		tt.SetRevoked(true)
		defer tt.SetRevoked(false)
		r := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, time.Time{}))...)
		r.failed(t, ExitFailed, contract.ReasonUnauthorized)
		if !strings.Contains(r.errorText(), "HTTP 401") {
			t.Errorf("error = %q", r.errorText())
		}
	})
	t.Run("expired token", func(t *testing.T) {
		f := f.with(t)
		before := len(tt.Requests())
		expired := time.Now().Add(-time.Hour).Truncate(time.Second)
		r := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, expired))...)
		r.failed(t, ExitFailed, contract.ReasonTokenExpired)
		if r.result["tokenExpiresAt"] != expired.UTC().Format(time.RFC3339) {
			t.Errorf("tokenExpiresAt = %v", r.result["tokenExpiresAt"])
		}
		if len(tt.Requests()) != before {
			t.Errorf("an expired token was sent to the platform")
		}
	})
	t.Run("corrupt page", func(t *testing.T) {
		f := f.with(t)
		tt.SetCorruptPage(2)
		defer tt.SetCorruptPage(0)
		r := f.run(syncArgs(f, "TikTokShop", "orders", "tiktok-shop", tt.url, tt.credentials(f, true, time.Time{}))...)
		r.failed(t, ExitFailed, contract.ReasonProviderMalformed)
		if !strings.Contains(r.errorText(), "page 2") {
			t.Errorf("error %q does not name the page", r.errorText())
		}
		if _, ok := r.result["cursor"]; ok {
			t.Errorf("a failed sync reported a cursor: %s", r.raw)
		}
	})
	t.Run("AliExpress revoked token", func(t *testing.T) {
		f := f.with(t)
		ae := newFakeAliExpress(t)
		creds := ae.credentials(f)
		f.write(strings.TrimPrefix(creds, f.dir+"/")+"/access_token", "ae-revoked-token-77aa")
		f.forbid("ae-revoked-token-77aa")
		f.run(syncArgs(f, "AliExpress", "orders", "aliexpress-main", ae.url, creds)...).failed(t, ExitFailed, contract.ReasonUnauthorized)
	})
}

func TestUsageErrors(t *testing.T) {
	f := newFixture(t)
	base := []string{"--tenant=" + f.tenant, "--database-dsn-file=" + f.dsnFile}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no task", nil, "no task given"},
		{"unknown task", []string{"frobnicate"}, `unknown task "frobnicate"`},
		{"unknown flag", append([]string{"purge", "--bogus=1"}, base...), "unknown flag --bogus"},
		{"stray argument", []string{"purge", "--tenant=" + f.tenant, "--database-dsn-file=" + f.dsnFile, "secret-value-1b7e"}, "unexpected argument"},
		{"missing tenant", []string{"purge", "--database-dsn-file=" + f.dsnFile}, "--tenant is required"},
		{"bad tenant", []string{"purge", "--tenant=Not_A_Label", "--database-dsn-file=" + f.dsnFile}, "not a valid Tenant name"},
		{"unknown held category", append([]string{"purge", "--held-categories=orders,invoices"}, base...), `unknown data category "invoices"`},
		{"bad keep", append([]string{"retention", "--keep=orders=forever"}, base...), "--keep"},
		{"missing keep", append([]string{"retention"}, base...), "--keep is required"},
		{"bad provider", []string{"sync", "--tenant=" + f.tenant, "--integration=x", "--provider=Amazon", "--feature=orders",
			"--credentials-dir=/nonexistent", "--database-dsn-file=x", "--hmac-key-file=x"}, `--provider "Amazon"`},
		{"bad since", []string{"sync", "--tenant=" + f.tenant, "--integration=x", "--provider=AliExpress", "--feature=orders",
			"--credentials-dir=/nonexistent", "--database-dsn-file=x", "--hmac-key-file=x", "--since=yesterday"}, "--since"},
		{"export without a destination", []string{"export", "--tenant=" + f.tenant, "--subject-dir=/x", "--hmac-key-file=x",
			"--database-dsn-file=x"}, "--output or --export-secret"},
		{"bad export secret", []string{"export", "--tenant=" + f.tenant, "--subject-dir=/x", "--hmac-key-file=x",
			"--database-dsn-file=x", "--export-secret=just-a-name"}, "NAMESPACE/NAME"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := f.with(t)
			f.forbid("secret-value-1b7e")
			r := f.run(c.args...).failed(t, ExitUsage, contract.ReasonUsage)
			if !strings.Contains(r.errorText(), c.want) {
				t.Errorf("error %q does not say %q", r.errorText(), c.want)
			}
		})
	}
}

func TestHelpPrintsUsageAndRunsNothing(t *testing.T) {
	var stdout, stderr strings.Builder
	logPath := filepath.Join(t.TempDir(), "termination-log")
	if code := Main(t.Context(), []string{"erase", "-h", "--termination-log=" + logPath}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout.String(), "-subject-dir") {
		t.Errorf("usage = %q", stdout.String())
	}
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Errorf("help wrote a termination log (%v)", err)
	}
}
