package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/controllers"
)

// requestView is what request status shows of a DataRequest: everything but the subject, not even its
// Secret's name.
type requestView struct {
	Name          string                         `json:"name"`
	Tenant        string                         `json:"tenant"`
	Type          string                         `json:"type"`
	Jurisdiction  string                         `json:"jurisdiction"`
	Phase         string                         `json:"phase"`
	Received      *metav1.Time                   `json:"received"`
	AcknowledgeBy *metav1.Time                   `json:"acknowledgeBy,omitempty"`
	Due           *metav1.Time                   `json:"due"`
	ExtendedDue   *metav1.Time                   `json:"extendedDue,omitempty"`
	Extension     string                         `json:"extensionReason,omitempty"`
	Answered      *metav1.Time                   `json:"answered,omitempty"`
	Late          bool                           `json:"late"`
	Conditions    []conditionView                `json:"conditions,omitempty"`
	Jobs          []workspacesv1alpha1.JobRecord `json:"jobs,omitempty"`
	Result        *resultView                    `json:"result,omitempty"`
}

type conditionView struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

type resultView struct {
	RecordsFound      int64    `json:"recordsFound"`
	RecordsErased     int64    `json:"recordsErased"`
	RecordsAnonymized int64    `json:"recordsAnonymized"`
	RecordsCorrected  int64    `json:"recordsCorrected"`
	HeldCategories    []string `json:"heldCategories,omitempty"`
	ExportSecret      string   `json:"exportSecret,omitempty"`
	ExportDelivered   string   `json:"exportDeliveredAt,omitempty"`
	ReceiptSHA256     string   `json:"receiptSHA256,omitempty"`
}

// deadlinesOf are the deadlines the operator recorded, else the ones it will record: the same function.
func deadlinesOf(dr *workspacesv1alpha1.DataRequest) controllers.Deadlines {
	if dr.Status.DueAt != nil {
		return controllers.Deadlines{AcknowledgeBy: dr.Status.AcknowledgeBy, DueAt: dr.Status.DueAt, ExtendedDueAt: dr.Status.ExtendedDueAt}
	}
	return controllers.DeadlinesOf(dr)
}

// answered is when the request was answered: a Completed or Blocked request's completion. A Failed or Rejected
// request is not answered; a new one must be filed.
func answered(dr *workspacesv1alpha1.DataRequest) *metav1.Time {
	switch dr.Status.Phase {
	case workspacesv1alpha1.RequestPhaseCompleted, workspacesv1alpha1.RequestPhaseBlocked:
		if dr.Status.Result != nil {
			return dr.Status.Result.CompletedAt
		}
	}
	return nil
}

// late reports whether a request was answered after its (extended) due date, or is unanswered past it.
func late(dr *workspacesv1alpha1.DataRequest, now time.Time) bool {
	d := deadlinesOf(dr)
	due := d.DueAt
	if d.ExtendedDueAt != nil {
		due = d.ExtendedDueAt
	}
	if due == nil {
		return false
	}
	if a := answered(dr); a != nil {
		return a.After(due.Time)
	}
	return now.After(due.Time)
}

func viewOf(dr *workspacesv1alpha1.DataRequest, now time.Time) requestView {
	d := deadlinesOf(dr)
	v := requestView{
		Name: dr.Name, Tenant: dr.Spec.TenantRef.Name, Type: string(dr.Spec.Type), Jurisdiction: string(dr.Spec.Jurisdiction),
		Phase: string(dr.Status.Phase), Received: received(dr), AcknowledgeBy: d.AcknowledgeBy, Due: d.DueAt,
		ExtendedDue: d.ExtendedDueAt, Answered: answered(dr), Late: late(dr, now), Jobs: dr.Status.Jobs,
	}
	if v.Phase == "" {
		v.Phase = "(not yet seen by the operator)"
	}
	if dr.Spec.Extension != nil {
		v.Extension = dr.Spec.Extension.Reason
	}
	for _, c := range dr.Status.Conditions {
		v.Conditions = append(v.Conditions, conditionView{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message})
	}
	if r := dr.Status.Result; r != nil {
		v.Result = &resultView{RecordsFound: r.RecordsFound, RecordsErased: r.RecordsErased, RecordsAnonymized: r.RecordsAnonymized,
			RecordsCorrected: r.RecordsCorrected, ExportSecret: r.ExportSecret, ReceiptSHA256: r.ReceiptSHA256,
			ExportDelivered: dr.Annotations[deliveredAnnotation]}
		for _, h := range r.HeldCategories {
			v.Result.HeldCategories = append(v.Result.HeldCategories, string(h))
		}
	}
	return v
}

func (v requestView) print(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	row := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "%s:\t%s\n", k, val)
		}
	}
	row("Name", v.Name)
	row("Tenant", v.Tenant)
	row("Type", v.Type)
	row("Jurisdiction", v.Jurisdiction)
	row("Phase", v.Phase)
	row("Received", formatTime(v.Received))
	row("Acknowledge by", formatTime(v.AcknowledgeBy))
	row("Due", formatTime(v.Due))
	if v.ExtendedDue != nil {
		row("Extended due", formatTime(v.ExtendedDue)+" ("+v.Extension+")")
	}
	row("Answered", formatTime(v.Answered))
	row("Late", yesNo(v.Late))
	for _, c := range v.Conditions {
		row("Condition "+c.Type, strings.TrimSpace(c.Status+" "+c.Reason+": "+c.Message))
	}
	for _, j := range v.Jobs {
		state := "running"
		if j.Succeeded != nil {
			state = map[bool]string{true: "succeeded", false: "failed"}[*j.Succeeded]
		}
		row("Job", fmt.Sprintf("%s (%s) %s, started %s, finished %s", j.Name, j.Task, state, formatTime(j.StartTime), formatTime(j.CompletionTime)))
	}
	if r := v.Result; r != nil {
		row("Records", fmt.Sprintf("found %d, erased %d, anonymized %d, corrected %d", r.RecordsFound, r.RecordsErased, r.RecordsAnonymized, r.RecordsCorrected))
		row("Held categories", strings.Join(r.HeldCategories, ", "))
		row("Export", r.ExportSecret)
		row("Export delivered", r.ExportDelivered)
		row("Receipt (SHA-256)", r.ReceiptSHA256)
	}
	return w.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// printStructured prints v as JSON or YAML.
func printStructured(out io.Writer, format string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "yaml" {
		if raw, err = yaml.JSONToYAML(raw); err != nil {
			return err
		}
		_, err = out.Write(raw)
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", raw)
	return err
}
