package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/initbox/initbox/fetch"
)

// showProgress reports the downloads' progress until the returned function
// is called: a line redrawn in place when stderr is a terminal, otherwise a
// log line per file every --progress-interval. -q and JSON logs on a
// terminal get log lines or nothing, never escape codes.
func (e *env) showProgress(c *cli.Context, jobs []fetch.Job) func() {
	interval := c.Duration("progress-interval")
	tty := false
	if f, ok := e.stderr.(*os.File); ok && !e.json {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if c.Bool("quiet") || (!tty && interval == 0) {
		return func() {}
	}
	p := &progress{e: e, jobs: jobs, last: make([]int64, len(jobs)), at: time.Now()}
	if tty {
		interval = 200 * time.Millisecond
		// Log lines clear the progress line first, or they would be
		// appended to it.
		p.tty = &ttyWriter{w: e.stderr}
		e.log = newLogger(slog.NewTextHandler(p.tty, nil))
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				if tty {
					p.tty.bar("")
				}
				return
			case now := <-tick.C:
				if tty {
					p.bar(now)
				} else {
					p.log(now)
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

type progress struct {
	e    *env
	tty  *ttyWriter // nil unless stderr is a terminal
	jobs []fetch.Job
	last []int64 // bytes at the previous report
	at   time.Time
}

// log writes one line per file still downloading: bytes, rate, ETA.
func (p *progress) log(now time.Time) {
	secs := now.Sub(p.at).Seconds()
	p.at = now
	for i, j := range p.jobs {
		done, total := j.Progress.Done(), j.Progress.Total()
		rate := float64(done-p.last[i]) / secs
		moved := done != p.last[i]
		p.last[i] = done
		if !moved || (total >= 0 && done >= total) {
			continue
		}
		attrs := []any{"file", j.Progress.Dest(), "bytes", done, "rate", plainBytes(int64(rate)) + "/s"}
		if total >= 0 {
			attrs = append(attrs, "total", total, "eta", eta(total-done, rate))
		}
		p.e.log.Info("progress", attrs...)
	}
}

// bar redraws one terminal line with the sum over all files.
func (p *progress) bar(now time.Time) {
	secs := now.Sub(p.at).Seconds() // the rate is measured over a second or more, to be steady
	var done, total, last int64
	active := 0
	for i, j := range p.jobs {
		d, t := j.Progress.Done(), j.Progress.Total()
		done, last = done+d, last+p.last[i]
		if t < 0 || total < 0 {
			total = -1
		} else {
			total += t
		}
		if d > 0 && (t < 0 || d < t) {
			active++
		}
	}
	rate := float64(done-last) / secs
	if secs >= 1 {
		p.at = now
		for i, j := range p.jobs {
			p.last[i] = j.Progress.Done()
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fetching %d of %d: %s", active, len(p.jobs), plainBytes(done))
	if total >= 0 {
		fmt.Fprintf(&b, " of %s (%d%%)", plainBytes(total), done*100/max(total, 1))
	}
	fmt.Fprintf(&b, ", %s/s", plainBytes(int64(rate)))
	if total >= 0 {
		fmt.Fprintf(&b, ", ETA %s", eta(total-done, rate))
	}
	p.tty.bar(b.String())
}

// ttyWriter shares a terminal between log lines and a progress line that
// is redrawn in place: a log line first clears the progress line.
type ttyWriter struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // a progress line is on screen
}

func (t *ttyWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.drawn {
		io.WriteString(t.w, "\r\033[K")
		t.drawn = false
	}
	return t.w.Write(p)
}

// bar draws line in place of the previous one; "" clears it.
func (t *ttyWriter) bar(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, "\r\033[K"+line)
	t.drawn = line != ""
}

func eta(left int64, rate float64) string {
	if rate <= 0 {
		return "?"
	}
	return (time.Duration(float64(left)/rate) * time.Second).Round(time.Second).String()
}
