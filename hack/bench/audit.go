package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/alitok/workspace-operator/internal/testenv"
)

// The audit policy records, at Metadata level, each request of the operator and of the floor's client.
var auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  users: ["` + testenv.OperatorUser + `", "` + floorUser + `"]
- level: None
`

// auditLog reads the API server's audit log from a byte offset.
type auditLog struct{ path string }

func (a *auditLog) mark() int64 {
	st, err := os.Stat(a.path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// auditCounts is what the audit log says about one user's requests over a phase.
type auditCounts struct {
	verbs verbCounts
	// lastWrite is when the last write of an object (not of its status) was received.
	lastWrite time.Time
	// createTimes are the API server's times for the creates, by resource: from receiving the request to
	// completing the response.
	createTimes map[string][]time.Duration
}

// countSince counts user's requests logged after offset: one per request (a watch when it starts, anything
// else when it completes).
func (a *auditLog) countSince(offset int64, user string) (auditCounts, error) {
	// Give the API server a moment to log the responses of requests that just returned.
	time.Sleep(time.Second)
	out := auditCounts{verbs: verbCounts{}, createTimes: map[string][]time.Duration{}}
	f, err := os.Open(a.path)
	if err != nil {
		return out, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return out, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Stage string `json:"stage"`
			Verb  string `json:"verb"`
			User  struct {
				Username string `json:"username"`
			} `json:"user"`
			ObjectRef *struct {
				Resource    string `json:"resource"`
				Subresource string `json:"subresource"`
			} `json:"objectRef"`
			Received metav1.MicroTime `json:"requestReceivedTimestamp"`
			Done     metav1.MicroTime `json:"stageTimestamp"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // a line cut short at the offset
		}
		if ev.User.Username != user {
			continue
		}
		if (ev.Verb == "watch") != (ev.Stage == "ResponseStarted") {
			continue
		}
		key := ev.Verb
		if ev.ObjectRef != nil && ev.ObjectRef.Subresource != "" {
			key += " " + ev.ObjectRef.Subresource
		} else if slices.Contains(writeVerbs, ev.Verb) && ev.Received.After(out.lastWrite) {
			out.lastWrite = ev.Received.Time
		}
		if ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Subresource == "" && ev.Stage == "ResponseComplete" {
			out.createTimes[ev.ObjectRef.Resource] = append(out.createTimes[ev.ObjectRef.Resource], ev.Done.Sub(ev.Received.Time))
		}
		out.verbs[key]++
	}
	return out, sc.Err()
}

// latency summarizes the API server's times for one kind of request.
type latency struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean"`
	P50   time.Duration `json:"p50"`
	P90   time.Duration `json:"p90"`
}

func (l latency) String() string {
	return fmt.Sprintf("%s / %s / %s", ms(l.Mean), ms(l.P50), ms(l.P90))
}

// cell is "count: mean / p50 / p90", or "—" for no request.
func (l latency) cell() string {
	if l.Count == 0 {
		return "—"
	}
	return fmt.Sprintf("%d: %s", l.Count, l)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", d.Seconds()*1000) }

// summarize turns the create times by resource into their summaries, with "all" for every create.
func summarize(times map[string][]time.Duration) map[string]latency {
	out := map[string]latency{}
	var all []time.Duration
	for res, ds := range times {
		out[res] = latencyOf(ds)
		all = append(all, ds...)
	}
	if len(all) > 0 {
		out["all"] = latencyOf(all)
	}
	return out
}

func latencyOf(ds []time.Duration) latency {
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return latency{Count: len(ds), Mean: sum / time.Duration(len(ds)), P50: ds[len(ds)/2], P90: ds[len(ds)*9/10]}
}

// createTimesTable compares the floor's and the operator's create times kind by kind.
func createTimesTable(floor, operator map[string]latency) string {
	var b strings.Builder
	fmt.Fprintln(&b, "| resource | floor: creates, mean / p50 / p90 | operator: creates, mean / p50 / p90 | operator / floor (mean) |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	var keys []string
	for k := range floor {
		keys = append(keys, k)
	}
	for k := range operator {
		if _, ok := floor[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { // "all" last, the rest by the larger mean, slowest first
		if (keys[i] == "all") != (keys[j] == "all") {
			return keys[j] == "all"
		}
		return max(floor[keys[i]].Mean, operator[keys[i]].Mean) > max(floor[keys[j]].Mean, operator[keys[j]].Mean)
	})
	for _, k := range keys {
		f, o := floor[k], operator[k]
		ratio := "—"
		if o.Count > 0 && f.Count > 0 && f.Mean > 0 {
			ratio = fmt.Sprintf("%.1f×", o.Mean.Seconds()/f.Mean.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", k, f.cell(), o.cell(), ratio)
	}
	return b.String()
}

// printCreateTimes prints the create-times table of a finished or interrupted run from its folder (nN): the
// floor's audit log (nN/floor/audit.log) and the operator's (nN/audit.log), each read whole.
func printCreateTimes(dir string) error {
	floor, err := (&auditLog{path: filepath.Join(dir, "floor", auditLogName)}).countSince(0, floorUser)
	if err != nil {
		return err
	}
	op, err := (&auditLog{path: filepath.Join(dir, auditLogName)}).countSince(0, testenv.OperatorUser)
	if err != nil {
		return err
	}
	fmt.Printf("API server time per create in %s (floor: %s; operator: %s)\n\n%s", dir, floor.verbs, op.verbs,
		createTimesTable(summarize(floor.createTimes), summarize(op.createTimes)))
	return nil
}

// verbCounts are requests by verb ("patch", "patch status", "watch", …).
type verbCounts map[string]int

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func (v verbCounts) writes() int {
	n := 0
	for k, c := range v {
		verb, _, _ := strings.Cut(k, " ")
		if slices.Contains(writeVerbs, verb) {
			n += c
		}
	}
	return n
}

func (v verbCounts) total() int {
	n := 0
	for _, c := range v {
		n += c
	}
	return n
}

func (v verbCounts) reads() int { return v.total() - v.writes() }

func (v verbCounts) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return v[keys[i]] > v[keys[j]] || v[keys[i]] == v[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, v[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
