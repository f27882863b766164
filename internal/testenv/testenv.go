// Package testenv starts a real control plane — etcd and kube-apiserver through envtest, and optionally the
// real kube-controller-manager — from the binaries hack/build-tools.sh builds into bin/. The tests and the
// local cluster for people (hack/localcluster) share it.
package testenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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

// ESOCRDs returns the path of ESO's CRD bundle in the Go module cache, for the ESO version in hack/tools.env
// (hack/build-tools.sh eso downloads the module).
func ESOCRDs() (string, error) {
	versions, err := readToolVersions(filepath.Join(Root(), "hack", "tools.env"))
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "github.com", "external-secrets",
		"external-secrets@"+versions["ESO_VERSION"], "deploy", "crds", "bundle.yaml")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no ESO CRDs at %s: run hack/build-tools.sh eso first", path)
	}
	return path, nil
}

// ESOBinary returns the ESO controller hack/build-tools.sh eso builds.
func ESOBinary() (string, error) {
	versions, err := readToolVersions(filepath.Join(Root(), "hack", "tools.env"))
	if err != nil {
		return "", err
	}
	path := filepath.Join(Root(), "bin", "eso-"+versions["ESO_VERSION"], "external-secrets")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no ESO controller at %s: run hack/build-tools.sh eso first", path)
	}
	return path, nil
}

// Options choose what Start runs besides etcd and kube-apiserver.
type Options struct {
	// CRDDirectories are installed once the API server is up; default: config/crd/bases and ESO's CRDs.
	CRDDirectories []string
	// ControllerManager also runs the real kube-controller-manager (namespace deletion, garbage collection,
	// the Job and CronJob controllers).
	ControllerManager bool
	// ControllerManagerLog receives its output; default: discarded.
	ControllerManagerLog *os.File
	// ESO also runs the real External Secrets Operator controller.
	ESO bool
	// ESOLog receives its output; default: discarded.
	ESOLog *os.File
	// ESOArgs replace the ESO controller's flags of the same name (for example "--store-requeue-interval=5m").
	ESOArgs []string
	// APIServerArgs are extra kube-apiserver flags, name without dashes to values (for example an audit log).
	APIServerArgs map[string][]string
	// PodSecurityExemptUsers may create any Pod whatever the namespace's Pod Security labels say (the admission
	// plugin's exemptions.usernames), as a cluster's break-glass identity may: tests use one to put a privileged
	// Pod where a tenant namespace forbids it.
	PodSecurityExemptUsers []string
}

// podSecurityConfig is an AdmissionConfiguration with Pod Security's defaults (privileged where a namespace
// sets no label) and the given users exempt.
func podSecurityConfig(users []string) ([]byte, error) {
	quoted, err := json.Marshal(users)
	if err != nil {
		return nil, err
	}
	return []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: privileged, enforce-version: latest, audit: privileged, audit-version: latest, warn: privileged, warn-version: latest}
    exemptions: {usernames: ` + string(quoted) + `, namespaces: [], runtimeClasses: []}
