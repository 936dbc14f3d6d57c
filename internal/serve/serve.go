// Package serve answers the probes of a sidecar over HTTP from the last
// results of a checks.Monitor: /readyz, /startupz, /livez and /metrics.
// A request never causes a check, so probes and scrapes cost the targets
// nothing, however many arrive.
package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/initbox/initbox/checks"
)

// Handler serves the endpoints. Build it with New.
type Handler struct {
	m   *checks.Monitor
	any bool
	now func() time.Time
}

// New returns the handler for m's targets. With anyOf, one ready target
// makes /readyz (and one that has been ready, /startupz) answer 200.
func New(m *checks.Monitor, anyOf bool) *Handler {
	return &Handler{m: m, any: anyOf, now: time.Now}
}

// pattern matching would add some 200 kB to the binary for nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var serve func(http.ResponseWriter, *http.Request)
	switch r.URL.Path {
	case "/readyz":
		serve = h.readyz
	case "/startupz":
		serve = h.startupz
	case "/livez":
		serve = h.livez
	case "/metrics":
		serve = h.metrics
	default:
		http.Error(w, "not found: try /readyz, /startupz, /livez or /metrics", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	serve(w, r)
}

// verdict is the aggregate answer of one endpoint.
type verdict struct {
	ok      bool
	pending []checks.Status // the targets that keep it from being ok
}

// judge applies the all-or-any rule to what each target says.
func (h *Handler) judge(all []checks.Status, good func(checks.Status) bool) verdict {
	var v verdict
	n := 0
	for _, s := range all {
		if good(s) {
			n++
		} else {
			v.pending = append(v.pending, s)
		}
	}
	v.ok = h.ok(n, len(all))
	return v
}

// ok applies the all-or-any rule to good targets out of all.
func (h *Handler) ok(good, all int) bool {
	return good == all || (h.any && good > 0)
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if ready, _, n := h.m.Counts(); h.ok(ready, n) && !wantsJSON(r) {
		h.answer(w, r, verdict{ok: true}, nil, nil) // the common case, without a copy of every state
		return
	}
	all := h.m.Status()
	v := h.judge(all, func(s checks.Status) bool { return s.Ready })
	h.answer(w, r, v, all, func(s checks.Status) string { return reason(s) })
}

func (h *Handler) startupz(w http.ResponseWriter, r *http.Request) {
	if _, started, n := h.m.Counts(); h.ok(started, n) && !wantsJSON(r) {
		h.answer(w, r, verdict{ok: true}, nil, nil)
		return
	}
	all := h.m.Status()
	v := h.judge(all, func(s checks.Status) bool { return s.EverReady })
	h.answer(w, r, v, all, func(s checks.Status) string { return "never ready yet: " + reason(s) })
}

func (h *Handler) livez(w http.ResponseWriter, r *http.Request) {
	stale := h.m.Stale(h.now())
	v := verdict{ok: len(stale) == 0}
	for _, s := range stale {
		s.Err = fmt.Errorf("no check finished since %s", s.At.Format(time.RFC3339))
		v.pending = append(v.pending, s)
	}
	h.answer(w, r, v, nil, reason)
}

// reason says why a target is not ready.
func reason(s checks.Status) string {
	switch {
	case !s.Checked:
		return "not checked yet"
	case s.Err != nil:
		return s.Err.Error()
	}
	return "ready"
}

// answer writes v: 200 or 503, as text (the failing targets, one a line)
// or, when asked for, as JSON (every target).
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, v verdict, all []checks.Status, why func(checks.Status) string) {
	w.Header().Set("Cache-Control", "no-store")
	code := http.StatusOK
	if !v.ok {
		code = http.StatusServiceUnavailable
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(report(v, all))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if v.ok {
		fmt.Fprintln(w, "ok")
		return
	}
	var b strings.Builder
	for _, s := range v.pending {
		fmt.Fprintf(&b, "%s: %s\n", s.Target, why(s))
	}
	w.Write([]byte(b.String()))
}

func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// targetJSON is one target in a JSON answer.
type targetJSON struct {
	Target    string     `json:"target"`
	Ready     bool       `json:"ready"`
	EverReady bool       `json:"ever_ready"`
	Reason    string     `json:"reason,omitempty"`
	Found     string     `json:"found,omitempty"`
	Failures  int        `json:"consecutive_failures"`
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

func report(v verdict, all []checks.Status) any {
	if all == nil {
		all = v.pending
	}
	out := struct {
		OK      bool         `json:"ok"`
		Targets []targetJSON `json:"targets"`
	}{OK: v.ok, Targets: make([]targetJSON, len(all))}
	for i, s := range all {
		t := targetJSON{Target: s.Target, Ready: s.Ready, EverReady: s.EverReady, Failures: s.Failures}
		if s.Ready {
			t.Found = s.Detail
		} else {
			t.Reason = reason(s)
		}
		if s.Checked {
			t.CheckedAt = &s.At
		}
		out.Targets[i] = t
	}
	return out
}
