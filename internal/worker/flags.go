package worker

import (
	"errors"
	"flag"
	"fmt"
	"regexp"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/store"
)

// errHelp is returned when -h or --help was asked for: the usage is printed and nothing runs.
var errHelp = errors.New("help requested")

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
		return usageError("%s", flagError(err))
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %d after the flags; every input is a --flag", fs.NFlag()+1)
	}
	return nil
}

// categories turns data categories into the store's form.
func categories(cats []workspacesv1alpha1.DataCategory) []string {
	out := make([]string, len(cats))
	for i, c := range cats {
		out[i] = string(c)
	}
	return out
}

// heldMap turns the held categories into the store's form.
func heldMap(held []workspacesv1alpha1.DataCategory) map[string]bool {
	m := make(map[string]bool, len(held))
	for _, c := range held {
		m[string(c)] = true
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

var (
	badValue    = regexp.MustCompile(`^invalid value ".*" for flag -([a-z0-9-]+): `)
	unknownFlag = regexp.MustCompile(`^flag provided but not defined: -+`)
)

// flagError restates a flag package error the way flags are written here (--name), without repeating the value
// given: it could be a secret pasted in the wrong place.
func flagError(err error) string {
	msg := err.Error()
	if m := badValue.FindStringSubmatch(msg); m != nil {
		return "--" + m[1] + ": " + msg[len(m[0]):]
	}
	if loc := unknownFlag.FindStringIndex(msg); loc != nil {
		return "unknown flag --" + msg[loc[1]:]
	}
	return msg
}
