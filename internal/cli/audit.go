package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/alitok/workspace-operator/internal/audit"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/logging"
)

// Exit codes of audit.
const (
	auditFailed    = 1
	auditCannotRun = 2
)

func newAuditCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var (
		tenant, output, configPath string
		k                          *kube
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check every tenant's isolation (ISO-001 … ISO-010)",
		Long: `Check every tenant (or one, --tenant) against the isolation checks and print a table or JSON.
Exits 0 when every check passes, 1 when one fails, 2 when the audit cannot run.`,
		Example: `  workspace-operator audit --tenant acme -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return &usageError{fmt.Errorf("-o %q: want table or json", output)}
			}
			logging.Discard()
			cannot := func(err error) error { return &exitError{code: auditCannotRun, err: err} }
			cfg, err := config.Load(configPath)
			if err != nil {
				return cannot(err)
			}
			// Uncached: the audit looks for exactly what the operator did not create.
			c, err := k.client()
			if err != nil {
				return cannot(err)
			}
			failed, err := audit.Run(cmd.Context(), c, audit.Options{Tenant: tenant, Output: output, NamespacePrefix: cfg.NamespacePrefix}, streams.Out)
			if err != nil {
				return cannot(err)
			}
			if failed {
				return &exitError{code: auditFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "audit only this tenant")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.Flags().StringVar(&configPath, "config", "", "operator configuration file, for the namespace prefix")
	k = addKubeFlags(cmd, false)
	return cmd
}
