package fetch

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSums(t *testing.T) {
	a, b := strings.Repeat("ab", 32), strings.Repeat("cd", 64)
	tests := []struct {
		name, in string
		want     map[string]string // name -> hex of either algorithm
		err      string
	}{
		{"text mode", a + "  tool.tar.gz\n", map[string]string{"tool.tar.gz": a}, ""},
		{"binary marker", a + " *tool.bin\n", map[string]string{"tool.bin": a}, ""},
		{"dot slash and comments", "# release 1.2\n\n" + a + "  ./dist/tool\n", map[string]string{"tool": a}, ""},
		{"sha512 by length", b + "  big.iso\n", map[string]string{"big.iso": b}, ""},
		{"BSD style", "SHA256 (tool.zip) = " + strings.ToUpper(a) + "\n", map[string]string{"tool.zip": a}, ""},
		{"BSD name with parentheses", "SHA512 (a (1)) = b) = " + b + "\n", map[string]string{"a (1)) = b": b}, ""},
		{"CRLF and names kept verbatim", a + "   lead and trail \r\n", map[string]string{" lead and trail ": a}, ""},
		{"escaped name", `\` + a + `  back\\slash\nnewline` + "\n", map[string]string{"back\\slash\nnewline": a}, ""},
		{"one space", a + " tool\n", map[string]string{"tool": a}, ""},
		{"BSD length of the other algorithm", "SHA256 (tool) = " + b + "\n", nil, "SHA256 wants 64"},
		{"bad escape", `\` + a + `  a\tb` + "\n", nil, "line 1"},
		{"no file name", a + "  ./\n", nil, `"." names no file`},
		{"bad hex", "xyz  tool\n", nil, "line 1"},
		{"wrong length", "abcd  tool\n", nil, "line 1"},
		{"empty", "\n# nothing\n", nil, "no checksums"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSums([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				s, ok := got.sums[name]
				if !ok {
					t.Fatalf("no entry for %q in %v", name, got)
				}
				if h := hex.EncodeToString(s.SHA256) + hex.EncodeToString(s.SHA512); h != want {
					t.Errorf("%s: got %s, want %s", name, h, want)
				}
			}
		})
	}
}

func TestChecksumFileAmbiguousName(t *testing.T) {
	a, b := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	table, err := parseSums([]byte(a + "  linux/tool\n" + b + "  darwin/tool\n" + a + "  ./same\n" + a + "  same\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := table.lookup("tool"); err == nil || !strings.Contains(err.Error(), "different checksums") {
		t.Errorf("tool: got %v, want an error: two files of that name differ", err)
	}
	if _, err := table.lookup("same"); err != nil {
		t.Errorf("same: %v; the two lines agree", err)
	}
}

func TestParseSum(t *testing.T) {
	hexSum := strings.Repeat("0f", 32)
	for _, in := range []string{hexSum, strings.ToUpper(hexSum), "sha256:" + hexSum, " " + hexSum + "\n"} {
		if _, err := ParseSum("sha256", in); err != nil {
			t.Errorf("ParseSum(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", hexSum[:62], hexSum + "00", "zz" + hexSum[2:]} {
		if _, err := ParseSum("sha256", in); err == nil {
			t.Errorf("ParseSum(%q) accepted it", in)
		}
	}
}

func TestChecksumFileURL(t *testing.T) {
	tool, other := randomData(t, 70_000), []byte("other")
	sum512 := sha512.Sum512(other)
	sums := fmt.Sprintf("%x *tool-1.2.bin\n%x  other.txt\n", sha(tool), sum512)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Path {
		case "/SHA256SUMS":
			w.Write([]byte(sums))
		case "/tool-1.2.bin":
			serve(w, r, tool, `"t"`)
		case "/other.txt":
			serve(w, r, other, `"o"`)
		case "/tampered.bin":
			serve(w, r, []byte("evil"), `"x"`)
		}
	})
	dir := t.TempDir()
	f, _ := newTestFetcher(t, Options{})
	jobs := []Job{
		{URL: srv.URL + "/tool-1.2.bin", Dir: dir, SumsURL: srv.URL + "/SHA256SUMS"},
		{URL: srv.URL + "/other.txt", Dir: dir, SumsURL: srv.URL + "/SHA256SUMS"},
	}
	for _, res := range f.All(t.Context(), jobs) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	assertContent(t, filepath.Join(dir, "tool-1.2.bin"), tool)
	assertContent(t, filepath.Join(dir, "other.txt"), other)
	if n := srv.requests(); n != 3 {
		t.Errorf("%d requests, want 3: the checksum file is fetched once", n)
	}

	res := f.Fetch(t.Context(), Job{URL: srv.URL + "/tampered.bin", Dir: dir, SumsURL: srv.URL + "/SHA256SUMS"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), `no line for "tampered.bin"`) {
		t.Errorf("got %v, want: no line for the file", res.Err)
	}
}

func TestChecksumMismatchNamesBothSums(t *testing.T) {
	err := verify(Sums{SHA256: []byte{1}}, Sums{SHA256: []byte{2}})
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "got 01, want 02") {
		t.Errorf("got %v", err)
	}
}
