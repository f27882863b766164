package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// result is one run of the command line.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line as argv0 with stdin.
func runAs(argv0, stdin string, args ...string) result {
	var out, errOut bytes.Buffer
	code := Main(argv0, args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func run(args ...string) result { return runAs("workspace-operator", "", args...) }

// noCluster points the command line at no cluster at all: no kubeconfig, not in a Pod.
func noCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
}

// commandPaths walks the command tree.
func commandPaths(c *cobra.Command, prefix []string) [][]string {
	var out [][]string
	for _, sub := range c.Commands() {
		if sub.Hidden || sub.Name() == "help" {
			continue
		}
		path := append(append([]string(nil), prefix...), sub.Name())
		out = append(out, path)
		out = append(out, commandPaths(sub, path)...)
	}
	return out
}

func TestHelpExitsZeroForEveryCommand(t *testing.T) {
	noCluster(t)
	paths := append([][]string{{}}, commandPaths(NewRootCommand("workspace-operator", genericiooptions.NewTestIOStreamsDiscard()), nil)...)
	if len(paths) < 12 {
		t.Fatalf("the tree has %d commands: %v", len(paths), paths)
	}
	for _, p := range paths {
		for _, help := range []string{"--help", "-h"} {
			args := append(append([]string(nil), p...), help)
			r := run(args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
			}
			if !strings.Contains(strings.ToLower(r.stdout), "usage:") {
				t.Errorf("%v printed no usage: %q", args, r.stdout)
			}
		}
	}
	if r := run("--help"); !strings.Contains(r.stdout, "manager") || !strings.Contains(r.stdout, "worker") || !strings.Contains(r.stdout, "audit") {
		t.Errorf("the root's help does not list its commands: %s", r.stdout)
	}
	if r := run("worker", "--help"); !strings.Contains(r.stdout, "sync") || !strings.Contains(r.stdout, "erase") {
		t.Errorf("worker --help does not list the tasks: %s", r.stdout)
	}
	if r := run("worker", "sync", "--help"); !strings.Contains(r.stdout, "-integration") || r.stderr != "" {
		t.Errorf("worker sync --help: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

func TestRootWithoutCommandPrintsHelp(t *testing.T) {
	r := run()
	if r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if r := run(args...); r.code != 0 || !strings.HasPrefix(r.stdout, "workspace-operator ") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stdout)
		}
	}
}

func TestBadCommandLineIsOneLineAndExitOne(t *testing.T) {
	noCluster(t)
	for _, args := range [][]string{
		{"bogus"},
		{"--bogus"},
		{"manager", "--bogus"},
		{"manager", "extra"},
		{"webhook", "--bogus=1"},
		{"audit", "-o", "xml"},
		{"request", "status"},
		{"request", "create", "--type", "Erasure"},
		{"report"},
		{"report", "--since", "yesterday"},
		{"manager", "--log-level", "loud"},
	} {
		r := run(args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 1 || r.stdout != "" || len(lines) != 2 || !strings.Contains(lines[1], "--help' for usage") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1, an error line and a usage hint", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "stacktrace") {
			t.Errorf("%v printed a stack trace: %s", args, r.stderr)
		}
	}
	if r := run("worker", "sync", "--bogus"); r.code != 2 {
		t.Errorf("worker sync --bogus: exit %d, want the contract's usage exit code 2", r.code)
	}
}

func TestNoClusterIsOneLineWithoutStackTrace(t *testing.T) {
	noCluster(t)
	for cmd, args := range map[string][]string{
		"manager":        {"manager"},
		"request status": {"request", "status", "r"},
		"report":         {"report", "--since", "2026-01-01"},
	} {
		r := run(args...)
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "workspace-operator "+cmd+": no cluster to talk to: ") ||
			!strings.HasSuffix(r.stderr, "(set --kubeconfig or KUBECONFIG)\n") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if r := run("audit"); r.code != 2 || !strings.Contains(r.stderr, "no cluster to talk to") {
		t.Errorf("audit without a cluster: exit %d, stderr %q; want 2, it cannot run", r.code, r.stderr)
	}
}

func TestKubectlPluginNameInUsage(t *testing.T) {
	noCluster(t)
	r := runAs("/home/me/.krew/bin/kubectl-workspace", "", "request", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl workspace request [command]") || strings.Contains(r.stdout, "workspace-operator request") {
		t.Errorf("usage as a plugin: %s", r.stdout)
	}
	r = runAs("kubectl-workspace", "", "report", "--bogus")
	if !strings.HasPrefix(r.stderr, "kubectl workspace report: unknown flag: --bogus") || !strings.Contains(r.stderr, "Run 'kubectl workspace report --help'") {
		t.Errorf("errors as a plugin: %q", r.stderr)
	}
	if r := run("request", "--help"); !strings.Contains(r.stdout, "workspace-operator request [command]") {
		t.Errorf("usage as itself: %s", r.stdout)
	}
}

func TestRequestCreateRefusesIdentifiersOnTheCommandLine(t *testing.T) {
	noCluster(t)
	const email = "jane.doe@buyer.example"
	base := []string{"request", "create", "--tenant", "acme", "--type", "Erasure", "--jurisdiction", "GDPR"}
	for _, extra := range [][]string{{"--email", email}, {"--email=" + email}, {"--buyer-id", "TikTokShop:7000123"}, {email}, {"--subject", email}} {
		r := run(append(append([]string(nil), base...), extra...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "never from the command line") {
			t.Errorf("%v: exit %d, stderr %q; want a refusal", extra, r.code, r.stderr)
		}
		if strings.Contains(r.stderr+r.stdout, email) || strings.Contains(r.stderr+r.stdout, "7000123") {
			t.Errorf("%v: the refusal repeats the identifier: %q", extra, r.stderr)
		}
	}
}

func TestReadSubject(t *testing.T) {
	for _, tc := range []struct {
		name, in      string
		rectification bool
		wantErr       string
		wantKeys      []string
	}{
		{name: "email and buyer ids", in: "email: jane@example.org\nbuyer_ids: [\"TikTokShop:1\"]\n", wantKeys: []string{"email", "buyer_ids"}},
		{name: "JSON", in: `{"buyer_ids": ["AliExpress:9"]}`, wantKeys: []string{"buyer_ids"}},
		{name: "nobody", in: "{}", wantErr: "neither email nor buyer_ids"},
		{name: "unknown key", in: "mail: jane@example.org\n", wantErr: "not YAML or JSON"},
		{name: "bad buyer id", in: "buyer_ids: [\"7000\"]\n", wantErr: "buyer_ids[0]"},
		{name: "rectification needs corrections", in: "email: jane@example.org\n", rectification: true, wantErr: "corrections"},
		{name: "corrections", in: "email: jane@example.org\ncorrections: {phone: \"+44\"}\n", rectification: true, wantKeys: []string{"email", "corrections.json"}},
		{name: "corrections only for a rectification", in: "email: jane@example.org\ncorrections: {phone: \"+44\"}\n", wantErr: "Rectification only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := readSubject(strings.NewReader(tc.in), "stdin", tc.rectification)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "jane") {
					t.Errorf("the error quotes the subject: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != len(tc.wantKeys) {
				t.Errorf("keys = %v, want %v", data, tc.wantKeys)
			}
			for _, k := range tc.wantKeys {
				if len(data[k]) == 0 {
					t.Errorf("no %s in %v", k, data)
				}
			}
		})
	}
}

func TestReportLateness(t *testing.T) {
	at := func(s string) *metav1.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &metav1.Time{Time: tm}
	}
	now := at("2026-06-01T00:00:00Z").Time
	request := func(name, receivedAt string, phase workspacesv1alpha1.RequestPhase, completed string, extended bool) workspacesv1alpha1.DataRequest {
		dr := workspacesv1alpha1.DataRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: workspacesv1alpha1.DataRequestSpec{
			TenantRef: workspacesv1alpha1.TenantReference{Name: "acme"}, Type: workspacesv1alpha1.RequestErasure,
			Jurisdiction: workspacesv1alpha1.JurisdictionGDPR, ReceivedAt: at(receivedAt),
			Subject: workspacesv1alpha1.Subject{SecretRef: workspacesv1alpha1.SecretReference{Name: "secret-" + name, Namespace: "privacy"}},
		}}
		if extended {
			dr.Spec.Extension = &workspacesv1alpha1.Extension{Reason: "complex"}
		}
		dr.Status.Phase = phase
		if completed != "" {
			dr.Status.Result = &workspacesv1alpha1.RequestResult{CompletedAt: at(completed), ReceiptSHA256: "abc"}
		}
		return dr
	}
	items := []workspacesv1alpha1.DataRequest{
		request("on-time", "2026-03-01T10:00:00Z", workspacesv1alpha1.RequestPhaseCompleted, "2026-03-20T10:00:00Z", false),
		request("answered-late", "2026-01-31T10:00:00Z", workspacesv1alpha1.RequestPhaseCompleted, "2026-03-01T10:00:00Z", false), // due 28 Feb
		request("open-past-due", "2026-04-01T10:00:00Z", workspacesv1alpha1.RequestPhaseRunning, "", false),
		request("open-in-time", "2026-05-20T10:00:00Z", workspacesv1alpha1.RequestPhasePending, "", false),
		request("failed-past-due", "2026-02-01T10:00:00Z", workspacesv1alpha1.RequestPhaseFailed, "2026-02-02T10:00:00Z", false),
		request("extended-in-time", "2026-02-01T10:00:00Z", workspacesv1alpha1.RequestPhaseCompleted, "2026-04-01T10:00:00Z", true),
		request("before-period", "2025-12-31T10:00:00Z", workspacesv1alpha1.RequestPhaseCompleted, "2026-01-02T10:00:00Z", false),
	}
	rows := reportRows(items, "", at("2026-01-01T00:00:00Z").Time, at("2026-06-01T00:00:00Z").Time, now)
	want := map[string]bool{"answered-late": true, "failed-past-due": true, "extended-in-time": false, "on-time": false, "open-past-due": true, "open-in-time": false}
	var order []string
	for _, r := range rows {
		order = append(order, r.Request)
		if late, ok := want[r.Request]; !ok || late != r.Late {
			t.Errorf("%s: late = %v, want %v (in the report: %v)", r.Request, r.Late, late, ok)
		}
	}
	if got := strings.Join(order, ","); got != "answered-late,extended-in-time,failed-past-due,on-time,open-past-due,open-in-time" {
		t.Errorf("rows by receipt: %s", got)
	}
	if rows[0].Due != "2026-02-28T10:00:00Z" {
		t.Errorf("a month from 31 January is due %s, want the last day of February", rows[0].Due)
	}
	var out bytes.Buffer
	for _, format := range []string{"table", "csv", "json"} {
		if err := printReport(&out, format, rows); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(out.String(), "secret-") || strings.Contains(out.String(), "privacy") {
		t.Errorf("the report names a subject Secret:\n%s", out.String())
	}
}

func TestWriteNewFileIsPrivateAndNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.json")
	if err := writeNewFile(path, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	if err := writeNewFile(path, []byte("{\"other\":1}")); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{}" {
		t.Errorf("the file was changed: %s", b)
	}
}

func TestWorkerLogFormat(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"worker", "erase", "--termination-log=" + filepath.Join(t.TempDir(), "log")}, `"level":"ERROR"`},
		{[]string{"worker", "--log-format", "text", "erase", "--termination-log=" + filepath.Join(t.TempDir(), "log")}, "level=ERROR"},
		{[]string{"worker", "--log-format=json", "--log-level=error", "erase", "--termination-log=" + filepath.Join(t.TempDir(), "log")}, `"level":"ERROR"`},
	} {
		r := run(tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "--tenant is required") {
			t.Errorf("%v: exit %d, stderr %q; want a %s line", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
