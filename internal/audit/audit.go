// Package audit checks that tenant workspaces are isolated as the operator builds them, and reports on what
// it finds, with stable check IDs. It reads the cluster only; it changes nothing. The `workspace-operator
// audit` command runs it for SREs, and the Tenant's Isolated condition reports CheckTenant's verdict.
//
// The client must read from the API server, not from the operator's cache: the cache holds only objects the
// operator labelled, and an audit is about everything else in the namespace too. It needs get and list on
// tenants, namespaces, networkpolicies, resourcequotas, limitranges, rolebindings, pods, externalsecrets and
// secretstores, and create on subjectaccessreviews.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Result is the verdict of one check on one tenant.
type Result struct {
	// ID is the check's stable identifier (ISO-001…).
	ID string `json:"id"`
	// Tenant is the Tenant checked.
	Tenant string `json:"tenant"`
	// OK is true when the workspace passes the check.
	OK bool `json:"ok"`
	// Message says what was found; for a failure, what is wrong and where.
	Message string `json:"message"`
	// Rationale says in one line why the check matters.
	Rationale string `json:"rationale"`
}

// The output formats of Run.
const (
	OutputTable = "table"
	OutputJSON  = "json"
)

// DefaultNamespacePrefix is the operator's default tenant namespace prefix.
const DefaultNamespacePrefix = "tenant-"

// Options choose what Run audits and how it reports.
type Options struct {
	// Tenant audits only this Tenant; empty audits every Tenant.
	Tenant string
	// Output is OutputTable (default) or OutputJSON.
	Output string
	// NamespacePrefix finds a tenant's namespace when its status does not name it yet; default "tenant-".
	NamespacePrefix string
}

// Run audits the Tenants opts selects and writes the results to w. failed is true when any check failed; err
// is set when the audit could not run (unknown tenant, unreadable Tenants, bad options).
func Run(ctx context.Context, c client.Client, opts Options, w io.Writer) (failed bool, err error) {
	output := opts.Output
	if output == "" {
		output = OutputTable
	}
	if output != OutputTable && output != OutputJSON {
		return false, fmt.Errorf("unknown output %q: use %s or %s", output, OutputTable, OutputJSON)
	}
	prefix := opts.NamespacePrefix
	if prefix == "" {
		prefix = DefaultNamespacePrefix
	}
	tenants, err := selectTenants(ctx, c, opts.Tenant)
	if err != nil {
		return false, err
	}
	results := []Result{}
	for _, t := range tenants {
		// A purged tenant has no workspace left to audit.
		if t.Status.Phase == workspacesv1alpha1.TenantPhaseClosed {
			continue
		}
		ns := t.Status.Namespace
		if ns == "" {
			ns = prefix + t.Name
		}
		results = append(results, CheckTenant(ctx, c, t.Name, ns)...)
	}
	for _, r := range results {
		failed = failed || !r.OK
	}
	if output == OutputJSON {
		return failed, writeJSON(w, results)
	}
	return failed, writeTable(w, results)
}

func selectTenants(ctx context.Context, c client.Client, name string) ([]workspacesv1alpha1.Tenant, error) {
	if name != "" {
		var t workspacesv1alpha1.Tenant
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &t); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("tenant %q not found", name)
			}
			return nil, fmt.Errorf("reading tenant %q: %w", name, err)
		}
		return []workspacesv1alpha1.Tenant{t}, nil
	}
	var list workspacesv1alpha1.TenantList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing tenants: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b workspacesv1alpha1.Tenant) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, nil
}

func writeJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

func writeTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tCHECK\tRESULT\tMESSAGE")
	for _, r := range results {
		verdict := "PASS"
		if !r.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Tenant, r.ID, verdict, r.Message)
	}
	return tw.Flush()
}
