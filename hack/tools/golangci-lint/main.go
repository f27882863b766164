// Command golangci-lint is golangci-lint's own entry point (cmd/golangci-lint/main.go) with the Kubernetes API
// linter compiled in as a module plugin: what `golangci-lint custom` generates, built here from the Go module
// proxy because `custom` clones the sources with git.
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/golangci/golangci-lint/v2/pkg/commands"
	"github.com/golangci/golangci-lint/v2/pkg/exitcodes"

	// Registers the "kubeapilinter" module plugin (linters.settings.custom.kubeapilinter in .golangci.yml).
	_ "sigs.k8s.io/kube-api-linter"
)

// Stamped by hack/build-tools.sh (-X), as golangci-lint's release build and `golangci-lint custom` do; the
// fallback from the build info would name this tool module, not golangci-lint.
var (
	version = "unknown"
	date    = "unknown"
)

func main() {
	info := commands.BuildInfo{Version: version, Commit: "?", Date: date, GoVersion: runtime.Version()}
	if err := commands.Execute(info); err != nil {
		_, _ = fmt.Fprintf(os.Stderr, "The command is terminated due to an error: %v\n", err)
		os.Exit(exitcodes.Failure)
	}
}
