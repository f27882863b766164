// Package cli is the workspace-operator command line: one binary for the operator (manager), the webhook
// receiver (webhook), the Jobs' worker (worker), the isolation audit (audit) and the privacy officer's commands
// (request, report). Invoked as kubectl-workspace it is a kubectl plugin and says so in its usage.
//
// Exit codes: 0 success; 1 an error (a bad command line, no cluster to talk to, a failed call), with one line
// on stderr; audit exits 1 when a check fails and 2 when it cannot run; worker keeps the Job contract's codes
// (0, 1, 2 for a bad command line).
package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/alitok/workspace-operator/internal/version"
)

// PluginName is the binary's name as a kubectl plugin: `kubectl workspace …`.
const PluginName = "kubectl-workspace"

// exitError carries a command's exit code; its message, when there is one, is printed as the error line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a bad command line: it is printed with a hint at --help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Main runs the command line args (without the program name) as the program argv0 and returns the exit code.
func Main(argv0 string, args []string, streams genericiooptions.IOStreams) int {
	root := NewRootCommand(argv0, streams)
	root.SetArgs(args)
	// Cobra parses the flags, finds the command and checks its arguments and required flags before it runs the
	// command: an error before that is the command line's.
	started := false
	markStart(root, &started)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	if cmd == nil {
		cmd = root
	}
	fmt.Fprintf(streams.ErrOut, "%s: %s\n", cmd.CommandPath(), oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) || !started {
		fmt.Fprintf(streams.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// markStart sets *started when any command of the tree starts running.
func markStart(c *cobra.Command, started *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markStart(sub, started)
	}
}

func init() {
	cobra.AddTemplateFuncs(template.FuncMap{
		"ownFlags":        func(fs *pflag.FlagSet) string { return flagsWhere(fs, false) },
		"connectionFlags": func(fs *pflag.FlagSet) string { return flagsWhere(fs, true) },
	})
}

// NewRootCommand builds the command tree. Invoked as kubectl-workspace, usage lines say `kubectl workspace`.
func NewRootCommand(argv0 string, streams genericiooptions.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "workspace-operator",
		Short: "Tenant workspaces, seller integrations and data-subject requests on Kubernetes",
		Long: `workspace-operator turns a SaaS privacy policy into Kubernetes resources: Tenants, Integrations and
DataRequests. One binary: the operator (manager), the webhook receiver (webhook), the worker its Jobs run
(worker), the isolation audit (audit) and the privacy officer's commands (request, report).

Exit codes: 0 success; 1 an error, said in one line on stderr (a bad command line, no cluster to talk to);
audit: 1 when a check fails, 2 when it cannot run; worker: 0, 1, or 2 for a bad command line.`,
		Version:       version.String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		// Without a subcommand: the help, not the operator.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	if filepath.Base(argv0) == PluginName {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl workspace"}
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}",
		`{{ownFlags .LocalFlags | trimTrailingWhitespaces}}{{with connectionFlags .LocalFlags}}

Connection flags (kubectl's):
{{. | trimTrailingWhitespaces}}{{end}}`, 1))
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(
		newManagerCommand(streams),
		newWebhookCommand(streams),
		newWorkerCommand(streams),
		newAuditCommand(streams),
		newRequestCommand(streams),
		newReportCommand(streams),
		newVersionCommand(streams),
	)
	return root
}

func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run:   func(*cobra.Command, []string) { fmt.Fprintln(streams.Out, version.String()) },
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
