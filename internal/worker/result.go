package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/alitok/workspace-operator/internal/contract"
)

// maxErrorBytes bounds the error message so that the counts always fit next to it.
const maxErrorBytes = 1024

// encodeResult returns r as compact JSON of less than contract.MaxResultBytes, shortening the error and then
// leaving out the counts if it has to.
func encodeResult(r contract.Result) []byte {
	if len(r.Error) > maxErrorBytes {
		r.Error = truncateUTF8(r.Error, maxErrorBytes) + "…"
	}
	b, err := json.Marshal(r)
	if err == nil && len(b) < contract.MaxResultBytes {
		return b
	}
	// Only an implausibly large report gets here; what must survive is whether the task succeeded and why not.
	r.Counts, r.Held, r.Truncated = nil, nil, true
	r.Error = truncateUTF8(r.Error, 256)
	b, err = json.Marshal(r)
	if err != nil {
		// Unreachable: every field is a plain value. Still, a result must be written.
		return []byte(`{"task":"` + r.Task + `","ok":false,"reason":"InternalError","truncated":true}`)
	}
	return b
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Back up to the start of the character byte n belongs to, so s[:n] ends with a whole one.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// writeTerminationLog replaces the file's content with the result. The kubelet reads the whole file, so it must
// hold one object, not one per attempt.
func writeTerminationLog(path string, data []byte) error {
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// summaryOf is the one-line human summary of a result, printed to stdout.
func summaryOf(r contract.Result) string {
	var b strings.Builder
	if r.OK {
		fmt.Fprintf(&b, "%s ok", r.Task)
	} else {
		fmt.Fprintf(&b, "%s failed (%s)", taskOrWorker(r.Task), r.Reason)
	}
	if r.Tenant != "" {
		fmt.Fprintf(&b, ": tenant %s", r.Tenant)
	}
	if r.Integration != "" {
		fmt.Fprintf(&b, ", integration %s", r.Integration)
	}
	if r.Feature != "" {
		fmt.Fprintf(&b, ", feature %s", r.Feature)
	}
	if !r.OK {
		fmt.Fprintf(&b, ": %s", r.Error)
		return b.String()
	}
	switch c := r.Counts.(type) {
	case contract.SyncCounts:
		fmt.Fprintf(&b, ": fetched %d, written %d, skipped (restricted) %d; cursor %s", c.Fetched, c.Written,
			c.SkippedRestricted, r.Cursor)
	default:
		if len(r.Totals) > 0 {
			fmt.Fprintf(&b, ": %s", formatTotals(r.Totals))
		} else {
			b.WriteString(": nothing to do")
		}
	}
	if len(r.Held) > 0 {
		fmt.Fprintf(&b, "; held by legal hold: %s", strings.Join(r.Held, ", "))
	}
	if r.SHA256 != "" {
		fmt.Fprintf(&b, "; export %d bytes, sha256 %s", r.Bytes, r.SHA256)
	}
	if r.ExportSecret != "" {
		fmt.Fprintf(&b, ", written to Secret %s", r.ExportSecret)
	}
	if r.SchemaDropped {
		b.WriteString("; schema dropped")
	}
	return b.String()
}

func taskOrWorker(task string) string {
	if task == "" {
		return "worker"
	}
	return task
}

// totalsOrder is the order totals are printed in.
var totalsOrder = []string{"found", "erased", "anonymized", "corrected", "records", "deleted", "held"}

func formatTotals(t map[string]int64) string {
	var parts []string
	for _, k := range totalsOrder {
		if v, ok := t[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
	}
	return strings.Join(parts, ", ")
}
