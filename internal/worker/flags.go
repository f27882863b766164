package worker

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/alitok/workspace-operator/internal/store"
)

// errHelp is returned when -h or --help was asked for: the usage is printed and nothing runs.
var errHelp = errors.New("help requested")

// newFlags returns the flag set of a task with the flag every task has, --termination-log. Flag errors are
// reported through the result, so the set itself prints nothing.
func (r *runner) newFlags(task string) *flag.FlagSet {
	fs := flag.NewFlagSet("workspace-operator worker "+task, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The default is what terminationLogArg found, so that a parse that fails before reaching the flag still
	// reports to the right file.
	fs.StringVar(&r.terminationLog, "termination-log", r.terminationLog,
		"file the JSON result is written to (the kubelet's termination message)")
	return fs
}

// parse parses args into fs. Positional arguments are refused without being quoted: values belong in flags, and
// a stray value could be a secret someone pasted.
func (r *runner) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(r.stdout)
			fmt.Fprintf(r.stdout, "usage: %s [flags]\n", fs.Name())
			fs.PrintDefaults()
			return errHelp
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %d after the flags; every input is a --flag", fs.NFlag()+1)
	}
	return nil
}

// required fails for the first of names that was left empty.
func required(values map[string]string) error {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.TrimSpace(values[n]) == "" {
			return usageError("--%s is required", n)
		}
	}
	return nil
}

// listFlag is a comma-separated list; blanks and empty entries are dropped, so --categories= means "all".
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = nil
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" && !slices.Contains(*l, item) {
			*l = append(*l, item)
		}
	}
	return nil
}

// checkCategories refuses unknown data categories: a typo in a hold must not silently protect nothing.
func checkCategories(flagName string, categories []string) error {
	for _, c := range categories {
		if !slices.Contains(store.AllCategories, c) {
			return usageError("--%s: unknown data category %q (known: %s)", flagName, c,
				strings.Join(store.AllCategories, ", "))
		}
	}
	return nil
}

// heldMap turns the held categories into the store's form.
func heldMap(held []string) map[string]bool {
	m := make(map[string]bool, len(held))
	for _, c := range held {
		m[c] = true
	}
	return m
}

// checkTenant validates a Tenant name by the store's rule, which is the operator's.
func checkTenant(tenant string) error {
	if _, err := store.SchemaName(tenant); err != nil {
		return usageError("--tenant %q is not a valid Tenant name (a DNS label of at most 56 characters)", tenant)
	}
	return nil
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// checkIntegration validates an Integration name (a DNS label).
func checkIntegration(flagName, name string) error {
	if !dnsLabel.MatchString(name) {
		return usageError("--%s %q is not a valid Integration name (a DNS label)", flagName, name)
	}
	return nil
}

// parseKeep reads retention rules, "orders=2555,logs=30": category -> days to keep.
func parseKeep(v string) (map[string]int, error) {
	keep := map[string]int{}
	for _, rule := range strings.Split(v, ",") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		c, d, ok := strings.Cut(rule, "=")
		c = strings.TrimSpace(c)
		days, err := strconv.Atoi(strings.TrimSpace(d))
		if !ok || err != nil || days < 0 {
			return nil, usageError("--keep: %q is not <category>=<days> with days a non-negative integer", rule)
		}
		if err := checkCategories("keep", []string{c}); err != nil {
			return nil, err
		}
		if _, dup := keep[c]; dup {
			return nil, usageError("--keep names %s twice", c)
		}
		keep[c] = days
	}
	if len(keep) == 0 {
		return nil, usageError("--keep is required: at least one <category>=<days> rule")
	}
	return keep, nil
}
