package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
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

// countSince counts user's requests logged after offset: one per request (a watch when it starts, anything
// else when it completes), and returns when the last write of an object (not of its status) was received.
func (a *auditLog) countSince(offset int64, user string) (verbCounts, time.Time, error) {
	// Give the API server a moment to log the responses of requests that just returned.
	time.Sleep(time.Second)
	f, err := os.Open(a.path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, time.Time{}, err
	}
	out := verbCounts{}
	var lastWrite time.Time
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
				Subresource string `json:"subresource"`
			} `json:"objectRef"`
			Received metav1.MicroTime `json:"requestReceivedTimestamp"`
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
		} else if slices.Contains(writeVerbs, ev.Verb) && ev.Received.After(lastWrite) {
			lastWrite = ev.Received.Time
		}
		out[key]++
	}
	return out, lastWrite, sc.Err()
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
