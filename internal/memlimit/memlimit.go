// Package memlimit sets Go's soft memory limit from the container's memory limit, so that the garbage
// collector works harder near the limit instead of letting the heap's headroom (up to twice the live heap with
// the default GOGC) run into an OOM kill.
package memlimit

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Ratio is the share of the container's limit given to Go; the rest is for memory Go does not manage.
const Ratio = 0.9

// FromCgroup sets the soft limit to Ratio of the cgroup's memory limit and returns it, unless GOMEMLIMIT is
// set (Go honours it itself) or the process has no memory limit; then it returns 0.
func FromCgroup() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	limit := CgroupLimit("/sys/fs/cgroup", self)
	if limit <= 0 {
		return 0
	}
	soft := int64(float64(limit) * Ratio)
	debug.SetMemoryLimit(soft)
	return soft
}

// CgroupLimit returns the memory limit in bytes of the cgroup that /proc/self/cgroup's content names, under the
// cgroup file system mounted at root: cgroup v1's memory.limit_in_bytes when the memory controller is on v1,
// else v2's memory.max; 0 when there is none ("max", or v1's near-2^63 "unlimited").
func CgroupLimit(root string, procSelfCgroup []byte) int64 {
	var v1, v2 string
	sc := bufio.NewScanner(bytes.NewReader(procSelfCgroup))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case strings.Contains(","+parts[1]+",", ",memory,"):
			v1 = parts[2]
		}
	}
	read := func(path string) int64 {
		raw, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0
		}
		return n
	}
	// A v1 memory line means the memory controller is on the v1 hierarchy (v2 then has no memory.max).
	if v1 != "" {
		return read(filepath.Join(root, "memory", v1, "memory.limit_in_bytes"))
	}
	if v2 != "" {
		return read(filepath.Join(root, v2, "memory.max"))
	}
	return 0
}
