package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alitok/workspace-operator/internal/testenv"
)

// writeOperatorConfig is config/local/config.yaml (make demo's: a SecretStore template on ESO's fake
// provider) with the retention CronJobs scheduled on 1 January, so that no Job starts during the run.
func writeOperatorConfig(dir string) (string, error) {
	base, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "local", "config.yaml"))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "operator-config.yaml")
	return path, os.WriteFile(path, append(base, "privacy:\n  retentionSchedule: \"0 3 1 1 *\"\n"...), 0o644)
}

// operatorProcess is the operator under measurement, with its peak RSS and heap sampled while it runs.
type operatorProcess struct {
	cmd         *exec.Cmd
	done        chan error
	metricsAddr string
	pprofAddr   string
	stopSample  chan struct{}
	sampled     sync.WaitGroup
	peakHeap    atomic.Int64
	peakRSS     atomic.Int64
	lastScrape  atomic.Pointer[scrape]
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startOperator(o options, dir, logName, cfgPath string) (*operatorProcess, error) {
	metricsAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.operatorBin)
	if err != nil {
		return nil, err
	}
	// Plain HTTP metrics on loopback: the benchmark reads them itself, and a TokenReview per scrape would be
	// counted among the operator's requests.
	cmd := exec.Command(bin, "manager", "--config", cfgPath, "--metrics-bind-address", metricsAddr, "--metrics-secure=false", "--health-probe-bind-address", probeAddr,
		"--pprof-bind-address", pprofAddr,
		"--tenant-concurrency", strconv.Itoa(o.tenantWorkers), "--integration-concurrency", strconv.Itoa(o.integrationWorkers),
		"--kube-api-qps", strconv.FormatFloat(o.qps, 'g', -1, 64), "--kube-api-burst", strconv.Itoa(o.burst))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "operator.kubeconfig"))
	logFile := createFile(dir, logName)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &operatorProcess{cmd: cmd, done: make(chan error, 1), metricsAddr: metricsAddr, pprofAddr: pprofAddr, stopSample: make(chan struct{})}
	running.set(p)
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	p.sampled.Add(1)
	go p.sample()
	if err := waitFor(time.Minute, "the operator's metrics endpoint", func() (bool, string) {
		select {
		case err := <-p.done:
			p.done <- err
			return true, ""
		default:
		}
		_, err := p.metrics()
		return err == nil, ""
	}); err != nil {
		return nil, err
	}
	select {
	case err := <-p.done:
		return nil, fmt.Errorf("the operator exited at start (%w); see %s", err, filepath.Join(dir, logName))
	default:
	}
	return p, nil
}

func (p *operatorProcess) stop() error {
	close(p.stopSample)
	p.sampled.Wait()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done: //nolint:errcheck // stopped as asked; its exit status after SIGTERM says nothing more
		return nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // killed: the exit status is the kill's
		return errors.New("the operator did not stop within 30 s of SIGTERM")
	}
}

// kill ends the process if it still runs (after stop, Kill reports that it has finished).
func (p *operatorProcess) kill() {
	if p != nil {
		_ = p.cmd.Process.Kill()
	}
}

// lastOperator is the operator process the run started last: the one to kill when the run ends early or is
// interrupted (its variable in runOne is nil while a start fails).
type lastOperator struct {
	mu sync.Mutex
	p  *operatorProcess
}

var running lastOperator

func (l *lastOperator) set(p *operatorProcess) {
	l.mu.Lock()
	l.p = p
	l.mu.Unlock()
}

func (l *lastOperator) get() *operatorProcess {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p
}

// queueState is what the operator's controller-runtime metrics say about its work.
type queueState struct {
	depth, active float64
	reconciled    map[string]float64
}

func (q queueState) idle() bool { return q.depth == 0 && q.active == 0 }

func (q queueState) String() string {
	return fmt.Sprintf("queued %g, reconciling %g, reconciled tenants %g, integrations %g",
		q.depth, q.active, q.reconciled["tenant"], q.reconciled["integration"])
}

func (p *operatorProcess) queues() (queueState, error) {
	m, err := p.recentMetrics()
	if err != nil {
		return queueState{}, err
	}
	q := queueState{depth: m.sum("workqueue_depth", nil), active: m.sum("controller_runtime_active_workers", nil), reconciled: map[string]float64{}}
	for _, c := range []string{"tenant", "integration"} {
		q.reconciled[c] = m.sum("controller_runtime_reconcile_total", map[string]string{"controller": c})
	}
	return q, nil
}
