package render

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	lines := func(n int, change map[int]string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if s, ok := change[i]; ok {
				b.WriteString(s)
				continue
			}
			b.WriteString(strings.Repeat(string(rune('a'+i%26)), 2) + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"new file", "", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"emptied", "a\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n"},
		{"one line", lines(10, nil), lines(10, map[int]string{5: "XX\n"}),
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n cc\n dd\n ee\n-ff\n+XX\n gg\n hh\n ii\n"},
		{"no final newline", "a\nb", "a\nc", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"two hunks", lines(30, nil), lines(30, map[int]string{3: "X\n", 25: ""}),
			"--- a\n+++ b\n@@ -1,6 +1,6 @@\n bb\n cc\n-dd\n+X\n ee\n ff\n gg\n@@ -22,7 +22,6 @@\n ww\n xx\n yy\n-zz\n aa\n bb\n cc\n"},
		{"close changes share a hunk", lines(12, nil), lines(12, map[int]string{3: "X\n", 8: "Y\n"}),
			"--- a\n+++ b\n@@ -1,11 +1,11 @@\n bb\n cc\n-dd\n+X\n ee\n ff\n gg\n hh\n-ii\n+Y\n jj\n kk\n ll\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Unified(&out, "a", "b", []byte(tt.a), []byte(tt.b)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestUnifiedHidesSecrets(t *testing.T) {
	hide := []string{"s3cret-new", "t0ken-value"}
	tests := []struct {
		name, a, b, want string
	}{
		{"rotated, sharing a prefix", "user: app\npassword: s3cret-old\n", "user: app\npassword: s3cret-new\n",
			"--- a\n+++ b\n@@ -1,2 +1,2 @@\n user: app\n-password: xxxxx\n+password: xxxxx\n"},
		{"inside a URL", "url: postgres://app:old@db/x\n", "url: postgres://app:s3cret-new@db/x\n",
			"--- a\n+++ b\n@@ -1 +1 @@\n-url: postgres://app:xxxxx@db/x\n+url: postgres://app:xxxxx@db/x\n"},
		{"unchanged, in context", "token: t0ken-value\nport: 1\n", "token: t0ken-value\nport: 2\n",
			"--- a\n+++ b\n@@ -1,2 +1,2 @@\n token: xxxxx\n-port: 1\n+port: 2\n"},
		{"a change elsewhere on the line", "t0ken-value on host-a\n", "t0ken-value on host-b\n",
			"--- a\n+++ b\n@@ -1 +1 @@\n-xxxxx on host-a\n+xxxxx on host-b\n"},
		{"new file", "", "key: s3cret-new\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+key: xxxxx\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Unified(&out, "a", "b", []byte(tt.a), []byte(tt.b), hide...); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

// TestDiffIsAShortestEditScript checks random inputs: the script turns a
// into b, and it has as few edits as the longest common subsequence allows.
func TestDiffIsAShortestEditScript(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() [][]byte {
		var ls [][]byte
		for range rng.IntN(25) {
			ls = append(ls, []byte{byte('a' + rng.IntN(4)), '\n'})
		}
		return ls
	}
	for range 2000 {
		a, b := gen(), gen()
		edits := diffLines(a, b)
		var gotA, gotB [][]byte
		n := 0
		for _, e := range edits {
			if e.kind != opIns {
				gotA = append(gotA, e.line)
			}
			if e.kind != opDel {
				gotB = append(gotB, e.line)
			}
			if e.kind != opEqual {
				n++
			}
		}
		if !bytes.Equal(bytes.Join(gotA, nil), bytes.Join(a, nil)) || !bytes.Equal(bytes.Join(gotB, nil), bytes.Join(b, nil)) {
			t.Fatalf("the edits of %q → %q do not rebuild both sides", a, b)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); n != want {
			t.Fatalf("%q → %q: %d edits, want %d", a, b, n, want)
		}
	}
}

func lcs(a, b [][]byte) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if bytes.Equal(a[i], b[j]) {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestDiffGivesUpOnHugeChanges(t *testing.T) {
	var a, b strings.Builder
	for i := range 3 * maxEdits {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	edits := diffLines(splitLines([]byte(a.String())), splitLines([]byte(b.String())))
	if len(edits) != 6*maxEdits {
		t.Errorf("got %d edits, want every line deleted and inserted", len(edits))
	}
}
