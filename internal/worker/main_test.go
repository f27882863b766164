package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/pgtest"
	"github.com/alitok/workspace-operator/internal/provider/httpretry"
	"github.com/alitok/workspace-operator/internal/store"
)

// The tests share one throwaway PostgreSQL server. The worker connects as a role of its own with a password, so
// that the tests can check the password never leaks; the tests inspect the database as the superuser.
var (
	adminDSN   string
	workerDSN  string
	testSetup  error
	dbPassword = "pw-" + randomHex(12)
)

func TestMain(m *testing.M) {
	pg, err := pgtest.Start()
	testSetup = err
	if err == nil {
		adminDSN = pg.DSN()
		testSetup = createWorkerRole()
	}
	defaultEnvironment.httpClient, defaultEnvironment.retry = fakeHTTPClient(), fastRetry()
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// createWorkerRole makes the role the worker connects as. The server trusts every local connection, so the
// password is not checked; it is there to be looked for in the worker's output.
func createWorkerRole() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, fmt.Sprintf(`CREATE ROLE worker LOGIN PASSWORD '%s'; GRANT CREATE ON DATABASE postgres TO worker`,
		dbPassword)); err != nil {
		return err
	}
	workerDSN = strings.Replace(adminDSN, "postgres://postgres@", "postgres://worker:"+dbPassword+"@", 1)
	return nil
}

