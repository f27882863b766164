// Package testenv starts a real control plane — etcd and kube-apiserver through envtest, and optionally the
// real kube-controller-manager — from the binaries hack/build-tools.sh builds into bin/. The tests and the
// local cluster for people (hack/localcluster) share it.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Root returns the repository's root folder, found from this source file.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir returns the folder holding kube-apiserver, etcd and kube-controller-manager: KUBEBUILDER_ASSETS
// when set, else the one hack/build-tools.sh builds for the versions in hack/tools.env.
func AssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	versions, err := readToolVersions(filepath.Join(Root(), "hack", "tools.env"))
	if err != nil {
		return "", err
	}
	dir := filepath.Join(Root(), "bin", fmt.Sprintf("k8s-%s-etcd-%s", versions["KUBE_VERSION"], versions["ETCD_VERSION"]))
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", fmt.Errorf("no control plane binaries in %s: run hack/build-tools.sh first", dir)
	}
	return dir, nil
}

func readToolVersions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out, sc.Err()
}

// Options choose what Start runs besides etcd and kube-apiserver.
type Options struct {
	// CRDDirectories are installed once the API server is up; default: config/crd/bases.
	CRDDirectories []string
	// ControllerManager also runs the real kube-controller-manager (namespace deletion, garbage collection,
	// the Job and CronJob controllers).
	ControllerManager bool
	// ControllerManagerLog receives its output; default: discarded.
	ControllerManagerLog *os.File
}

// Env is a running control plane.
type Env struct {
	*envtest.Environment
	// Config is a cluster-admin REST config.
	Config *rest.Config
	// Kubeconfig is a cluster-admin kubeconfig file for external processes (kubectl, the controller manager).
	Kubeconfig string

	kcm     *exec.Cmd
	kcmDone chan error
	tmpDir  string
}

// Start starts etcd and kube-apiserver, installs the CRDs, and, when asked, the controller manager.
func Start(opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	if len(opts.CRDDirectories) == 0 {
		opts.CRDDirectories = []string{filepath.Join(Root(), "config", "crd", "bases")}
	}
	e := &Env{Environment: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     opts.CRDDirectories,
		ErrorIfCRDPathMissing: true,
		// A cold start on a busy 2-core machine can be slow.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}}
	if e.Config, err = e.Environment.Start(); err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	if e.tmpDir, err = os.MkdirTemp("", "workspace-operator-env-"); err != nil {
		return nil, e.stopAfter(err)
	}
	admin, err := e.AddUser(envtest.User{Name: "envtest-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, e.stopAfter(err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return nil, e.stopAfter(err)
	}
	e.Kubeconfig = filepath.Join(e.tmpDir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		return nil, e.stopAfter(err)
	}
	if opts.ControllerManager {
		if err := e.startControllerManager(assets, opts.ControllerManagerLog); err != nil {
			return nil, e.stopAfter(err)
		}
	}
	return e, nil
}

// startControllerManager runs kube-controller-manager against the API server. Service account tokens are
// left out: envtest's API server has no token signer for it, and no test needs them.
func (e *Env) startControllerManager(assets string, logTo *os.File) error {
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+e.Kubeconfig,
		"--controllers=*,-serviceaccount-token",
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-namespace-syncs=5",
		"--concurrent-gc-syncs=5",
	)
	if logTo != nil {
		cmd.Stdout, cmd.Stderr = logTo, logTo
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	e.kcm = cmd
	e.kcmDone = make(chan error, 1)
	go func() { e.kcmDone <- cmd.Wait() }()
	// It reports nothing when ready; give it a moment and make sure it did not exit at once.
	select {
	case err := <-e.kcmDone:
		return fmt.Errorf("kube-controller-manager exited at start: %v", err)
	case <-time.After(time.Second):
	}
	return nil
}

// Stop stops everything Start started.
func (e *Env) Stop() error {
	if e.kcm != nil && e.kcm.Process != nil {
		_ = e.kcm.Process.Signal(os.Interrupt)
		select {
		case <-e.kcmDone:
		case <-time.After(10 * time.Second):
			_ = e.kcm.Process.Kill()
			<-e.kcmDone
		}
	}
	err := e.Environment.Stop()
	if e.tmpDir != "" {
		_ = os.RemoveAll(e.tmpDir)
	}
	return err
}

func (e *Env) stopAfter(err error) error {
	_ = e.Stop()
	return err
}

// WaitForAPI polls fn until it returns nil or ctx ends.
func WaitForAPI(ctx context.Context, fn func() error) error {
	var last error
	for {
		if last = fn(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
