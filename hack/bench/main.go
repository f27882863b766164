// Command bench measures the operator at scale on a local control plane (etcd, kube-apiserver,
// kube-controller-manager and the External Secrets Operator, as make demo runs them), for each N of --tenants:
//
//  1. provisioning: N Tenants, each with one Integration, created at once; the time until every one is Ready,
//     and the operator's API requests by verb, counted by the API server's audit log;
//  2. the floor: the same child objects (cloned from a workspace the operator built) created directly by a
//     client with the operator's concurrency, client rate limits and ClusterRole, on a control plane of its own,
//     until ESO reports the same SecretStores and ExternalSecrets Ready that Tenant and Integration readiness
//     wait for;
//  3. idle: the operator's writes over --idle with nothing changing;
//  4. cold start: the operator restarted over the N tenants, the time until every Tenant and Integration was
//     reconciled again with empty work queues, and the writes it sent;
//
// and the operator's peak RSS (the kernel's high-water mark) and Go heap. The operator runs as its own process
// (bin/workspace-operator), under its generated ClusterRole, so RSS and requests are its own.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

type options struct {
	tenants            []int
	idle               time.Duration
	operatorBin        string
	dir                string
	tenantWorkers      int
	integrationWorkers int
	qps                float64
	burst              int
	timeout            time.Duration
	commit             string
	reuseFloor         bool
}

func main() {
	var o options
	var tenants string
	flag.StringVar(&tenants, "tenants", "100,1000", "comma-separated numbers of tenants, one run each")
	flag.DurationVar(&o.idle, "idle", defaultIdle, "how long to count writes with nothing changing")
	flag.StringVar(&o.operatorBin, "operator", "bin/workspace-operator", "the operator binary to measure")
	flag.StringVar(&o.dir, "dir", ".local/bench", "folder for logs, the audit log and results.md")
	flag.IntVar(&o.tenantWorkers, "tenant-concurrency", 4, "the operator's --tenant-concurrency")
	flag.IntVar(&o.integrationWorkers, "integration-concurrency", 4, "the operator's --integration-concurrency")
	flag.Float64Var(&o.qps, "kube-api-qps", 50, "the operator's --kube-api-qps (and the floor client's)")
	flag.IntVar(&o.burst, "kube-api-burst", 100, "the operator's --kube-api-burst (and the floor client's)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up a phase after this long")
	flag.BoolVar(&o.reuseFloor, "reuse-floor", false, "take each N's floor from the last run of that N on this machine with the same flags (kept in --dir) instead of measuring it again, where there is one; the run fails if the operator builds a different workspace than that floor cloned")
	reportOnly := flag.Bool("report", false, "run nothing: render results.md and scale.svg from the rows kept in --dir")
	createTimes := flag.String("create-times", "", "run nothing: print the floor's and the operator's API server time per create, by resource, from the audit logs of a run's folder (e.g. .local/bench/n1000)")
	flag.Parse()
	if *createTimes != "" {
		if err := printCreateTimes(*createTimes); err != nil {
			fatal(err)
		}
		return
	}
	o.commit = commit()
	stopOnSignal()
	ctrllog.SetLogger(logr.Discard())
	for _, s := range strings.Split(tenants, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("--tenants: %q is not a positive number", s))
		}
		o.tenants = append(o.tenants, n)
	}
	if !*reportOnly {
		for _, n := range o.tenants {
			if _, err := runOne(o, n); err != nil {
				fatal(fmt.Errorf("the run with N=%d: %w", n, err))
			}
		}
	}
	rows, err := loadResults(o.dir)
	if err != nil {
		fatal(err)
	}
	if len(rows) == 0 {
		fatal(fmt.Errorf("no rows kept in %s: run the bench first", rowsDir(o.dir)))
	}
	report := renderReport(rows)
	fmt.Println()
	fmt.Print(report)
	if err := os.WriteFile(filepath.Join(o.dir, "results.md"), []byte(report), 0o644); err != nil {
		fatal(err)
	}
	fmt.Printf("\n(also written to %s)\n", filepath.Join(o.dir, "results.md"))
	if len(rows) > 1 {
		if err := os.WriteFile(filepath.Join(o.dir, "scale.svg"), []byte(renderCurve(rows)), 0o644); err != nil {
			fatal(err)
		}
		fmt.Printf("(the curve of its %d rows: %s)\n", len(rows), filepath.Join(o.dir, "scale.svg"))
	}
}

// cleanup stops what the current run started; stopOnSignal calls it when the bench is interrupted, so that no
// control plane or operator process outlives it.
var cleanup struct {
	sync.Mutex
	run func()
}

func onInterrupt(f func()) {
	cleanup.Lock()
	cleanup.run = f
	cleanup.Unlock()
}

func stopOnSignal() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-signals
		code := 130
		if s == syscall.SIGTERM {
			code = 143
		}
		say("%s: stopping the operator and the control plane (again to exit at once)", s)
		go func() { <-signals; os.Exit(code) }()
		cleanup.Lock()
		if cleanup.run != nil {
			cleanup.run()
		}
		os.Exit(code)
	}()
}

const defaultIdle = 2 * time.Minute

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func createFile(dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		fatal(err)
	}
	return f
}

var scheme = kruntime.NewScheme()

func init() {
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := workspacesv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
}
