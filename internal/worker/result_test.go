package worker

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/store"
)

func TestResultStaysWithinTheTerminationMessageLimit(t *testing.T) {
	long := strings.Repeat("é", 5000)
	b := encodeResult(contract.Result{Task: "sync", Reason: contract.ReasonProviderError, Error: long, CompletedAt: "2026-01-01T00:00:00Z"})
	if len(b) >= contract.MaxResultBytes || !json.Valid(b) {
		t.Fatalf("long error: %d bytes, valid %v", len(b), json.Valid(b))
	}
	var r contract.Result
	_ = json.Unmarshal(b, &r)
	if !utf8.ValidString(r.Error) || !strings.HasSuffix(r.Error, "…") {
		t.Errorf("error not cut cleanly: %q", r.Error[len(r.Error)-8:])
	}

	huge := map[string]int{}
	for i := range 400 {
		huge[strings.Repeat("c", 10)+string(rune('a'+i%26))+strings.Repeat("x", i%7)+string(rune('A'+i/26))] = i
	}
	b = encodeResult(contract.Result{Task: "export", OK: true, Counts: huge, Held: store.AllCategories, CompletedAt: "now"})
	if len(b) >= contract.MaxResultBytes || !json.Valid(b) {
		t.Fatalf("huge counts: %d bytes", len(b))
	}
	if err := json.Unmarshal(b, &r); err != nil || !r.Truncated || !r.OK || r.Task != "export" {
		t.Errorf("truncated result = %s", b)
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"日本", 4, "日"}, {"日本", 2, ""}} {
		if got := truncateUTF8(c.in, c.n); got != c.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestRedactorMasksLongestFirst(t *testing.T) {
	var r redactor
	r.add("tok", "token-secret", "  ", "x")
	if got := r.apply("got token-secret and tok and x"); got != "got [redacted] and [redacted] and x" {
		t.Errorf("apply = %q", got)
	}
}

func TestTerminationLogArg(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, DefaultTerminationLog},
		{[]string{"sync", "--termination-log=/tmp/a"}, "/tmp/a"},
		{[]string{"bogus", "-termination-log", "/tmp/b"}, "/tmp/b"},
		{[]string{"sync", "--tenant=termination-log"}, DefaultTerminationLog},
	} {
		if got := terminationLogArg(c.args); got != c.want {
			t.Errorf("terminationLogArg(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// The store names categories by its own strings; they must be the API's. Every provider the API knows has a
// client registered, and none is registered that the API does not know.
func TestNamesMatchTheAPI(t *testing.T) {
	var api []string
	for _, c := range workspacesv1alpha1.AllCategories {
		api = append(api, string(c))
	}
	if !slices.Equal(api, store.AllCategories) {
		t.Errorf("store categories %v, API %v", store.AllCategories, api)
	}
	var want []string
	for _, p := range workspacesv1alpha1.Providers {
		want = append(want, string(p))
	}
	slices.Sort(want)
	if got := registeredProviders(); !slices.Equal(got, want) {
		t.Errorf("registered platforms %v, API providers %v", got, want)
	}
}
