package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/lazy"
)

// urfave/cli has suggestions of its own (App.Suggest), but they use
// Jaro-Winkler with no threshold and so always suggest something, even
// for "--frob"; and they print only when no OnUsageError is set, which
// initbox needs for its exit codes. An edit distance with a threshold,
// as git and cobra use, suggests only near misses.

// suggestCommand returns `: did you mean "wait"?` for a mistyped command
// name, or "".
func suggestCommand(app *cli.App, typed string) string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	if best := nearest(typed, names); best != "" {
		return fmt.Sprintf(": did you mean %q?", best)
	}
	return ""
}

// suggestFlag returns ": did you mean --timeout?" for a mistyped option
// name (without dashes), or "".
func suggestFlag(flags []cli.Flag, typed string) string {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if best := nearest(typed, names); best != "" {
		return fmt.Sprintf(": did you mean %s?", dashed(best))
	}
	return ""
}

// dashed writes an option's name as typed: -o, --timeout.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// nearest returns the candidate that typed is the start of, if only one
// ("ren" for render, not run), else the closest, if it is close enough to
// be a typo: at most one edit for short names, two for longer ones.
func nearest(typed string, candidates []string) string {
	typed = strings.ToLower(typed)
	best, bestDist := "", 0
	var prefixed []string
	for _, c := range candidates {
		if d := distance(typed, c); best == "" || d < bestDist {
			best, bestDist = c, d
		}
		if len(typed) >= 2 && strings.HasPrefix(c, typed) {
			prefixed = append(prefixed, c)
		}
	}
	limit := 1
	if len(typed) > 4 {
		limit = 2
	}
	switch {
	case len(prefixed) == 1:
		return prefixed[0]
	case best != "" && bestDist <= limit && bestDist < len(best):
		return best
	}
	return ""
}

// distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours
// ("wiat" is one edit from "wait") each cost one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// hostPortPath is a target written HOST:PORT/PATH, without a scheme: a
// TCP target cannot have a path, so an HTTP URL was probably meant. No
// "@" is allowed, so that no password reaches the message.
var hostPortPath = lazy.Regexp(`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]+/[^@\s]*$`)

// withSchemeHint adds to a target's usage error the URL probably meant.
func withSchemeHint(arg string, err error) error {
	if !hostPortPath().MatchString(arg) {
		return err
	}
	return &usageError{fmt.Errorf("%w: did you mean http://%s?", err, arg)}
}
