// Command workspace-operator reconciles Tenants, Integrations and DataRequests into isolated, access-controlled
// tenant workspaces: `workspace-operator manager` runs the operator, `worker <task>` is what its Jobs run,
// `audit` checks every tenant's isolation, `webhook` receives the platforms' seller-deauthorization webhooks,
// and `request` and `report` are the privacy officer's. Installed as kubectl-workspace it is a kubectl plugin.
// The command line is package cli.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/alitok/workspace-operator/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[0], os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
