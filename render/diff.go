package render

import (
	"bytes"
	"fmt"
	"io"
)

// A small line diff for --diff: Myers' O(ND) algorithm on the lines between
// the common prefix and suffix, printed as a unified diff with three lines
// of context. Past maxEdits edits it gives up on finding the
// shortest script and prints the middle as replaced, to stay quick and small.

const (
	diffContext = 3
	maxEdits    = 1000
)

type opKind byte

const (
	opEqual opKind = ' '
	opDel   opKind = '-'
	opIns   opKind = '+'
)

type edit struct {
	kind opKind
	line []byte
}

// Unified writes a unified diff from a to b to w, under the names given;
// it writes nothing if they are equal. Each of hide is shown as "xxxxx",
// and so is the old value of a line that changed to hold one.
func Unified(w io.Writer, nameA, nameB string, a, b []byte, hide ...string) error {
	if bytes.Equal(a, b) {
		return nil
	}
	edits := hideSecrets(diffLines(splitLines(a), splitLines(b)), hide)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "--- %s\n+++ %s\n", nameA, nameB)
	writeHunks(&buf, edits)
	_, err := w.Write(buf.Bytes())
	return err
}

// splitLines splits after each newline; the last line may lack one.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, b)
			break
		}
		lines = append(lines, b[:i+1])
		b = b[i+1:]
	}
	return lines
}

func diffLines(a, b [][]byte) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && bytes.Equal(a[pre], b[pre]) {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && bytes.Equal(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	var out []edit
	for _, l := range a[:pre] {
		out = append(out, edit{opEqual, l})
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, edit{opEqual, l})
	}
	return out
}

// myers returns a shortest edit script from a to b.
func myers(a, b [][]byte) []edit {
	ids := map[string]int{}
	intern := func(ls [][]byte) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[string(l)]
			if !ok {
				id = len(ids)
				ids[string(l)] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)
	n, m := len(x), len(y)
	off := n + m + 1
	v := make([]int, 2*off+1)
	var trace [][]int
	for d := 0; d <= n+m; d++ {
		if d > maxEdits {
			return replaced(a, b)
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				i = v[off+k+1] // down: an insertion
			} else {
				i = v[off+k-1] + 1 // right: a deletion
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i, j = i+1, j+1
			}
			v[off+k] = i
			if i >= n && j >= m {
				return backtrack(trace, a, b, d)
			}
		}
	}
	return replaced(a, b)
}

// backtrack walks the saved frontiers from the end to the start. trace[d]
// holds v[-d..d] as it was before step d.
func backtrack(trace [][]int, a, b [][]byte, d int) []edit {
	var rev []edit
	x, y := len(a), len(b)
	for ; d > 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d] }
		k := x - y
		pk := k - 1
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, edit{opEqual, a[x]})
		}
		if x == px {
			rev = append(rev, edit{opIns, b[py]})
		} else {
			rev = append(rev, edit{opDel, a[px]})
		}
		x, y = px, py
	}
	for x > 0 {
		x--
		rev = append(rev, edit{opEqual, a[x]})
	}
	out := make([]edit, len(rev))
	for n, e := range rev {
		out[len(rev)-1-n] = e
	}
	return out
}

func replaced(a, b [][]byte) []edit {
	out := make([]edit, 0, len(a)+len(b))
	for _, l := range a {
		out = append(out, edit{opDel, l})
	}
	for _, l := range b {
		out = append(out, edit{opIns, l})
	}
	return out
}

// writeHunks prints the edits as unified-diff hunks.
func writeHunks(w *bytes.Buffer, edits []edit) {
	for start := 0; start < len(edits); {
		for start < len(edits) && edits[start].kind == opEqual {
			start++
		}
		if start == len(edits) {
			return
		}
		lo := max(start-diffContext, 0)
		end := start // extend while changes are within 2*context of each other
		for i := start; i < len(edits); i++ {
			if edits[i].kind != opEqual {
				end = i + 1
			} else if i-end >= 2*diffContext {
				break
			}
		}
		hi := min(end+diffContext, len(edits))
		writeHunk(w, edits, lo, hi)
		start = hi
	}
}

func writeHunk(w *bytes.Buffer, edits []edit, lo, hi int) {
	aStart, bStart := 1, 1
	for _, e := range edits[:lo] {
		if e.kind != opIns {
			aStart++
		}
		if e.kind != opDel {
			bStart++
		}
	}
	var aLen, bLen int
	for _, e := range edits[lo:hi] {
		if e.kind != opIns {
			aLen++
		}
		if e.kind != opDel {
			bLen++
		}
	}
	fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, e := range edits[lo:hi] {
		w.WriteByte(byte(e.kind))
		w.Write(e.line)
		if len(e.line) == 0 || e.line[len(e.line)-1] != '\n' {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is "start,len", with GNU diff's conventions for short and
// empty ranges.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
