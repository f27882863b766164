// Package chart_test installs, upgrades and uninstalls the Helm chart with the real helm against a real
// kube-apiserver, for what rendering alone cannot show: that an upgrade updates the CRDs and that uninstall keeps
// them.
package chart_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/testenv"
)

const (
	release   = "workspace-operator"
	namespace = "workspace-operator-system"
	tenantCRD = "tenants.workspaces.alitok.ai"
)

// An older release of the chart is installed whose Tenant CRD lacks the Isolated printer column and the
// status.conditions field; `helm upgrade` to this chart brings both, and `helm uninstall` leaves the CRDs and the
// Tenants in place (crds.keep, the default); with crds.keep=false it deletes them.
func TestChartUpgradeUpdatesCRDsAndUninstallKeepsThem(t *testing.T) {
	c, run, _ := cluster(t)
	ctx := context.Background()
	chart := filepath.Join(testenv.Root(), "charts", "workspace-operator")

	old := olderChart(t, chart)
	run("install", release, old, "--namespace", namespace, "--create-namespace")
	crd := &apiextensionsv1.CustomResourceDefinition{}
	get := func() {
		t.Helper()
		if err := c.Get(ctx, client.ObjectKey{Name: tenantCRD}, crd); err != nil {
			t.Fatalf("the Tenant CRD: %v", err)
		}
	}
	get()
	if hasColumn(crd, "Isolated") || hasStatusConditions(crd) {
		t.Fatal("the older chart's Tenant CRD already has the Isolated column and status.conditions: the test proves nothing")
	}
	if crd.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("the CRD lacks helm.sh/resource-policy: keep: %v", crd.Annotations)
	}
	tenant := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: workspacesv1alpha1.TenantSpec{DisplayName: "ACME"}}
	if err := c.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}

	run("upgrade", release, chart, "--namespace", namespace)
	get()
	if !hasColumn(crd, "Isolated") || !hasStatusConditions(crd) {
		t.Errorf("helm upgrade left the Tenant CRD as the older release had it (columns %v)", columns(crd))
	}

	run("uninstall", release, "--namespace", namespace)
	get()
	if err := c.Get(ctx, client.ObjectKeyFromObject(tenant), &workspacesv1alpha1.Tenant{}); err != nil {
		t.Errorf("the Tenant is gone after helm uninstall: %v", err)
	}
	for _, name := range []string{"integrations.workspaces.alitok.ai", "datarequests.workspaces.alitok.ai"} {
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &apiextensionsv1.CustomResourceDefinition{}); err != nil {
			t.Errorf("CRD %s is gone after helm uninstall: %v", name, err)
		}
	}

	// Installed again (the kept CRDs still name this release, so Helm takes them back) with crds.keep=false,
	// helm uninstall deletes them: Helm decides by the release's manifest, not by the live object's annotations
	// (which the adoption's merge leaves in place).
	run("install", release, chart, "--namespace", namespace, "--set", "crds.keep=false")
	run("uninstall", release, "--namespace", namespace)
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.Get(ctx, client.ObjectKey{Name: tenantCRD}, &apiextensionsv1.CustomResourceDefinition{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with crds.keep=false the Tenant CRD is still there a minute after helm uninstall (%v)", err)
		}
		time.Sleep(time.Second)
	}
}

