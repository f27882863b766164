// Package version holds what the build stamps into the binary: `make image` sets Version and Commit with
// -ldflags "-X github.com/alitok/workspace-operator/internal/version.Version=… -X ….Commit=…".
package version

import (
	"fmt"
	"runtime"
)

var (
	// Version is the release, the chart's appVersion for images built by `make image`.
	Version = "dev"
	// Commit is the git commit the binary was built from.
	Commit = "unknown"
)

// String is what `workspace-operator --version` prints, e.g.
// "workspace-operator 0.1.0 (commit abc1234, go1.26.8)".
func String() string {
	return fmt.Sprintf("workspace-operator %s (commit %s, %s)", Version, Commit, runtime.Version())
}
