//go:build e2e

// Package e2e is the end-to-end suite on a real node: hack/e2e.sh builds the images, starts the node of
// hack/node.sh and runs this suite inside the node's network namespace. Package realnode installs ESO and the
// operator with Helm as a user would and plays the world outside the cluster; the tests assert what a user
// sees: Pods that really run the worker, NetworkPolicies that really refuse connections, rows that really arrive
// in and leave PostgreSQL.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

var s *realnode.World

func TestMain(m *testing.M) {
	var err error
	if s, err = realnode.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e set-up failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	s.Stop(code != 0)
	os.Exit(code)
}
