package controllers

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/contract"
	"github.com/alitok/workspace-operator/internal/worker"
)

// Every Job and CronJob the operator builds runs a command line the worker reads back into the inputs the
// operator wrote, and every file the worker is told to read is in a volume the Pod mounts. The worker is then run
// on each command line with none of its input files present: it must get past its flags and fail on a missing
// file, never on its command line. A flag one side writes and the other does not read fails here, before any
// cluster. (Until the contract, purge and retention Jobs passed --hmac-key-file, which their tasks did not
// define: every real purge failed, while tests asserting the arguments the operator wrote stayed green.)
func TestEveryWorkerCommandLineTheOperatorWritesIsAccepted(t *testing.T) {
	cfg := testConfig()
	p := cfg.Providers[workspacesv1alpha1.ProviderTikTokShop]
	p.APIBaseURL = "https://sandbox.example"
	cfg.Providers[workspacesv1alpha1.ProviderTikTokShop] = p
	held := []workspacesv1alpha1.DataCategory{workspacesv1alpha1.CategoryOrders}
	tenant := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: workspacesv1alpha1.TenantSpec{Retention: []workspacesv1alpha1.RetentionRule{{Category: workspacesv1alpha1.CategoryOrders, KeepDays: 30}}}}

	commands := map[string]corev1.PodSpec{}
	add := func(name string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Spec struct {
				Template    corev1.PodTemplateSpec  `json:"template"`
				JobTemplate batchv1.JobTemplateSpec `json:"jobTemplate"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		pod := spec.Spec.Template.Spec // a Job's template is a Pod template; a CronJob's a Job template
		if len(pod.Containers) == 0 {
			pod = spec.Spec.JobTemplate.Spec.Template.Spec
		}
		commands[name] = pod
	}
	for _, provider := range []workspacesv1alpha1.Provider{workspacesv1alpha1.ProviderTikTokShop, workspacesv1alpha1.ProviderAliExpress} {
		i := &workspacesv1alpha1.Integration{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "tenant-acme"},
			Spec: workspacesv1alpha1.IntegrationSpec{Provider: provider, Account: workspacesv1alpha1.AccountRef{ID: "123"}}}
		for _, f := range []workspacesv1alpha1.FeatureName{workspacesv1alpha1.FeatureProducts, workspacesv1alpha1.FeatureOrders,
			workspacesv1alpha1.FeatureFulfillment, workspacesv1alpha1.FeatureReturns} {
			add("sync "+string(provider)+" "+string(f), desiredCronJob(cfg, i, "acme", "eu-central-1", workspacesv1alpha1.Feature{Name: f}, false))
		}
		add("purge on disconnect "+string(provider), desiredPurgeJob(cfg, i, "acme", "eu-central-1", nil))
		add("token refresh "+string(provider), desiredRefreshCronJob(cfg, i, "acme", "eu-central-1", false))
		add("purge on disconnect with holds "+string(provider), desiredPurgeJob(cfg, i, "acme", "", held))
	}
	add("retention", desiredRetentionCronJob(cfg, tenant, "tenant-acme", "", nil))
	add("retention with holds", desiredRetentionCronJob(cfg, tenant, "tenant-acme", "", held))
	add("tenant purge", desiredTenantPurgeJob(cfg, tenant, "tenant-acme", "", nil))
	add("tenant purge with holds", desiredTenantPurgeJob(cfg, tenant, "tenant-acme", "", held))
	for _, typ := range []workspacesv1alpha1.RequestType{workspacesv1alpha1.RequestAccess, workspacesv1alpha1.RequestErasure, workspacesv1alpha1.RequestRectification} {
		dr := &workspacesv1alpha1.DataRequest{ObjectMeta: metav1.ObjectMeta{Name: "req"}, Spec: workspacesv1alpha1.DataRequestSpec{Type: typ}}
		job, err := requestJob(cfg, dr, "acme", "tenant-acme", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		add(string(typ), job)
		dr.Spec.Scope = &workspacesv1alpha1.RequestScope{Integrations: []string{"shop", "store"}, Categories: held}
		if job, err = requestJob(cfg, dr, "acme", "tenant-acme", "", held); err != nil {
			t.Fatal(err)
		}
		add(string(typ)+" scoped, with holds", job)
	}

	for name, pod := range commands {
		t.Run(name, func(t *testing.T) {
			args := pod.Containers[0].Args
			if len(args) < 2 || args[0] != "worker" {
				t.Fatalf("args %v do not run the worker", args)
			}
			in, err := worker.Parse(args[1:])
			if err != nil {
				t.Fatalf("the worker refuses the command line the operator writes:\n  %s\n  %v", strings.Join(args, " "), err)
			}
			if read := contract.Args(in); !slices.Equal(read, args[1:]) {
				t.Errorf("the worker reads other inputs than the operator wrote:\n  wrote %q\n  read  %q", args[1:], read)
			}
			for _, p := range contract.Paths(in) {
				if !slices.ContainsFunc(pod.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool {
					return strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/") || p == m.MountPath
				}) {
					t.Errorf("the worker reads %s, which no volume of the Pod mounts", p)
				}
			}
			log := filepath.Join(t.TempDir(), "termination-log")
			code := worker.Main(context.Background(), append(args[1:], "--termination-log="+log), io.Discard, io.Discard)
			raw, err := os.ReadFile(log)
			if err != nil {
				t.Fatalf("no result written (exit %d): %v", code, err)
			}
			var res contract.Result
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			if code == worker.ExitUsage || res.Reason == contract.ReasonUsage {
				t.Errorf("the worker refuses the command line the operator writes:\n  %s\n  %s", strings.Join(args, " "), res.Error)
			}
			if res.Reason != contract.ReasonInvalidInput {
				t.Errorf("want the run to fail on its missing input files (InvalidInput), got %q: %s", res.Reason, res.Error)
			}
		})
	}
}
