package cli

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/alitok/workspace-operator/internal/testenv"
)

// managerArgsParse fails unless args are the manager command with flags it knows and nothing else.
func managerArgsParse(t *testing.T, where string, args []string) {
	t.Helper()
	root := NewRootCommand("workspace-operator", genericiooptions.NewTestIOStreamsDiscard())
	cmd, rest, err := root.Find(args)
	if err != nil || cmd.Name() != "manager" {
		t.Fatalf("%s: args %v do not run the manager command (%v)", where, args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("%s: the manager command refuses %v: %v", where, rest, err)
	}
	if cmd.Flags().NArg() > 0 {
		t.Fatalf("%s: positional arguments %v", where, cmd.Flags().Args())
	}
}

// managerContainer finds the manager container's args in YAML documents.
func managerContainer(t *testing.T, where string, data []byte) []string {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var d appsv1.Deployment
		if err := dec.Decode(&d); err != nil {
			break
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if d.Kind == "Deployment" && c.Name == "manager" {
				return c.Args
			}
		}
	}
	t.Fatalf("%s has no Deployment with a manager container", where)
	return nil
}

func TestDeploymentsRunTheManagerCommandWithFlagsItKnows(t *testing.T) {
	manifest := filepath.Join(testenv.Root(), "config", "manager", "manager.yaml")
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	managerArgsParse(t, "config/manager", managerContainer(t, manifest, data))

	helm := filepath.Join(testenv.Root(), "bin", "helm-"+toolVersion(t, "HELM_VERSION"))
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("no helm at %s: run hack/build-tools.sh helm (make helm-check does)", helm)
	}
	out, err := exec.Command(helm, "template", "workspace-operator", filepath.Join(testenv.Root(), "charts", "workspace-operator"),
		"--namespace", "workspace-operator-system", "--set", "extraArgs={--log-level=debug,--tenant-concurrency=8}").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	args := managerContainer(t, "the chart", out)
	managerArgsParse(t, "the chart", args)
	if !strings.Contains(strings.Join(args, " "), "--log-level=debug") {
		t.Errorf("the chart's extraArgs are not passed: %v", args)
	}
}

func toolVersion(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Root(), "hack", "tools.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s in hack/tools.env", name)
	return ""
}
