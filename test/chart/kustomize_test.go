package chart_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/testenv"
)

// One image everywhere: a user's kustomize `images:` entry for the operator changes the Deployment's image, and
// the configuration leaves worker.image empty, so the operator runs its Jobs on the image of its own Pod's
// `manager` container (main.go ownImage) — the same one.
func TestChartKustomizeImagesOverrideAlsoChangesTheJobsImage(t *testing.T) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(assets, "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("no kubectl at %s: run hack/build-tools.sh control-plane", kubectl)
	}
	dir := t.TempDir()
	// kustomize takes only relative paths to other kustomizations.
	base, err := filepath.Rel(dir, filepath.Join(testenv.Root(), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	overlay := "resources: [" + base + "]\n" +
		"images: [{name: ghcr.io/alitok/workspace-operator, newName: registry.example/ops/workspace-operator, newTag: v9.9.9}]\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("kubectl kustomize: %v\n%s", err, stderr)
	}
	var deployment *appsv1.Deployment
	var configYAML string
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		var raw runtime.RawExtension
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(raw.Raw, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Deployment":
			deployment = &appsv1.Deployment{}
			if err := yaml.Unmarshal(raw.Raw, deployment); err != nil {
				t.Fatal(err)
			}
		case "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := yaml.Unmarshal(raw.Raw, cm); err != nil {
				t.Fatal(err)
			}
			if cm.Name == "workspace-operator-config" {
				configYAML = cm.Data["config.yaml"]
			}
		}
	}
	if deployment == nil || configYAML == "" {
		t.Fatalf("config/default renders no Deployment or no workspace-operator-config ConfigMap:\n%s", out)
	}
	var image string
	for _, c := range deployment.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			image = c.Image
		}
	}
	if image != "registry.example/ops/workspace-operator:v9.9.9" {
		t.Errorf("the manager container's image is %q, want the images: override (and the container named manager, which the operator reads)", image)
	}
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatalf("config/manager/config.yaml does not load: %v", err)
	}
	if cfg.Worker.Image != "" {
		t.Errorf("config/manager/config.yaml pins worker.image %q: Jobs would not follow the images: override", cfg.Worker.Image)
	}
}
