package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// MaxResultBytes is the kubelet's limit on a termination message; a longer one is cut, and a cut JSON object is
// no longer readable.
const MaxResultBytes = 4096

// maxErrorBytes bounds the error message so that the counts always fit next to it.
const maxErrorBytes = 1024

// Result is the JSON object every run writes to the termination log. Fields a task does not produce are left
// out. It never holds secret values, subject identifiers, pseudonyms or exported data.
type Result struct {
	// Task is the task that ran: sync, erase, export, rectify, purge or retention ("" for an unknown task).
	Task string `json:"task"`
	// OK is true when the task completed.
	OK bool `json:"ok"`
	// Reason is a machine-readable cause of a failure (the Reason… constants); Error says it for people.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`

	Tenant      string `json:"tenant,omitempty"`
	Integration string `json:"integration,omitempty"`
	Provider    string `json:"provider,omitempty"`
	Feature     string `json:"feature,omitempty"`

	// Counts is the task's report: SyncCounts for sync; per category, eraseCounts for erase, the number of
	// exported or corrected records for export and rectify, deleteCounts for purge and retention.
	Counts any `json:"counts,omitempty"`
	// Totals sums Counts over the categories (found, erased, anonymized, held, records, corrected, deleted).
	Totals map[string]int64 `json:"totals,omitempty"`
	// Held lists the categories in which a legal hold kept records this run would otherwise have deleted or
	// anonymized (erase, purge, retention).
	Held []string `json:"held,omitempty"`

	// Cursor is the upper bound of a sync's listing, RFC 3339: the --since of the next incremental sync.
	Cursor string `json:"cursor,omitempty"`
	// TokenExpiresAt is when the access token expires (RFC 3339), when the credentials say.
	TokenExpiresAt string `json:"tokenExpiresAt,omitempty"`

	// SHA256 and Bytes describe an export's document (lowercase hex of its SHA-256, its size), for the receipt.
	SHA256 string `json:"sha256,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	// ExportSecret is the namespace/name of the Secret the export was written to.
	ExportSecret string `json:"exportSecret,omitempty"`

	// SchemaDropped is set when a whole-tenant purge with nothing held dropped the tenant's schema.
	SchemaDropped bool `json:"schemaDropped,omitempty"`
	// Truncated is set when parts of the result were left out to stay within MaxResultBytes.
	Truncated bool `json:"truncated,omitempty"`

	CompletedAt string `json:"completedAt"`
}

// SyncCounts is a sync's report.
type SyncCounts struct {
	// Fetched is how many records the platform delivered.
	Fetched int `json:"fetched"`
	// Written is how many rows were inserted or changed; zero when nothing changed since the last sync.
	Written int `json:"written"`
	// SkippedRestricted is how many records were not written because their buyer is on the restriction list.
	SkippedRestricted int `json:"skippedRestricted"`
}

// encode returns r as compact JSON of less than MaxResultBytes, shortening the error and then leaving out the
// counts if it has to.
func (r Result) encode() []byte {
	if len(r.Error) > maxErrorBytes {
		r.Error = truncateUTF8(r.Error, maxErrorBytes) + "…"
	}
	b, err := json.Marshal(r)
	if err == nil && len(b) < MaxResultBytes {
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

// summary is the one-line human summary printed to stdout.
func (r Result) summary() string {
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
	case SyncCounts:
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
