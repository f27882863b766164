package controllers

import (
	"testing"
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

func TestDeadlinesPerJurisdiction(t *testing.T) {
	cases := []struct {
		name     string
		j        workspacesv1alpha1.Jurisdiction
		received string
		extended bool
		due, ext string // ext "" when none
		ack      string // "" when none
	}{
		{"GDPR one month", workspacesv1alpha1.JurisdictionGDPR, "2026-03-14", false, "2026-04-14", "", ""},
		{"GDPR from the 31st ends on the last day of a short month", workspacesv1alpha1.JurisdictionGDPR, "2026-01-31", false, "2026-02-28", "", ""},
		{"GDPR in a leap year", workspacesv1alpha1.JurisdictionGDPR, "2028-01-31", false, "2028-02-29", "", ""},
		{"GDPR from the 30th of January", workspacesv1alpha1.JurisdictionGDPR, "2027-01-30", false, "2027-02-28", "", ""},
		{"GDPR over the year end", workspacesv1alpha1.JurisdictionGDPR, "2026-12-31", false, "2027-01-31", "", ""},
		{"GDPR extended by two months", workspacesv1alpha1.JurisdictionGDPR, "2026-01-31", true, "2026-02-28", "2026-04-28", ""},
		{"UK GDPR extended", workspacesv1alpha1.JurisdictionUKGDPR, "2026-05-31", true, "2026-06-30", "2026-08-30", ""},
		{"CCPA 45 days, acknowledge in 10 business days", workspacesv1alpha1.JurisdictionCCPA, "2026-11-27", false, "2027-01-11", "", "2026-12-11"},
		{"CCPA received on a Saturday", workspacesv1alpha1.JurisdictionCCPA, "2026-11-28", true, "2027-01-12", "2027-02-26", "2026-12-11"},
		{"LGPD 15 days, no extension", workspacesv1alpha1.JurisdictionLGPD, "2026-02-20", true, "2026-03-07", "", ""},
		{"PIPEDA 30 days plus 30", workspacesv1alpha1.JurisdictionPIPEDA, "2028-02-10", true, "2028-03-11", "2028-04-10", ""},
		{"VCDPA 45 days plus 45", workspacesv1alpha1.JurisdictionVCDPA, "2026-01-01", true, "2026-02-15", "2026-04-01", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := computeDeadlines(tc.j, day(tc.received), tc.extended)
			if got := d.due.Format(time.DateOnly); got != tc.due {
				t.Errorf("due = %s, want %s", got, tc.due)
			}
			if d.due.Hour() != 10 {
				t.Errorf("due keeps the time of receipt: %s", d.due)
			}
			got := ""
			if d.extendedDue != nil {
				got = d.extendedDue.Format(time.DateOnly)
			}
			if got != tc.ext {
				t.Errorf("extended due = %q, want %q", got, tc.ext)
			}
			got = ""
			if d.acknowledgeBy != nil {
				got = d.acknowledgeBy.Format(time.DateOnly)
			}
			if got != tc.ack {
				t.Errorf("acknowledge by = %q, want %q", got, tc.ack)
			}
		})
	}
}

func TestBusinessDaysSkipWeekends(t *testing.T) {
	// Friday + 1 business day is Monday; Monday + 5 is the next Monday.
	if got := addBusinessDays(day("2026-11-27"), 1).Format(time.DateOnly); got != "2026-11-30" {
		t.Errorf("Friday + 1 = %s", got)
	}
	if got := addBusinessDays(day("2026-11-30"), 5).Format(time.DateOnly); got != "2026-12-07" {
		t.Errorf("Monday + 5 = %s", got)
	}
}
