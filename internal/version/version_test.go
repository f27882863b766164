package version

import (
	"runtime"
	"testing"
)

func TestStringNamesVersionCommitAndGo(t *testing.T) {
	defer func(v, c string) { Version, Commit = v, c }(Version, Commit)
	Version, Commit = "0.1.0", "abc1234"
	want := "workspace-operator 0.1.0 (commit abc1234, " + runtime.Version() + ")"
	if got := String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
