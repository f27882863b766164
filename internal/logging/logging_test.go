package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

func TestOneJSONLinePerEntryAndVerbosityIsDebug(t *testing.T) {
	var buf bytes.Buffer
	h, err := Flags{Level: "debug", Format: "json"}.Handler(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := logr.FromSlogHandler(h)
	l.Info("started", "tenant", "acme")
	l.V(2).Info("detail")
	l.Error(errTest("boom"), "failed", "tenant", "acme")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", buf.String())
	}
	for i, want := range []string{"INFO", "DEBUG", "ERROR"} {
		var entry map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &entry); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, lines[i])
		}
		if entry["level"] != want {
			t.Errorf("line %d: level %v, want %s", i, entry["level"], want)
		}
		if _, ok := entry["stacktrace"]; ok {
			t.Errorf("line %d carries a stack trace: %s", i, lines[i])
		}
	}
}

func TestLevelsAndFormats(t *testing.T) {
	var buf bytes.Buffer
	h, err := Flags{Level: "warn", Format: "text"}.Handler(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l := logr.FromSlogHandler(h)
	l.Info("hidden")
	l.Error(errTest("boom"), "shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "level=ERROR msg=shown") {
		t.Errorf("text at warn: %q", out)
	}
	for _, f := range []Flags{{Level: "loud"}, {Format: "xml"}} {
		if _, err := f.Handler(&buf); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
