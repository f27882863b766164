package worker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// TestExportToSecret runs export --export-secret against a real API server, as a user that may patch the export
// Secrets and nothing else, the way the operator grants the Job's ServiceAccount.
func TestExportToSecret(t *testing.T) {
	f := newFixture(t)
	s := seed(t, f)
	env, err := testenv.Start(testenv.Options{CRDDirectories: []string{filepath.Join(testenv.Root(), "config", "crd", "bases")}})
	if err != nil {
		t.Fatalf("start the control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	admin, err := client.New(env.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const ns, user = "tenant-acme", "system:serviceaccount:tenant-acme:export-job"
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "export-alice", Namespace: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "someone-else", Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "export-job", Namespace: ns}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"patch"},
			ResourceNames: []string{"export-alice", "export-missing"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "export-job", Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "export-job"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}},
	} {
		if err := admin.Create(ctx, obj); err != nil {
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

	out := filepath.Join(f.dir, "export.json")
	r := f.run(subjectArgs(f, s, "export", "--export-secret="+ns+"/export-alice", "--output="+out)...).ok(t)
	if r.result["exportSecret"] != ns+"/export-alice" || !strings.Contains(r.stdout, "written to Secret "+ns+"/export-alice") {
		t.Errorf("result = %s, summary = %q", r.raw, r.stdout)
	}
	doc, _ := os.ReadFile(out)
	var sec corev1.Secret
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "export-alice"}, &sec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sec.Data[exportSecretKey], doc) || len(doc) != r.count("bytes") {
		t.Errorf("Secret holds %d bytes, the export file %d, the result says %d", len(sec.Data[exportSecretKey]), len(doc), r.count("bytes"))
	}

	// Running again writes the same bytes: the API server sees no change and keeps the resourceVersion.
	f.run(subjectArgs(f, s, "export", "--export-secret="+ns+"/export-alice")...).ok(t)
	var after corev1.Secret
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "export-alice"}, &after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != sec.ResourceVersion {
		t.Errorf("a repeated export changed the Secret (resourceVersion %s -> %s)", sec.ResourceVersion, after.ResourceVersion)
	}

	missing := f.run(subjectArgs(f, s, "export", "--export-secret="+ns+"/export-missing")...).failed(t, ExitFailed, contract.ReasonExportSecret)
	if !strings.Contains(missing.errorText(), "does not exist") {
		t.Errorf("error = %q", missing.errorText())
	}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "export-missing"}, &corev1.Secret{}); err == nil {
		t.Error("the worker created a Secret; it must only patch the operator's")
	}
	denied := f.run(subjectArgs(f, s, "export", "--export-secret="+ns+"/someone-else")...).failed(t, ExitFailed, contract.ReasonExportSecret)
	if !strings.Contains(denied.errorText(), "not allowed") {
		t.Errorf("error = %q", denied.errorText())
	}
}

// TestExportTooLargeForASecretIsRefusedBeforeConnecting checks the size bound without an API server.
func TestExportTooLargeForASecretIsRefusedBeforeConnecting(t *testing.T) {
	r := &runner{env: environment{kubeClient: func() (client.Client, error) {
		t.Error("connected to the API server with an export that cannot fit")
		return nil, errors.New("unused")
	}}}
	err := r.writeExportSecret(context.Background(), "ns", "name", make([]byte, maxSecretBytes))
	if reason, _ := classify(err); reason != contract.ReasonExportTooLarge {
		t.Errorf("reason = %s (%v), want %s", reason, err, contract.ReasonExportTooLarge)
	}
}
