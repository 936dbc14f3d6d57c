package termlog

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// maxLines bounds what a Recorder keeps: a termination message holds a few
// dozen lines at most anyway.
const maxLines = 200

// Recorder is a slog.Handler that passes records on to another handler and
// keeps each, as a line of text, for the termination message: the message
// then says what the log said, in the same words. It keeps records at
// Info and above even when the other handler drops them (--quiet), so that
// the summary of a quiet run is as complete as any.
type Recorder struct {
	next  slog.Handler
	attrs []slog.Attr
	group string
	log   *lines
}

type lines struct {
	mu    sync.Mutex
	lines []Line
}

// Line is one recorded record: its level and its text, "msg key=value …".
type Line struct {
	Level slog.Level
	Text  string
}

// NewRecorder returns a Recorder in front of next.
func NewRecorder(next slog.Handler) *Recorder {
	return &Recorder{next: next, log: &lines{}}
}

func (r *Recorder) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || r.next.Enabled(ctx, l)
}

func (r *Recorder) Handle(ctx context.Context, rec slog.Record) error {
	r.Add(rec.Level, r.format(rec))
	if !r.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return r.next.Handle(ctx, rec)
}

func (r *Recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.next = r.next.WithAttrs(as)
	for _, a := range as {
		c.attrs = append(c.attrs[:len(c.attrs):len(c.attrs)], prefixed(r.group, a))
	}
	return &c
}

func (r *Recorder) WithGroup(name string) slog.Handler {
	c := *r
	c.next = r.next.WithGroup(name)
	c.group = r.group + name + "."
	return &c
}

// Add records a line that did not come through slog, such as the plain
// error message of a failed command.
func (r *Recorder) Add(level slog.Level, text string) {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	if len(r.log.lines) == maxLines {
		r.log.lines = r.log.lines[1:]
	}
	r.log.lines = append(r.log.lines, Line{level, text})
}

// Lines returns the lines recorded so far, oldest first.
func (r *Recorder) Lines() []Line {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	return append([]Line(nil), r.log.lines...)
}

func (r *Recorder) format(rec slog.Record) string {
	var b strings.Builder
	b.WriteString(rec.Message)
	for _, a := range r.attrs {
		writeAttr(&b, a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, prefixed(r.group, a))
		return true
	})
	return b.String()
}

func prefixed(group string, a slog.Attr) slog.Attr {
	a.Key = group + a.Key
	return a
}

// writeAttr writes " key=value", quoting a value the way slog's text
// handler does when it has spaces or quotes.
func writeAttr(b *strings.Builder, a slog.Attr) {
	v := a.Value.Resolve().String()
	if v == "" || strings.ContainsAny(v, " \t\n\"=") {
		v = strconv.Quote(v)
	}
	fmt.Fprintf(b, " %s=%s", a.Key, v)
}
