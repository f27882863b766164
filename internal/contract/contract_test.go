package contract

import (
	"io"
	"slices"
	"strings"
	"testing"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// parse reads a command line written by Args back, as a worker would.
func parse(t *testing.T, args []string) Inputs {
	t.Helper()
	in, err := New(Task(args[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := NewFlagSet(in).Parse(args[1:]); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	if err := CheckRequired(in); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return in
}

// Every task's inputs, with every field set, survive the trip through a command line: what the operator writes
// is what the worker reads.
func TestEveryInputSurvivesTheCommandLine(t *testing.T) {
	held := []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategoryOrders, workspacesv1alpha1.CategoryLogs}
	subject := Subject{Tenant: "acme", SubjectDir: SubjectFiles("dr-x-subject"), HMACKey: TenantHMACKey(), Database: TenantDatabase(),
		Held: held, Integrations: []string{"shop", "store"}, Categories: held}
	for _, in := range []Inputs{
		&Sync{Tenant: "acme", Integration: "shop", Provider: workspacesv1alpha1.ProviderTikTokShop, Feature: workspacesv1alpha1.FeatureOrders,
			AccountID: "7", APIBaseURL: "https://sandbox.example", Since: "2026-01-01T00:00:00Z", Credentials: Credentials("shop-credentials"),
			Database: TenantDatabase(), HMACKey: TenantHMACKey(), RestrictionList: Mounted{Path: "/tmp/list.json"}, Restrictions: RestrictionList()},
		&Erase{subject}, &Rectify{subject},
		&Export{Subject: subject, MaxBytes: 1024, Output: "/tmp/out.json", ExportSecret: "ns/name"},
		&Purge{Tenant: "acme", Integration: "shop", Held: held, Database: TenantDatabase()},
		&Refresh{Tenant: "acme", Integration: "shop", Provider: workspacesv1alpha1.ProviderTikTokShop, APIBaseURL: "https://api.example",
			AuthBaseURL: "https://auth.example", RefreshBefore: "72h", Credentials: Credentials("shop-credentials"), TokenSecret: "tenant-acme/shop-token"},
		&Retention{Tenant: "acme", Keep: Keep{{workspacesv1alpha1.CategoryLogs, 30}, {workspacesv1alpha1.CategoryOrders, 2555}}, Held: held, Database: TenantDatabase()},
	} {
		t.Run(string(in.Task()), func(t *testing.T) {
			args := Args(in)
			for _, f := range fields(in) {
				if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--"+f.name+"=") }) {
					t.Errorf("--%s is not written although set: the example leaves a field empty", f.name)
				}
			}
			if back := Args(parse(t, args)); !slices.Equal(back, args) {
				t.Errorf("round trip changed the command line:\n  wrote %q\n  read  %q", args, back)
			}
		})
	}
}

// A task's flags are unique, and every flag belongs to a field the struct declares.
func TestEveryTaskHasOneFlagPerField(t *testing.T) {
	for _, task := range Tasks {
		in, err := New(task)
		if err != nil {
			t.Fatal(err)
		}
		if in.Task() != task {
			t.Errorf("New(%s) returns the inputs of %s", task, in.Task())
		}
		seen := map[string]bool{}
		for _, f := range fields(in) {
			if seen[f.name] {
				t.Errorf("%s declares --%s twice", task, f.name)
			}
			seen[f.name] = true
			if f.usage == "" {
				t.Errorf("%s --%s has no usage text", task, f.name)
			}
		}
	}
}

func TestMountsFollowTheInputs(t *testing.T) {
	in := &Purge{Tenant: "acme", Database: TenantDatabase()}
	got := Mounts(in)
	if len(got) != 1 || got[0].Secret != DatabaseSecret || !strings.HasPrefix(in.Database.Path, got[0].Dir+"/") {
		t.Errorf("mounts = %+v for a purge reading %s", got, in.Database.Path)
	}
	// A path given by hand mounts nothing.
	if got := Mounts(&Purge{Tenant: "acme", Database: Mounted{Path: "/tmp/dsn"}}); len(got) != 0 {
		t.Errorf("mounts = %+v for a hand-given path", got)
	}
}

func TestBadValuesAreRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"purge", "--tenant=a", "--database-dsn-file=x", "--held-categories=orders,invoices"}, `unknown data category "invoices"`},
		{[]string{"retention", "--tenant=a", "--database-dsn-file=x", "--keep=orders=-1"}, "non-negative"},
		{[]string{"retention", "--tenant=a", "--database-dsn-file=x", "--keep=orders=1,orders=2"}, "named twice"},
		{[]string{"retention", "--tenant=a", "--database-dsn-file=x", "--keep=bogus=1"}, "unknown data category"},
		{[]string{"export", "--tenant=a", "--subject-dir=x", "--hmac-key-file=x", "--database-dsn-file=x", "--max-bytes=lots"}, "not an integer"},
	} {
		in, _ := New(Task(c.args[0]))
		fs := NewFlagSet(in)
		fs.SetOutput(io.Discard)
		err := fs.Parse(c.args[1:])
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to say %q", c.args, err, c.want)
		}
	}
	in, _ := New(TaskRetention)
	if err := NewFlagSet(in).Parse([]string{"--tenant=a"}); err != nil {
		t.Fatal(err)
	}
	if err := CheckRequired(in); err == nil || !strings.Contains(err.Error(), "--keep is required") {
		t.Errorf("missing --keep: %v", err)
	}
}
