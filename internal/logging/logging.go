// Package logging is the one log format of the operator, the webhook receiver and the worker: log/slog lines
// on stderr, JSON by default, with --log-level and --log-format on each of their commands. controller-runtime,
// client-go (klog) and the worker all write through the same handler.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

// Flags are --log-level and --log-format.
type Flags struct {
	Level  string
	Format string
}

// Bind defines the flags on fs.
func (f *Flags) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.Level, "log-level", "info", "least severe level logged: debug, info, warn or error")
	fs.StringVar(&f.Format, "log-format", "json", "json (one object a line) or text (key=value)")
}

// Handler is the slog handler the flags describe, writing to w.
func (f Flags) Handler(w io.Writer) (slog.Handler, error) {
	var level slog.Level
	switch strings.ToLower(f.Level) {
	case "debug":
		level = slog.LevelDebug
	case "info", "":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.Level)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: plainLevels}
	switch strings.ToLower(f.Format) {
	case "json", "":
		return slog.NewJSONHandler(w, opts), nil
	case "text":
		return slog.NewTextHandler(w, opts), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", f.Format)
}

// plainLevels names every level below info "DEBUG": logr's V(1), V(2), … arrive as slog levels -1, -2, …, which
// slog would print as DEBUG+3, DEBUG+2, ….
func plainLevels(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok && l < slog.LevelInfo {
			a.Value = slog.StringValue(slog.LevelDebug.String())
		}
	}
	return a
}

// Setup makes the flags' handler the logger of controller-runtime and client-go, and returns it as a slog
// logger. Errors are logged with their message only: no stack traces.
func (f Flags) Setup(w io.Writer) (*slog.Logger, error) {
	h, err := f.Handler(w)
	if err != nil {
		return nil, err
	}
	l := logr.FromSlogHandler(h)
	ctrl.SetLogger(l)
	klog.SetLogger(l)
	return slog.New(h), nil
}

// Discard silences controller-runtime and client-go, for commands that print their own output and report
// errors themselves; without a logger set, controller-runtime would complain with a stack trace after 30 s.
func Discard() {
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
}
