package memlimit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgroupLimit(t *testing.T) {
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("memory.max", "536870912\n")                                 // v2, in a container's cgroup namespace
	write("kubepods/pod1/memory.max", "max\n")                         // v2 without a limit
	write("memory/kubepods/pod2/memory.limit_in_bytes", "268435456\n") // v1
	write("memory/unlimited/memory.limit_in_bytes", "9223372036854771712\n")

	for _, tc := range []struct {
		name, cgroup string
		want         int64
	}{
		{"v2 limit", "0::/\n", 512 << 20},
		{"v2 max", "0::/kubepods/pod1\n", 0},
		{"v1 limit", "4:memory:/kubepods/pod2\n0::/\n", 256 << 20},
		{"v1 with several controllers", "4:cpu,memory:/kubepods/pod2\n", 256 << 20},
		{"v1 unlimited", "4:memory:/unlimited\n", 0},
		{"no such cgroup", "0::/elsewhere\n", 0},
		{"empty", "", 0},
	} {
		if got := CgroupLimit(root, []byte(tc.cgroup)); got != tc.want {
			t.Errorf("%s: CgroupLimit = %d, want %d", tc.name, got, tc.want)
		}
	}
}
