package render

import (
	"bytes"

	"github.com/initbox/initbox/internal/redact"
)

// hideSecrets shows each of secrets in a diff as "xxxxx". A deleted line
// is the old version of a line that now holds a secret, and the part of it
// that changed is most likely the secret's old value, rotated: in each run
// of changes, the n-th deleted line is paired with the n-th inserted one,
// and what changed between them is hidden too.
func hideSecrets(edits []edit, secrets []string) []edit {
	if len(secrets) == 0 {
		return edits
	}
	out := make([]edit, len(edits))
	copy(out, edits)
	for start := 0; start < len(out); {
		end := start
		for end < len(out) && out[end].kind != opEqual {
			end++
		}
		hidePaired(out[start:end], secrets)
		start = end + 1
	}
	for i := range out {
		out[i].line = []byte(redact.Hide(string(out[i].line), secrets))
	}
	return out
}

func hidePaired(run []edit, secrets []string) {
	var del, ins []int
	for i, e := range run {
		if e.kind == opDel {
			del = append(del, i)
		} else {
			ins = append(ins, i)
		}
	}
	for n := range min(len(del), len(ins)) {
		run[del[n]].line = hideReplaced(run[del[n]].line, run[ins[n]].line, secrets)
	}
}

// hideReplaced hides the part of old that cur changed, widened to every
// secret in cur that the change touches; old is returned as it is if the
// change touches none.
func hideReplaced(old, cur []byte, secrets []string) []byte {
	pre := commonPrefix(old, cur)
	suf := commonPrefix(reversed(old[pre:]), reversed(cur[pre:]))
	lo, hi := pre, len(cur)-suf // the changed bytes of cur
	touched := false
	for _, s := range secrets {
		for i := 0; ; {
			j := bytes.Index(cur[i:], []byte(s))
			if j < 0 {
				break
			}
			a, b := i+j, i+j+len(s)
			if a <= hi && b >= lo {
				touched, lo, hi = true, min(lo, a), max(hi, b)
			}
			i = b
		}
	}
	if !touched {
		return old
	}
	// old and cur share their first lo and last len(cur)-hi bytes.
	keep := len(cur) - hi
	return append(append(append([]byte{}, old[:lo]...), "xxxxx"...), old[len(old)-keep:]...)
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, c := range b {
		r[len(b)-1-i] = c
	}
	return r
}