`), nil
}

// Env is a running control plane.
type Env struct {
	*envtest.Environment
	// Config is a cluster-admin REST config.
	Config *rest.Config
	// Kubeconfig is a cluster-admin kubeconfig file for external processes (kubectl, the controller manager).
	Kubeconfig string

	procs  []*process
	tmpDir string
}

// process is a control-plane component Start runs as a child process.
type process struct {
	name    string
	restart bool
	logTo   *os.File
	start   func() (*exec.Cmd, error)
	// down is closed once the component is down for good, with exitErr its last exit status; stop once Stop
	// began.
	down, stop chan struct{}

	mu       sync.Mutex
	cmd      *exec.Cmd // the running command
	exitErr  error
	restarts int
	stopping bool
}

// Start starts etcd and kube-apiserver, installs the CRDs, and, when asked, the controller manager.
func Start(opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	if len(opts.CRDDirectories) == 0 {
		esoCRDs, err := ESOCRDs()
		if err != nil {
			return nil, err
		}
		opts.CRDDirectories = []string{filepath.Join(Root(), "config", "crd", "bases"), esoCRDs}
	}
	e := &Env{Environment: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     opts.CRDDirectories,
		ErrorIfCRDPathMissing: true,
		// A cold start on a busy 2-core machine can be slow.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}}
	if e.tmpDir, err = os.MkdirTemp("", "workspace-operator-env-"); err != nil {
		return nil, err
	}
	for name, values := range opts.APIServerArgs {
		e.ControlPlane.GetAPIServer().Configure().Append(name, values...)
	}
	if len(opts.PodSecurityExemptUsers) > 0 {
		cfg, err := podSecurityConfig(opts.PodSecurityExemptUsers)
		if err != nil {
			_ = os.RemoveAll(e.tmpDir)
			return nil, err
		}
		path := filepath.Join(e.tmpDir, "admission.yaml")
		if err := os.WriteFile(path, cfg, 0o600); err != nil {
			_ = os.RemoveAll(e.tmpDir)
			return nil, err
		}
		e.ControlPlane.GetAPIServer().Configure().Append("admission-control-config-file", path)
	}
	if e.Config, err = e.Environment.Start(); err != nil {
		_ = os.RemoveAll(e.tmpDir)
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
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
		// Service account tokens are left out: envtest's API server has no token signer for them, and
		// nothing here needs them.
		if err := e.startProcess("kube-controller-manager", filepath.Join(assets, "kube-controller-manager"), opts.ControllerManagerLog, false,
			"--kubeconfig="+e.Kubeconfig, "--controllers=*,-serviceaccount-token", "--leader-elect=false", "--secure-port=0",
			"--concurrent-namespace-syncs=5", "--concurrent-gc-syncs=5",
		); err != nil {
			return nil, e.stopAfter(err)
		}
	}
	if opts.ESO {
		bin, err := ESOBinary()
		if err != nil {
			return nil, e.stopAfter(err)
		}
		// One worker: ESO v0.16.2's fake provider (the tests' and the local cluster's backend) keeps every
		// store's data in one map keyed by store name, written by each reconcile without a lock, so concurrent
		// reconciles crash ESO ("concurrent map writes", seen with 200 tenants) or read another tenant's
		// entries (upstream external-secrets#6233). One worker per controller still leaves the SecretStore,
		// ExternalSecret and PushSecret controllers racing each other; at 1,000 tenants ESO crashed that way. It
		// is restarted when it exits, as the kubelet would restart its pod, and Restarts counts it.
		if err := e.startProcess("external-secrets", bin, opts.ESOLog, true, mergeFlags([]string{
			"--enable-leader-election=false", "--metrics-addr=0", "--concurrent=1",
			"--store-requeue-interval=10s",
		}, opts.ESOArgs)...); err != nil {
			return nil, e.stopAfter(err)
		}
	}
	return e, nil
}

// startProcess runs a component against the API server. None reports when it is ready: Start gives each a
// moment and makes sure it did not exit at once. A component started with restart is started again whenever it
// exits later, as the kubelet restarts a crashed container (Restarts counts it); others stay down, and Exited
// reports them.
func (e *Env) startProcess(name, path string, logTo *os.File, restart bool, args ...string) error {
	p := &process{name: name, restart: restart, logTo: logTo, down: make(chan struct{}), stop: make(chan struct{}),
		start: func() (*exec.Cmd, error) {
			cmd := exec.Command(path, args...)
			cmd.Env = append(os.Environ(), "KUBECONFIG="+e.Kubeconfig)
			if logTo != nil {
				cmd.Stdout, cmd.Stderr = logTo, logTo
			}
			return cmd, cmd.Start()
		}}
	cmd, err := p.start()
	if err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	exited := wait(cmd)
	select {
	case err := <-exited:
		return fmt.Errorf("%s exited at start: %w", name, err)
	case <-time.After(time.Second):
	}
	p.cmd = cmd
	e.procs = append(e.procs, p)
	go p.supervise(exited)
	return nil
}

func wait(cmd *exec.Cmd) <-chan error {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return exited
}

// supervise waits for the running command to exit and, while it should run, starts it again after the kubelet's
// back-off: doubling from one second up to ten, and from one second again after a run of a minute.
func (p *process) supervise(exited <-chan error) {
	backoff, started := time.Second, time.Now()
	for {
		err := <-exited
		p.mu.Lock()
		if p.stopping || !p.restart {
			p.exitErr = err
			p.mu.Unlock()
			close(p.down)
			return
		}
		p.mu.Unlock()
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		if p.logTo != nil {
			fmt.Fprintf(p.logTo, "\ntestenv: %s exited (%v); starting it again in %s\n", p.name, err, backoff)
		}
		select {
		case <-p.stop:
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
		p.mu.Lock()
		if p.stopping {
			p.exitErr = err
			p.mu.Unlock()
			close(p.down)
			return
		}
		cmd, startErr := p.start()
		if startErr != nil {
			p.exitErr = fmt.Errorf("starting %s again: %w", p.name, startErr)
			p.mu.Unlock()
			close(p.down)
			return
		}
		p.cmd, started = cmd, time.Now()
		p.restarts++
		p.mu.Unlock()
		exited = wait(cmd)
	}
}

// Exited reports a component Start started (kube-controller-manager, ESO) that has since exited for good, with
// its exit status; nil while all run. A harness waiting on them fails at once instead of waiting for its timeout.
func (e *Env) Exited() error {
	for _, p := range e.procs {
		select {
		case <-p.down:
			return fmt.Errorf("%s exited: %w", p.name, p.exitErr)
		default:
		}
	}
	return nil
}

// Restarts reports how often each component was started again after it exited (only ESO is restarted).
func (e *Env) Restarts() map[string]int {
	n := map[string]int{}
	for _, p := range e.procs {
		p.mu.Lock()
		n[p.name] = p.restarts
		p.mu.Unlock()
	}
	return n
}

// Stop stops everything Start started; calling it again does nothing more. Every component is told not to
// restart before any is stopped: an interrupt from a terminal reaches them all at once.
func (e *Env) Stop() error {
	e.stopProcesses()
	err := e.Environment.Stop()
	if e.tmpDir != "" {
		_ = os.RemoveAll(e.tmpDir)
	}
	return err
}

func (e *Env) stopProcesses() {
	for _, p := range e.procs {
		p.mu.Lock()
		if !p.stopping {
			p.stopping = true
			close(p.stop)
		}
		p.mu.Unlock()
	}
	for _, p := range e.procs {
		p.mu.Lock()
		cmd := p.cmd
		p.mu.Unlock()
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.down:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.down
		}
	}
}

func (e *Env) stopAfter(err error) error {
	_ = e.Stop()
	return err
}

// mergeFlags returns defaults with each flag that extra also sets replaced by extra's value.
func mergeFlags(defaults, extra []string) []string {
	name := func(f string) string { n, _, _ := strings.Cut(f, "="); return n }
	out := make([]string, 0, len(defaults)+len(extra))
	for _, d := range defaults {
		if !slices.ContainsFunc(extra, func(e string) bool { return name(e) == name(d) }) {
			out = append(out, d)
		}
	}
	return append(out, extra...)
}
