package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/provider/httpretry"
)

// DefaultTerminationLog is where the kubelet picks up a container's termination message.
const DefaultTerminationLog = "/dev/termination-log"

// environment is what a run takes from its surroundings besides its arguments. Tests replace parts of
// defaultEnvironment before any test runs; nothing changes it afterwards.
type environment struct {
	// httpClient sends the provider API requests; nil lets each provider client make its own.
	httpClient *http.Client
	// retry is the provider clients' retry policy; its zero value is theirs.
	retry httpretry.Policy
	// now is the clock for completion times and retention cutoffs.
	now func() time.Time
	// kubeClient makes the Kubernetes client of export --export-secret.
	kubeClient func() (client.Client, error)
}

var defaultEnvironment = environment{now: time.Now, kubeClient: newKubeClient}

// taskFunc runs one task: it parses the task's flags from args, does the work and fills r.res.
type taskFunc func(ctx context.Context, r *runner, args []string) error

// tasks are the worker's tasks by name.
var tasks = map[string]taskFunc{
	"sync":      runSync,
	"erase":     runErase,
	"export":    runExport,
	"rectify":   runRectify,
	"purge":     runPurge,
	"retention": runRetention,
}

// TaskNames returns the worker's tasks, sorted: the operator labels each Job's Pods with its task, and its
// NetworkPolicies select Pods by them.
func TaskNames() []string { return slices.Sorted(maps.Keys(tasks)) }

const usage = `usage: workspace-operator worker <task> [flags]

tasks: sync, erase, export, rectify, purge, retention
run "workspace-operator worker <task> -h" for a task's flags`

// runner is one run of Main.
type runner struct {
	env            environment
	stdout, stderr io.Writer
	log            *slog.Logger
	red            redactor
	res            Result
	terminationLog string
}

// Main runs `workspace-operator worker <task> [flags]`; args are the words after "worker". It writes the task's
// JSON result to the termination log and a one-line summary to stdout, logs to stderr, and returns the process
// exit code: ExitOK, ExitFailed or ExitUsage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, defaultEnvironment, args, stdout, stderr)
}

// run is Main in a given environment.
func run(ctx context.Context, env environment, args []string, stdout, stderr io.Writer) int {
	r := &runner{env: env, stdout: stdout, stderr: stderr, terminationLog: terminationLogArg(args)}
	r.log = slog.New(slog.NewTextHandler(stderr, nil))

	var err error
	switch {
	case len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help":
		err = usageError("no task given (the task comes before the flags); %s", oneLine(usage))
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Fprintln(stdout, usage)
		return ExitOK
	default:
		fn, ok := tasks[args[0]]
		if !ok {
			err = usageError("unknown task %s; %s", quoteTask(args[0]), oneLine(usage))
			break
		}
		r.res.Task = args[0]
		r.log.Info("starting", "task", args[0])
		err = fn(ctx, r, args[1:])
	}
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	return r.finish(err)
}

// finish completes the result, writes it to the termination log, prints the summary and returns the exit code.
func (r *runner) finish(err error) int {
	exit := ExitOK
	r.res.OK = err == nil
	if err != nil {
		var reason string
		reason, exit = classify(err)
		r.res.Reason = reason
		r.res.Error = err.Error()
	}
	r.res.CompletedAt = r.env.now().UTC().Format(time.RFC3339)
	r.res.Error = r.red.apply(r.res.Error)

	data := r.res.encode()
	if werr := writeTerminationLog(r.terminationLog, data); werr != nil {
		// The task's outcome stands; the operator then sees the exit code without the details.
		r.log.Error("cannot write the termination log", "path", r.terminationLog, "error", r.red.apply(werr.Error()))
	}
	fmt.Fprintln(r.stdout, r.red.apply(r.res.summary()))
	if err != nil {
		r.log.Error("failed", "task", r.res.Task, "reason", r.res.Reason, "error", r.res.Error)
	} else {
		r.log.Info("done", "task", r.res.Task)
	}
	return exit
}

// terminationLogArg finds --termination-log among args before they are parsed, so that a run whose flags cannot
// be parsed (an unknown task or flag) still reports to the right file.
func terminationLogArg(args []string) string {
	path := DefaultTerminationLog
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "termination-log" {
			continue
		}
		if hasValue {
			path = value
		} else if i+1 < len(args) {
			path = args[i+1]
		}
	}
	return path
}

var plainWord = regexp.MustCompile(`^[a-z][a-z-]{0,31}$`)

// quoteTask quotes an unknown task name when it is a plain word; anything else might be a value pasted in the
// wrong place, and is not repeated.
func quoteTask(s string) string {
	if plainWord.MatchString(s) {
		return fmt.Sprintf("%q", s)
	}
	return "(not shown)"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
