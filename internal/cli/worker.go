package cli

import (
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/alitok/workspace-operator/internal/logging"
	"github.com/alitok/workspace-operator/internal/worker"
)

func newWorkerCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "worker [--log-level L] [--log-format F] <task> [flags]",
		Short: "Run one task of the operator's Jobs (sync, erase, export, rectify, purge, retention, refresh)",
		Long: `Run one task of the operator's Jobs; "worker --help" lists the tasks, "worker <task> --help" a task's
flags. The task's flags are the Job contract's, parsed by the worker itself. Exit codes: 0, 1 when the task
failed, 2 for a bad command line.`,
		// The contract parses the task's flags; only the log flags before the task are the command line's.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, rest, err := workerLogFlags(args)
			if err != nil {
				return &exitError{code: worker.ExitUsage, err: &usageError{err}}
			}
			logger, err := log.Setup(streams.ErrOut)
			if err != nil {
				return &exitError{code: worker.ExitUsage, err: &usageError{err}}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if code := worker.MainWithLogger(ctx, rest, streams.Out, streams.ErrOut, logger); code != 0 {
				// The worker has said why, in its result and log.
				return &exitError{code: code}
			}
			return nil
		},
	}
}

// workerLogFlags takes --log-level and --log-format (as --flag=value or --flag value) from the front of args,
// before the task.
func workerLogFlags(args []string) (logging.Flags, []string, error) {
	var f logging.Flags
	for len(args) > 0 {
		name, value, hasValue := strings.Cut(args[0], "=")
		var target *string
		switch name {
		case "--log-level":
			target = &f.Level
		case "--log-format":
			target = &f.Format
		default:
			return f, args, nil
		}
		if !hasValue {
			if len(args) < 2 {
				return f, nil, &missingValueError{name}
			}
			value, args = args[1], args[1:]
		}
		*target = value
		args = args[1:]
	}
	return f, args, nil
}

type missingValueError struct{ flag string }

func (e *missingValueError) Error() string { return "flag needs an argument: " + e.flag }
