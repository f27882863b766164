package contract

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// field is one input: its flag, and the struct field it is read into and written from.
type field struct {
	name, usage string
	required    bool
	value       flag.Value
}

// fields walks the flag-tagged fields of a task's inputs, embedded structs included, in declaration order.
func fields(in Inputs) []field {
	var out []field
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			sf, fv := v.Type().Field(i), v.Field(i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(fv)
				continue
			}
			name := sf.Tag.Get("flag")
			if name == "" {
				continue
			}
			out = append(out, field{name: name, usage: sf.Tag.Get("usage"), required: sf.Tag.Get("required") == "true", value: valueOf(fv)})
		}
	}
	walk(reflect.ValueOf(in).Elem())
	return out
}

var dataCategoryType = reflect.TypeFor[workspacesv1alpha1.DataCategory]()

// valueOf adapts a struct field to a flag value. Types are few on purpose: strings, ints, lists of strings
// (comma-separated) and types that are flag values themselves (Mounted, Keep). Any other type is a programming
// error in this package, caught by its tests.
func valueOf(v reflect.Value) flag.Value {
	if fv, ok := v.Addr().Interface().(flag.Value); ok {
		return fv
	}
	switch {
	case v.Kind() == reflect.String:
		return stringValue{v}
	case v.Kind() == reflect.Int:
		return intValue{v}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		return listValue{v}
	}
	panic(fmt.Sprintf("contract: no flag form for %s", v.Type()))
}

type stringValue struct{ v reflect.Value }

func (s stringValue) String() string { return s.v.String() }
func (s stringValue) Set(x string) error {
	s.v.SetString(strings.TrimSpace(x))
	return nil
}

type intValue struct{ v reflect.Value }

func (s intValue) String() string {
	if s.v.Int() == 0 {
		return ""
	}
	return strconv.FormatInt(s.v.Int(), 10)
}

func (s intValue) Set(x string) error {
	n, err := strconv.Atoi(strings.TrimSpace(x))
	if err != nil {
		return errors.New("not an integer")
	}
	s.v.SetInt(int64(n))
	return nil
}

// listValue is a comma-separated list; blanks, empty entries and repeats are dropped, so --categories= means
// "all". A list of data categories refuses unknown ones.
type listValue struct{ v reflect.Value }

func (l listValue) String() string {
	parts := make([]string, l.v.Len())
	for i := range parts {
		parts[i] = l.v.Index(i).String()
	}
	return strings.Join(parts, ",")
}

func (l listValue) Set(x string) error {
	out := reflect.MakeSlice(l.v.Type(), 0, 4)
	seen := map[string]bool{}
	for _, item := range strings.Split(x, ",") {
		if item = strings.TrimSpace(item); item == "" || seen[item] {
			continue
		}
		seen[item] = true
		if l.v.Type().Elem() == dataCategoryType {
			if err := checkCategory(workspacesv1alpha1.DataCategory(item)); err != nil {
				return err
			}
		}
		out = reflect.Append(out, reflect.ValueOf(item).Convert(l.v.Type().Elem()))
	}
	l.v.Set(out)
	return nil
}

// Args is the command line of a run, after `worker`: the task, then --flag=value for every input that is set,
// in declaration order.
func Args(in Inputs) []string {
	args := []string{string(in.Task())}
	for _, f := range fields(in) {
		if v := f.value.String(); v != "" {
			args = append(args, "--"+f.name+"="+v)
		}
	}
	return args
}

// Mounts are the Secrets and ConfigMaps a run reads, in declaration order.
func Mounts(in Inputs) []Source {
	var out []Source
	for _, f := range fields(in) {
		if m, ok := f.value.(*Mounted); ok && m.From != nil {
			out = append(out, *m.From)
		}
	}
	return out
}

// Paths are the files and directories a run reads from mounts, in declaration order.
func Paths(in Inputs) []string {
	var out []string
	for _, f := range fields(in) {
		if m, ok := f.value.(*Mounted); ok && m.Path != "" {
			out = append(out, m.Path)
		}
	}
	return out
}

// Bind registers a flag for every input on fs, reading into in.
func Bind(fs *flag.FlagSet, in Inputs) {
	for _, f := range fields(in) {
		usage := f.usage
		if f.required {
			usage += " (required)"
		}
		fs.Var(f.value, f.name, usage)
	}
}

// CheckRequired fails for the first required input left empty.
func CheckRequired(in Inputs) error {
	for _, f := range fields(in) {
		if f.required && strings.TrimSpace(f.value.String()) == "" {
			return fmt.Errorf("--%s is required", f.name)
		}
	}
	return nil
}

// NewFlagSet returns the flag set of a task's command line, reading into in. Errors are returned, not printed.
func NewFlagSet(in Inputs) *flag.FlagSet {
	fs := flag.NewFlagSet("workspace-operator worker "+string(in.Task()), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, in)
	return fs
}
