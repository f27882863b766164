package main

import (
	"fmt"
	"math"
	"strings"
)

// series is one line of a panel: a value per row.
type series struct {
	name, color string
	dashed      bool
	value       func(*result) float64
}

// panel is one chart of the curve: series against N, both axes logarithmic, with the goal as a line.
type panel struct {
	title, unit string
	goal        float64
	goalLabel   string
	lines       []series
}

const (
	panelW, panelH = 460, 320
	marginL        = 60
	marginR        = 16
	marginT        = 36
	marginB        = 92
)

// renderCurve draws memory and time against N for the rows (at least two), as an SVG document.
func renderCurve(rows []*result) string {
	mibOf := func(b int64) float64 { return float64(b) / (1 << 20) }
	panels := []panel{
		{title: "operator memory", unit: "MiB", goal: 250, goalLabel: "goal: 250 MiB at 10,000", lines: []series{
			{"peak RSS", "#d62728", false, func(r *result) float64 { return mibOf(r.PeakRSS) }},
			{"peak heap", "#1f77b4", false, func(r *result) float64 { return mibOf(r.PeakHeap) }},
			{"live heap", "#2ca02c", false, func(r *result) float64 { return mibOf(max(r.LiveHeap, r.RestartLiveHeap)) }},
		}},
		{title: "time", unit: "s", goal: 60, goalLabel: "goal: cold start 60 s", lines: []series{
			{"objects written: operator", "#d62728", false, func(r *result) float64 { return r.Written.Seconds() }},
			{"objects written: floor", "#d62728", true, func(r *result) float64 { return r.FloorCreate.Seconds() }},
			{"Ready: operator", "#1f77b4", false, func(r *result) float64 { return r.Provision.Seconds() }},
			{"Ready: floor", "#1f77b4", true, func(r *result) float64 { return r.FloorTime.Seconds() }},
			{"cold start", "#2ca02c", false, func(r *result) float64 { return r.Restart.Seconds() }},
		}},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", len(panels)*panelW, panelH+18)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, p := range panels {
		p.draw(&b, float64(i*panelW), rows)
	}
	var commits []string
	for _, r := range rows {
		commits = append(commits, fmt.Sprintf("N=%d: %s %s", r.N, r.Commit, r.Date.Format("2006-01-02")))
	}
	machines := rowsOf(rows, func(r *result) bool { return r.Machine == rows[0].Machine })
	where := rows[0].Machine
	if machines != rowsOf(rows, func(*result) bool { return true }) {
		where = "rows from different machines, see results.md"
	}
	fmt.Fprintf(&b, `<text x="8" y="%d" fill="#555">%s</text>`+"\n", panelH+12, esc(strings.Join(commits, "; ")+" — "+where))
	b.WriteString("</svg>\n")
	return b.String()
}

func (p panel) draw(b *strings.Builder, x0 float64, rows []*result) {
	nMin, nMax := float64(rows[0].N), float64(rows[len(rows)-1].N)
	vMin, vMax := p.goal, p.goal
	for _, s := range p.lines {
		for _, r := range rows {
			if v := s.value(r); v > 0 {
				vMin, vMax = math.Min(vMin, v), math.Max(vMax, v)
			}
		}
	}
	lo, hi := math.Floor(math.Log10(vMin)), math.Ceil(math.Log10(vMax))
	if hi == lo {
		hi++
	}
	nlo, nhi := math.Log10(nMin), math.Log10(nMax)
	if nhi == nlo {
		nhi++
	}
	w, h := float64(panelW-marginL-marginR), float64(panelH-marginT-marginB)
	px := func(n float64) float64 { return x0 + marginL + (math.Log10(n)-nlo)/(nhi-nlo)*w }
	py := func(v float64) float64 { return marginT + h - (math.Log10(v)-lo)/(hi-lo)*h }
	fmt.Fprintf(b, `<text x="%.0f" y="20" font-size="13" font-weight="bold">%s (%s, log scale) against tenants N</text>`+"\n", x0+marginL, esc(p.title), p.unit)
	fmt.Fprintf(b, `<rect x="%.0f" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", x0+marginL, marginT, w, h)
	for d := lo; d <= hi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > hi+1e-9 {
				break
			}
			y := py(v)
			fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/>`, x0+marginL, x0+marginL+w, y, y)
			fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", x0+marginL-4, y+4, num(v))
		}
	}
	for _, r := range rows {
		x := px(float64(r.N))
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#eee"/>`, x, x, marginT, marginT+h)
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", x, marginT+h+14, num(float64(r.N)))
	}
	gy := py(p.goal)
	fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#000" stroke-dasharray="2,3"/>`, x0+marginL, x0+marginL+w, gy, gy)
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" fill="#000">%s</text>`+"\n", x0+marginL+4, gy-4, esc(p.goalLabel))
	for i, s := range p.lines {
		var pts []string
		for _, r := range rows {
			if v := s.value(r); v > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(r.N)), py(v)))
			}
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), s.color, dash)
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, xy[0], xy[1], s.color)
		}
		lx, ly := x0+marginL+float64(i%2)*w/2, marginT+h+32+float64(i/2)*16
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2"%s/>`, lx, lx+22, ly-4, ly-4, s.color, dash)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", lx+26, ly, esc(s.name))
	}
}

func num(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gk", v/1000)
	}
	return fmt.Sprintf("%g", v)
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
