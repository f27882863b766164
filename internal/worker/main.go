package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/alitok/workspace-operator/internal/contract"
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

// taskFunc runs one task on its parsed inputs and fills r.res.
type taskFunc func(ctx context.Context, r *runner, in contract.Inputs) error

// as adapts a task's function to its inputs' type.
func as[T contract.Inputs](run func(context.Context, *runner, T) error) taskFunc {
	return func(ctx context.Context, r *runner, in contract.Inputs) error { return run(ctx, r, in.(T)) }
}

// tasks are the worker's tasks; each parses into its contract type.
var tasks = map[contract.Task]taskFunc{
	contract.TaskSync:      as(runSync),
	contract.TaskErase:     as(runErase),
	contract.TaskExport:    as(runExport),
	contract.TaskRectify:   as(runRectify),
	contract.TaskPurge:     as(runPurge),
	contract.TaskRetention: as(runRetention),
	contract.TaskRefresh:   as(runRefresh),
}

var usage = fmt.Sprintf(`usage: workspace-operator worker [--log-level debug|info|warn|error] [--log-format json|text] <task> [flags]

tasks: %s
run "workspace-operator worker <task> -h" for a task's flags`, taskList())

func taskList() string {
	names := make([]string, len(contract.Tasks))
	for i, t := range contract.Tasks {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// runner is one run of Main.
type runner struct {
	env            environment
	stdout, stderr io.Writer
	log            *slog.Logger
	red            redactor
	res            contract.Result
	terminationLog string
}

// Main runs `workspace-operator worker <task> [flags]`; args are the words after "worker". It writes the task's
// JSON result to the termination log and a one-line summary to stdout, logs JSON lines to stderr, and returns
// the process exit code: ExitOK, ExitFailed or ExitUsage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainWithLogger(ctx, args, stdout, stderr, slog.New(slog.NewJSONHandler(stderr, nil)))
}

// MainWithLogger is Main logging through log: the command line's --log-level and --log-format, shared with the
// operator and the webhook receiver.
func MainWithLogger(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	return run(ctx, defaultEnvironment, args, stdout, stderr, log)
}

// run is Main in a given environment.
func run(ctx context.Context, env environment, args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	r := &runner{env: env, stdout: stdout, stderr: stderr, terminationLog: terminationLogArg(args), log: log}

	in, err := r.parseCommandLine(args)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err == nil {
		r.log.Info("starting", "task", in.Task())
		err = tasks[in.Task()](ctx, r, in)
	}
	return r.finish(err)
}

// Parse reads a worker command line (the words after "worker") into its task's inputs, as Main does before it
// runs the task.
func Parse(args []string) (contract.Inputs, error) {
	r := &runner{stdout: io.Discard, terminationLog: terminationLogArg(args)}
	return r.parseCommandLine(args)
}

// parseCommandLine finds the task and parses its flags into the task's inputs: the contract's flags plus
// --termination-log. -h prints the usage and returns errHelp.
func (r *runner) parseCommandLine(args []string) (contract.Inputs, error) {
	switch {
	case len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help":
		return nil, usageError("no task given (the task comes before the flags); %s", oneLine(usage))
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Fprintln(r.stdout, usage)
		return nil, errHelp
	}
	in, err := contract.New(contract.Task(args[0]))
	if _, known := tasks[contract.Task(args[0])]; err != nil || !known {
		return nil, usageError("unknown task %s; %s", quoteTask(args[0]), oneLine(usage))
	}
	r.res.Task = args[0]
	fs := contract.NewFlagSet(in)
	// The default is what terminationLogArg found, so that a parse that fails before reaching the flag still
	// reports to the right file.
	fs.StringVar(&r.terminationLog, "termination-log", r.terminationLog,
		"file the JSON result is written to (the kubelet's termination message)")
	if err := r.parse(fs, args[1:]); err != nil {
		return nil, err
	}
	if err := contract.CheckRequired(in); err != nil {
		return nil, usageError("%v", err)
	}
	return in, nil
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

	data := encodeResult(r.res)
	if werr := writeTerminationLog(r.terminationLog, data); werr != nil {
		// The task's outcome stands; the operator then sees the exit code without the details.
		r.log.Error("cannot write the termination log", "path", r.terminationLog, "error", r.red.apply(werr.Error()))
	}
	fmt.Fprintln(r.stdout, r.red.apply(summaryOf(r.res)))
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
