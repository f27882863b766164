package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Helm returns the helm hack/build-tools.sh helm builds, for the version in hack/tools.env.
func Helm() (string, error) {
	versions, err := readToolVersions(filepath.Join(Root(), "hack", "tools.env"))
	if err != nil {
		return "", err
	}
	helm := filepath.Join(Root(), "bin", "helm-"+versions["HELM_VERSION"])
	if _, err := os.Stat(helm); err != nil {
		return "", fmt.Errorf("no helm at %s: run hack/build-tools.sh helm (make test and make helm-check do)", helm)
	}
	return helm, nil
}

// HelmTemplate renders charts/workspace-operator as release in namespace for the Kubernetes version in
// hack/tools.env, with extra helm arguments, and returns the YAML; its error carries helm's message.
func HelmTemplate(release, namespace string, args ...string) ([]byte, error) {
	helm, err := Helm()
	if err != nil {
		return nil, err
	}
	versions, err := readToolVersions(filepath.Join(Root(), "hack", "tools.env"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(helm, append([]string{"template", release, filepath.Join(Root(), "charts", "workspace-operator"),
		"--namespace", namespace, "--kube-version", versions["KUBE_VERSION"]}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(stderr.String())
	}
	return out, nil
}
