package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// reportRow is one request in the report: the record a regulator asks for, without the subject — not even the
// name of the Secret holding the identifiers.
type reportRow struct {
	Request       string `json:"request"`
	Tenant        string `json:"tenant"`
	Type          string `json:"type"`
	Jurisdiction  string `json:"jurisdiction"`
	Received      string `json:"received"`
	AcknowledgeBy string `json:"acknowledgeBy,omitempty"`
	Due           string `json:"due"`
	Answered      string `json:"answered,omitempty"`
	Late          bool   `json:"late"`
	Outcome       string `json:"outcome"`
	Receipt       string `json:"receiptSHA256,omitempty"`
}

var reportColumns = []string{"REQUEST", "TENANT", "TYPE", "JURISDICTION", "RECEIVED", "ACKNOWLEDGE BY", "DUE", "ANSWERED", "LATE", "OUTCOME", "RECEIPT"}

func (r reportRow) cells() []string {
	return []string{r.Request, r.Tenant, r.Type, r.Jurisdiction, r.Received, r.AcknowledgeBy, r.Due, r.Answered, yesNo(r.Late), r.Outcome, r.Receipt}
}

func newReportCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &requestOptions{}
	var since, until, output, tenant string
	cmd := &cobra.Command{
		Use:   "report --since DATE [--until DATE]",
		Short: "Every DataRequest received in a period, with its deadlines, answer, lateness and receipt",
		Long: `List every DataRequest received in [--since, --until) — the record a regulator asks for: tenant, type,
jurisdiction, received, acknowledge by, due (extended when extended), answered (a Completed or Blocked
request's completion), late (answered after the due date, or unanswered and past it), outcome (the phase) and
receipt, sorted by receipt. No subject identifier, nor the name of the Secret holding them. DataRequests are
cluster-scoped: the report covers every one you may list (--tenant narrows it). DATE is 2006-01-02 or RFC 3339.`,
		Example: `  workspace-operator report --since 2026-01-01 --until 2027-01-01 -o csv > dsr-2026.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkEnum("-o", output, "table", "csv", "json"); err != nil {
				return err
			}
			from, err := parseDate("--since", since)
			if err != nil {
				return err
			}
			to := time.Time{}
			if until != "" {
				if to, err = parseDate("--until", until); err != nil {
					return err
				}
			}
			c, _, err := o.setup()
			if err != nil {
				return err
			}
			list := &workspacesv1alpha1.DataRequestList{}
			if err := c.List(cmd.Context(), list); err != nil {
				return fmt.Errorf("listing DataRequests: %w", err)
			}
			rows := reportRows(list.Items, tenant, from, to, o.now())
			return printReport(streams.Out, output, rows)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "first day (or time) of the period, inclusive (required)")
	cmd.Flags().StringVar(&until, "until", "", "end of the period, exclusive (default: none)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this Tenant's requests")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, csv or json")
	_ = cmd.MarkFlagRequired("since")
	o.bind(cmd, false)
	return cmd
}

func parseDate(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &usageError{fmt.Errorf("%s %q: want a date (2006-01-02) or an RFC 3339 time", flag, s)}
}

// reportRows are the requests received in [from, to) (to zero: no end), of tenant when given, by receipt.
func reportRows(items []workspacesv1alpha1.DataRequest, tenant string, from, to, now time.Time) []reportRow {
	sort.SliceStable(items, func(i, j int) bool {
		ri, rj := received(&items[i]).Time, received(&items[j]).Time
		if !ri.Equal(rj) {
			return ri.Before(rj)
		}
		return items[i].Name < items[j].Name
	})
	rows := []reportRow{}
	for i := range items {
		dr := &items[i]
		rec := received(dr).Time
		if rec.Before(from) || (!to.IsZero() && !rec.Before(to)) || (tenant != "" && dr.Spec.TenantRef.Name != tenant) {
			continue
		}
		d := deadlinesOf(dr)
		due := d.DueAt
		if d.ExtendedDueAt != nil {
			due = d.ExtendedDueAt
		}
		row := reportRow{
			Request: dr.Name, Tenant: dr.Spec.TenantRef.Name, Type: string(dr.Spec.Type), Jurisdiction: string(dr.Spec.Jurisdiction),
			Received: formatTime(received(dr)), AcknowledgeBy: formatTime(d.AcknowledgeBy), Due: formatTime(due),
			Answered: formatTime(answered(dr)), Late: late(dr, now), Outcome: string(dr.Status.Phase),
		}
		if row.Outcome == "" {
			row.Outcome = string(workspacesv1alpha1.RequestPhasePending)
		}
		if dr.Status.Result != nil {
			row.Receipt = dr.Status.Result.ReceiptSHA256
		}
		rows = append(rows, row)
	}
	return rows
}

func printReport(out io.Writer, format string, rows []reportRow) error {
	switch format {
	case "json":
		return printStructured(out, "json", rows)
	case "csv":
		w := csv.NewWriter(out)
		header := append([]string(nil), reportColumns...)
		if err := w.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			cells := r.cells()
			cells[8] = strconv.FormatBool(r.Late)
			if err := w.Write(cells); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for i, col := range reportColumns {
		sep := "\t"
		if i == len(reportColumns)-1 {
			sep = "\n"
		}
		fmt.Fprint(w, col+sep)
	}
	for _, r := range rows {
		for i, cell := range r.cells() {
			if cell == "" {
				cell = "-"
			}
			sep := "\t"
			if i == len(reportColumns)-1 {
				sep = "\n"
			}
			fmt.Fprint(w, cell+sep)
		}
	}
	return w.Flush()
}
