package controllers

import (
	"time"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// deadline is how long a jurisdiction gives to answer a request, and how much an extension adds.
type deadline struct {
	months, days                  int // the period: calendar months or days
	extraMonths, extraDays        int // the extension; zero when the law allows none
	acknowledgeWithinBusinessDays int // zero when no acknowledgement deadline applies
}

// deadlines per jurisdiction, in calendar time from receipt.
var deadlines = map[workspacesv1alpha1.Jurisdiction]deadline{
	workspacesv1alpha1.JurisdictionGDPR:   {months: 1, extraMonths: 2},
	workspacesv1alpha1.JurisdictionUKGDPR: {months: 1, extraMonths: 2},
	workspacesv1alpha1.JurisdictionCCPA:   {days: 45, extraDays: 45, acknowledgeWithinBusinessDays: 10},
	workspacesv1alpha1.JurisdictionLGPD:   {days: 15},
	workspacesv1alpha1.JurisdictionPIPEDA: {days: 30, extraDays: 30},
	workspacesv1alpha1.JurisdictionVCDPA:  {days: 45, extraDays: 45},
}

// requestDeadlines are the dates of one request.
type requestDeadlines struct {
	acknowledgeBy *time.Time
	due           time.Time
	// extendedDue is the due date with the extension; nil without one, or where the law allows none.
	extendedDue *time.Time
}

// computeDeadlines returns the deadlines of a request received at received, extended or not.
func computeDeadlines(j workspacesv1alpha1.Jurisdiction, received time.Time, extended bool) requestDeadlines {
	rule := deadlines[j]
	out := requestDeadlines{due: addPeriod(received, rule.months, rule.days)}
	if extended && (rule.extraMonths > 0 || rule.extraDays > 0) {
		ext := addPeriod(out.due, rule.extraMonths, rule.extraDays)
		out.extendedDue = &ext
	}
	if rule.acknowledgeWithinBusinessDays > 0 {
		ack := addBusinessDays(received, rule.acknowledgeWithinBusinessDays)
		out.acknowledgeBy = &ack
	}
	return out
}

// addPeriod adds calendar months, then days. A month later than the 31st of January is the last day of
// February: where the target month has no such day, the period ends on its last day (as the UK ICO and the EDPB
// count a month), never spilling into the month after.
func addPeriod(t time.Time, months, days int) time.Time {
	if months != 0 {
		y, m, d := t.Date()
		first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		last := first.AddDate(0, 1, -1).Day()
		t = first.AddDate(0, 0, min(d, last)-1)
	}
	return t.AddDate(0, 0, days)
}

// addBusinessDays adds n working days (Monday to Friday; public holidays are not known here).
func addBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