// fakeHTTPClient trusts the certificate of httptest's TLS servers, which is the same for all of them.
func fakeHTTPClient() *http.Client {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// fastRetry retries once, without waiting.
func fastRetry() httpretry.Policy {
	return httpretry.Policy{MaxAttempts: 2, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

// requireDB fails the test when the database could not be started: failing, not skipping, so a machine without
// PostgreSQL cannot pass these tests by running none of them.
func requireDB(tb testing.TB) {
	tb.Helper()
	if testSetup != nil {
		tb.Fatalf("no test database: %v", testSetup)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%x", b)
}

var tenantSeq atomic.Int64

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// newTenant names a fresh tenant after the test.
func newTenant(t testing.TB) string {
	slug := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	name := fmt.Sprintf("w%d-%s", tenantSeq.Add(1), slug)
	if len(name) > 56 {
		name = strings.TrimRight(name[:56], "-")
	}
	return name
}

// fixture is the files of one worker run, in a temporary directory, and what must never show in its output.
type fixture struct {
	t         *testing.T
	dir       string
	tenant    string
	dsnFile   string
	keyFile   string
	key       []byte
	forbidden []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	requireDB(t)
	f := &fixture{t: t, dir: t.TempDir(), tenant: newTenant(t), key: []byte("k-" + randomHex(16))}
	f.dsnFile = f.write("db/dsn", workerDSN+"\n")
	f.keyFile = f.write("hmac/key", string(f.key))
	f.forbid(dbPassword, workerDSN, string(f.key))
	return f
}

// with returns a copy of f reporting to t, for subtests.
func (f *fixture) with(t *testing.T) *fixture {
	c := *f
	c.t = t
	c.forbidden = append([]string(nil), f.forbidden...)
	return &c
}

// write creates a file under the fixture's directory and returns its path.
func (f *fixture) write(name, content string) string {
	f.t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// forbid adds values that must not appear in any output of the worker.
func (f *fixture) forbid(values ...string) { f.forbidden = append(f.forbidden, values...) }

// pseudonym is a buyer's pseudonym under the fixture's key.
func (f *fixture) pseudonym(kind, value string) string { return store.Pseudonymize(f.key, kind, value) }

// outcome is one finished worker run.
type outcome struct {
	exit           int
	result         map[string]any
	raw            []byte
	stdout, stderr string
}

// run runs the worker through Main with a termination log of its own and checks what every run must do: write
// exactly one compact JSON object below the kubelet's limit, print one summary line, and let no forbidden value
// out through the result, stdout or stderr.
func (f *fixture) run(args ...string) outcome {
	f.t.Helper()
	logPath := filepath.Join(f.dir, fmt.Sprintf("termination-log-%d", time.Now().UnixNano()))
	args = append(args, "--termination-log="+logPath)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exit := Main(ctx, args, &stdout, &stderr)

	raw, err := os.ReadFile(logPath)
	if err != nil {
		f.t.Fatalf("worker %s: no termination log: %v", args[0], err)
	}
	res := decodeOne(f.t, raw)
	out := outcome{exit: exit, result: res, raw: raw, stdout: stdout.String(), stderr: stderr.String()}
	if lines := strings.Count(strings.TrimSpace(out.stdout), "\n"); lines != 0 || out.stdout == "" {
		f.t.Errorf("stdout is not one summary line: %q", out.stdout)
	}
	for _, v := range f.forbidden {
		if v == "" {
			continue
		}
		for name, text := range map[string]string{"termination log": string(raw), "stdout": out.stdout, "stderr": out.stderr} {
			if strings.Contains(text, v) || strings.Contains(strings.ToLower(text), strings.ToLower(v)) {
				f.t.Errorf("%s of worker %s contains a forbidden value (%.6s…): %s", name, args[0], v, text)
			}
		}
	}
	return out
}

// decodeOne decodes raw as exactly one compact JSON object below the termination-message limit.
func decodeOne(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	if len(raw) >= contract.MaxResultBytes {
		t.Errorf("termination log is %d bytes, want < %d", len(raw), contract.MaxResultBytes)
	}
	if trimmed := bytes.TrimSuffix(raw, []byte("\n")); bytes.ContainsAny(trimmed, "\n") {
		t.Errorf("termination log is not compact: %s", raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("termination log is not a JSON object: %v: %s", err, raw)
	}
	if dec.More() {
		t.Fatalf("termination log holds more than one JSON value: %s", raw)
	}
	return res
}

// ok fails unless the run succeeded.
func (r outcome) ok(t *testing.T) outcome {
	t.Helper()
	if r.exit != ExitOK || r.result["ok"] != true {
		t.Fatalf("exit %d, result %s\nstderr: %s", r.exit, r.raw, r.stderr)
	}
	return r
}

// failed fails unless the run failed with reason and exit code.
func (r outcome) failed(t *testing.T, exit int, reason string) outcome {
	t.Helper()
	if r.exit != exit || r.result["ok"] != false || r.result["reason"] != reason {
		t.Fatalf("exit %d, result %s; want exit %d, reason %s", r.exit, r.raw, exit, reason)
	}
	if !strings.Contains(r.stdout, "failed ("+reason+")") {
		t.Errorf("summary does not tell the failure: %q", r.stdout)
	}
	return r
}

// errorText is the result's error message.
func (r outcome) errorText() string { s, _ := r.result["error"].(string); return s }

// count reads a number at a path of keys, e.g. count("counts", "orders", "found"); absent is 0.
func (r outcome) count(path ...string) int {
	var v any = r.result
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return 0
		}
		v = m[k]
	}
	n, _ := v.(float64)
	return int(n)
}

// held is the result's held categories.
func (r outcome) held() []string {
	var out []string
	list, _ := r.result["held"].([]any)
	for _, c := range list {
		out = append(out, c.(string))
	}
	return out
}

// db is the superuser's view of the test database.
func db(t *testing.T) *pgxpool.Pool {
	t.Helper()
	requireDB(t)
	pool, err := pgxpool.New(context.Background(), adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// countRows counts the rows of a tenant's table matching cond.
func countRows(t *testing.T, tenant, table, cond string, args ...any) int {
	t.Helper()
	schema, err := store.SchemaName(tenant)
	if err != nil {
		t.Fatal(err)
	}
	if cond == "" {
		cond = "true"
	}
	var n int
	q := fmt.Sprintf(`SELECT count(*) FROM %s.%s WHERE %s`, schema, table, cond)
	if err := db(t).QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// column reads one text column of one record, "<null>" for NULL.
func column(t *testing.T, tenant, table, col, integration, externalID string) string {
	t.Helper()
	schema, _ := store.SchemaName(tenant)
	var v *string
	q := fmt.Sprintf(`SELECT %s::text FROM %s.%s WHERE integration = $1 AND external_id = $2`, col, schema, table)
	if err := db(t).QueryRow(context.Background(), q, integration, externalID).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if v == nil {
		return "<null>"
	}
	return *v
}

// openStore connects to the test database as the worker does, for seeding: the schemas it makes are the worker's.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	requireDB(t)
	s, err := store.Open(context.Background(), workerDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
