package serve

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"

	"github.com/initbox/initbox/checks"
)

// metric is one per-target family of the exposition.
type metric struct {
	name, kind, help string
	value            func(checks.Status) float64
}

var metrics = []metric{
	{"initbox_target_ready", "gauge", "Whether the target was ready at its last check (1) or not (0).",
		func(s checks.Status) float64 { return b2f(s.Ready) }},
	{"initbox_target_ever_ready", "gauge", "Whether the target has been ready at least once since serve started.",
		func(s checks.Status) float64 { return b2f(s.EverReady) }},
	{"initbox_target_check_duration_seconds", "gauge", "How long the last check of the target took.",
		func(s checks.Status) float64 { return s.Took.Seconds() }},
	{"initbox_target_consecutive_failures", "gauge", "Failed checks of the target since it was last ready.",
		func(s checks.Status) float64 { return float64(s.Failures) }},
	{"initbox_target_transitions_total", "counter", "Changes of the target between ready and not ready (it starts not ready).",
		func(s checks.Status) float64 { return float64(s.Flips) }},
	{"initbox_target_checks_total", "counter", "Checks of the target made since serve started.",
		func(s checks.Status) float64 { return float64(s.Checks) }},
}

// metrics writes the Prometheus text exposition format (version 0.0.4)
// by hand: a client library would cost more bytes than the whole of this.
func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	all := h.m.Status()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	ready := h.judge(all, func(s checks.Status) bool { return s.Ready }).ok
	started := h.judge(all, func(s checks.Status) bool { return s.EverReady }).ok
	fmt.Fprintf(bw, "# HELP initbox_ready Whether /readyz answers 200.\n# TYPE initbox_ready gauge\ninitbox_ready %d\n", b2i(ready))
	fmt.Fprintf(bw, "# HELP initbox_started Whether /startupz answers 200.\n# TYPE initbox_started gauge\ninitbox_started %d\n", b2i(started))
	for _, m := range metrics {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
		for _, s := range all {
			fmt.Fprintf(bw, "%s{target=\"%s\"} %g\n", m.name, labelEscaper.Replace(s.Target), m.value(s))
		}
	}
}

// labelEscaper escapes a label value as the text format requires.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func b2f(b bool) float64 { return float64(b2i(b)) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