// A release installed from chart 0.1.0, whose CRDs sat in crds/ (installed once by Helm, outside the release),
// is upgraded as the README says: helm upgrade alone refuses to take over CRDs it did not install, and after the
// README's kubectl label and annotate it succeeds, the CRDs belong to the release and the Tenants stay.
func TestChartUpgradeFromCRDsFolderAfterAdoption(t *testing.T) {
	c, run, try := cluster(t)
	ctx := context.Background()
	chart := filepath.Join(testenv.Root(), "charts", "workspace-operator")
	run("install", release, crdsFolderChart(t, chart), "--namespace", namespace, "--create-namespace")
	tenant := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: workspacesv1alpha1.TenantSpec{DisplayName: "ACME"}}
	if err := c.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}

	out, err := try("upgrade", release, chart, "--namespace", namespace)
	if err == nil {
		t.Fatal("helm upgrade took over CRDs from crds/ without the adoption step: the README's step is not needed, say so")
	}
	if !strings.Contains(out, "invalid ownership metadata") {
		t.Fatalf("helm upgrade without adoption failed, but not for the CRDs' ownership:\n%s", out)
	}

	// The README's adoption step, as kubectl label and kubectl annotate would write it.
	for _, name := range []string{tenantCRD, "integrations.workspaces.alitok.ai", "datarequests.workspaces.alitok.ai"} {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			t.Fatal(err)
		}
		base := crd.DeepCopy()
		metav1.SetMetaDataLabel(&crd.ObjectMeta, "app.kubernetes.io/managed-by", "Helm")
		metav1.SetMetaDataAnnotation(&crd.ObjectMeta, "meta.helm.sh/release-name", release)
		metav1.SetMetaDataAnnotation(&crd.ObjectMeta, "meta.helm.sh/release-namespace", namespace)
		if err := c.Patch(ctx, crd, client.MergeFrom(base)); err != nil {
			t.Fatal(err)
		}
	}
	run("upgrade", release, chart, "--namespace", namespace)
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Name: tenantCRD}, crd); err != nil {
		t.Fatal(err)
	}
	if crd.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("after the upgrade the Tenant CRD is not the release's (annotations %v)", crd.Annotations)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(tenant), &workspacesv1alpha1.Tenant{}); err != nil {
		t.Errorf("the Tenant is gone after the upgrade: %v", err)
	}
}

// cluster starts a kube-apiserver without CRDs and returns a client and two ways to run helm against it: run
// fails the test when helm fails, try returns helm's output and error.
func cluster(t *testing.T) (client.Client, func(args ...string), func(args ...string) (string, error)) {
	t.Helper()
	helm := helmBinary(t)
	env, err := testenv.Start(testenv.Options{CRDDirectories: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := testenv.Client(env.Config, apiextensionsv1.AddToScheme)
	if err != nil {
		t.Fatal(err)
	}
	try := func(args ...string) (string, error) {
		cmd := exec.Command(helm, args...)
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubeconfig, "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := try(args...); err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return c, run, try
}

// crdsFolderChart copies the chart laid out as 0.1.0 was: the CRDs in crds/, no CRD templates.
func crdsFolderChart(t *testing.T, chart string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "workspace-operator")
	if out, err := exec.Command("cp", "-r", chart, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	if err := os.Rename(filepath.Join(dir, "files", "crds"), filepath.Join(dir, "crds")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "templates", "crds.yaml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// olderChart copies the chart, with a Tenant CRD as an older release had it: no Isolated printer column and no
// status.conditions.
func olderChart(t *testing.T, chart string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "workspace-operator")
	if out, err := exec.Command("cp", "-r", chart, dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "files", "crds", "workspaces.alitok.ai_tenants.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	v := &crd.Spec.Versions[0]
	v.AdditionalPrinterColumns = slices.DeleteFunc(v.AdditionalPrinterColumns, func(c apiextensionsv1.CustomResourceColumnDefinition) bool {
		return c.Name == "Isolated"
	})
	delete(v.Schema.OpenAPIV3Schema.Properties["status"].Properties, "conditions")
	data, err = yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func hasColumn(crd *apiextensionsv1.CustomResourceDefinition, name string) bool {
	return slices.Contains(columns(crd), name)
}

func columns(crd *apiextensionsv1.CustomResourceDefinition) []string {
	var out []string
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		out = append(out, c.Name)
	}
	return out
}

func hasStatusConditions(crd *apiextensionsv1.CustomResourceDefinition) bool {
	_, ok := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"].Properties["conditions"]
	return ok
}

func helmBinary(t *testing.T) string {
	t.Helper()
	helm, err := testenv.Helm()
	if err != nil {
		t.Fatal(err)
	}
	return helm
}
