package spec

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Plan writes what the spec would do, a line per step: its number, its
// name and, from argv, the command line that would do the same alone:
//
//	init.yaml: 3 steps, deadline 5m
//	1    db     initbox wait --timeout=2m tcp://db:5432
//	2    -      in parallel:
//	2.1  cache  initbox wait tcp://cache:6379
//	2.2  -      initbox fetch --output=/shared/a http://files/a
//	3    -      /app/server --config /shared/app.conf
//
// argv is not called for groups.
func (s *Spec) Plan(w io.Writer, argv func(*Step) []string) error {
	n := 0
	Walk(s.Steps, func(*Step) { n++ })
	head := fmt.Sprintf("%s: %d step%s", s.File, n, plural(n))
	if s.Deadline > 0 {
		head += ", deadline " + FormatDuration(s.Deadline)
	}
	if _, err := fmt.Fprintln(w, head); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	Walk(s.Steps, func(st *Step) {
		name := st.Name
		if name == "" {
			name = "-"
		}
		what := "in parallel:"
		if st.Kind != Group {
			what = ShellQuote(argv(st))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Num, name, what)
	})
	return tw.Flush()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ShellQuote joins args into a line a POSIX shell would split back into
// them.
func ShellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quote(a)
	}
	return strings.Join(quoted, " ")
}

func quote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !plain(r) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

func plain(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("@%+=:,./-_", r)
}
