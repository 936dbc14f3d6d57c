package fetch

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzChecksumFile feeds arbitrary checksum files to parseSums, then the
// same file with one more line that the test writes itself, in any of
// the formats sha256sum, sha512sum and BSD tools produce, and looks that
// line's name up. Seeds are in testdata/fuzz/FuzzChecksumFile.
func FuzzChecksumFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, name string, sum []byte, style uint8) {
		table, err := parseSums(data)
		if err == nil {
			checkTable(t, table)
		}
		sum = digestOf(sum)
		if sum == nil || !isFileName(name) {
			return
		}
		var prefix []byte
		if err == nil {
			prefix = append(data, '\n')
		}
		file := append(prefix, sumLine(name, sum, style)...)
		got, err := lookupSum(file, name)
		if err != nil {
			if !conflicts(table, name, sum) {
				t.Fatalf("looking up %q in\n%q\n%v", name, file, err)
			}
			return
		}
		if conflicts(table, name, sum) {
			t.Fatalf("%q has two different digests in\n%q\nbut the lookup gave %x %x", name, file, got.SHA256, got.SHA512)
		}
		if want := wantLookup(table, name, sum); !equalSums(got, want) {
			t.Fatalf("looking up %q in\n%q\ngot  %x %x\nwant %x %x", name, file, got.SHA256, got.SHA512, want.SHA256, want.SHA512)
		}
	})
}

// checkTable checks what every accepted file must give: base names, and
// digests of the right length for their algorithm.
func checkTable(t *testing.T, table sumsTable) {
	t.Helper()
	if len(table.sums) == 0 {
		t.Fatal("accepted a file with no checksums")
	}
	for name := range table.ambiguous {
		if _, ok := table.sums[name]; !ok {
			t.Errorf("%q is ambiguous but has no entry", name)
		}
	}
	for name, s := range table.sums {
		if !isFileName(name) {
			t.Errorf("entry for %q, which is not a file's base name", name)
		}
		if s.IsZero() || (s.SHA256 != nil && len(s.SHA256) != 32) || (s.SHA512 != nil && len(s.SHA512) != 64) {
			t.Errorf("%q: sha256 %x, sha512 %x: want 32 and 64 bytes", name, s.SHA256, s.SHA512)
		}
	}
}

func lookupSum(file []byte, name string) (Sums, error) {
	table, err := parseSums(file)
	if err != nil {
		return Sums{}, err
	}
	return table.lookup(name)
}

// conflicts says whether the fuzzed part of the file makes name
// ambiguous, or gives it another digest of the same algorithm: either
// makes a lookup fail.
func conflicts(table sumsTable, name string, sum []byte) bool {
	if table.ambiguous[name] {
		return true
	}
	old := table.sums[name].SHA256
	if len(sum) == 64 {
		old = table.sums[name].SHA512
	}
	return old != nil && !bytes.Equal(old, sum)
}

// wantLookup is what the fuzzed part of the file says of name, with the
// test's line added.
func wantLookup(table sumsTable, name string, sum []byte) Sums {
	want := table.sums[name]
	if len(sum) == 64 {
		want.SHA512 = sum
	} else {
		want.SHA256 = sum
	}
	return want
}

func equalSums(a, b Sums) bool {
	return bytes.Equal(a.SHA256, b.SHA256) && bytes.Equal(a.SHA512, b.SHA512)
}

// digestOf cuts b to a SHA-512 or SHA-256 digest's length, or gives nil.
func digestOf(b []byte) []byte {
	switch {
	case len(b) >= 64:
		return b[:64]
	case len(b) >= 32:
		return b[:32]
	}
	return nil
}

// isFileName says whether name can be the last element of a URL's path.
func isFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.Contains(name, "/")
}

// sumLine writes a line as the tools do. sha256sum starts a line with a
// backslash when the name holds one, or a newline or carriage return,
// which it escapes.
func sumLine(name string, sum []byte, style uint8) string {
	escaped := strings.ContainsAny(name, "\\\n\r")
	if escaped {
		name = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
	}
	h := hex.EncodeToString(sum)
	if style&1 != 0 {
		h = strings.ToUpper(h)
	}
	var line string
	switch style >> 1 & 3 {
	case 0:
		line = h + "  " + name
	case 1:
		line = h + " *" + name
	case 2:
		line = map[int]string{32: "SHA256", 64: "SHA512"}[len(sum)] + " (" + name + ") = " + h
	case 3:
		line = h + "  ./dist/" + name
	}
	if escaped {
		line = `\` + line
	}
	eol := "\n"
	if style&8 != 0 {
		eol = "\r\n"
	}
	return "# written by the test\n\n" + line + eol
}
