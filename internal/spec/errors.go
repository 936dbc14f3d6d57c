package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Error is one mistake in a file, where it is: FILE:LINE, the step and the
// key it concerns (either may be empty).
type Error struct {
	File string
	Line int
	Step string // as Step.String gives it
	Key  string
	Msg  string
}

// Error reads `init.yaml:14: step "config" (render): unknown key "outptu"
// — did you mean "output"?` or `init.yaml:9: step 2 (wait): key "timeout":
// want a duration such as 30s or 2m, got "soon"`.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Step != "" {
		b.WriteString(e.Step + ": ")
	}
	if e.Key != "" && !strings.Contains(e.Msg, fmt.Sprintf("%q", e.Key)) {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Usage reports that the mistake is the caller's (exit code 2).
func (e *Error) Usage() bool { return true }

// Errors is every mistake found in a file, in the order of its lines.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Usage reports that the mistakes are the caller's (exit code 2).
func (es Errors) Usage() bool { return true }

// maxErrors bounds the list: past that, the file is not what was meant.
const maxErrors = 20

// Err returns es in the order of their lines, or nil if there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int { return a.Line - b.Line })
	if len(es) > maxErrors {
		es = es[:maxErrors]
	}
	return es
}

// unknownKey says that key is not one of known, suggesting the closest
// one (or what an alias stands for).
func unknownKey(key string, known []string, aliases map[string]string) string {
	msg := fmt.Sprintf("unknown key %q", key)
	if to, ok := aliases[key]; ok {
		return msg + fmt.Sprintf(" — did you mean %q?", to)
	}
	if s := Suggest(key, known); s != "" {
		return msg + fmt.Sprintf(" — did you mean %q?", s)
	}
	return msg + " (want " + oneOf(known) + ")"
}

// oneOf lists words for a message: "a, b or c".
func oneOf(words []string) string {
	sorted := slices.Sorted(slices.Values(words))
	if len(sorted) < 2 {
		return strings.Join(sorted, "")
	}
	return strings.Join(sorted[:len(sorted)-1], ", ") + " or " + sorted[len(sorted)-1]
}

// Suggest returns the candidate closest to word, if one is close enough
// to be a typo of it: at most a third of its letters differ (at least
// two), by Levenshtein distance.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", max(2, len(word)/3)+1
	for _, c := range candidates {
		if d := levenshtein(strings.ToLower(word), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// levenshtein counts the insertions, deletions and substitutions that
// turn a into b.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
