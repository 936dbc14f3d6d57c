package fetch

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
)

// sumsTable is a parsed checksum file: the sums of each file by base name,
// the only name a URL gives to look up. Two lines that give one base name
// different sums (linux/tool and darwin/tool) make that name ambiguous:
// an error, not a guess.
type sumsTable struct {
	sums      map[string]Sums
	ambiguous map[string]bool
}

func (t sumsTable) lookup(name string) (Sums, error) {
	if t.ambiguous[name] {
		return Sums{}, fmt.Errorf("has different checksums for files named %q: it cannot tell which one is meant", name)
	}
	s, ok := t.sums[name]
	if !ok {
		return Sums{}, fmt.Errorf("has no line for %q", name)
	}
	return s, nil
}

func (t sumsTable) add(name string, sum []byte) {
	s := t.sums[name]
	field := &s.SHA256
	if len(sum) == sha512.Size {
		field = &s.SHA512
	}
	if *field != nil && !bytes.Equal(*field, sum) {
		t.ambiguous[name] = true
	}
	*field = sum
	t.sums[name] = s
}

// parseSums reads the output of sha256sum or sha512sum, as their --check
// does: "<hex>  <name>" lines, "*" before the name in binary mode, a
// leading backslash when the name is escaped (it holds a backslash or a
// newline), and BSD-style "SHA256 (name) = hex" lines. The length of the
// hex tells the algorithm. Names are taken verbatim, spaces included, and
// looked up by their last element ("./dist/tool" is "tool"). Blank lines,
// "#" comments and CRLF line ends are fine; any other line is an error.
func parseSums(data []byte) (sumsTable, error) {
	t := sumsTable{sums: map[string]Sums{}, ambiguous: map[string]bool{}}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, sum, err := parseSumLine(line)
		if err != nil {
			return sumsTable{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		t.add(name, sum)
	}
	if len(t.sums) == 0 {
		return sumsTable{}, errors.New("no checksums in it")
	}
	return t, nil
}

var errSumLine = errors.New(`want "<sha256 or sha512 hex>  <name>" or "SHA256 (<name>) = <hex>"`)

func parseSumLine(line string) (name string, sum []byte, err error) {
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	size, hexSum, name, ok := splitBSD(line)
	if !ok {
		hexSum, name, ok = splitGNU(line)
	}
	if ok && escaped {
		name, ok = unescapeName(name)
	}
	sum, err = hex.DecodeString(hexSum)
	switch {
	case !ok || err != nil || (len(sum) != sha256.Size && len(sum) != sha512.Size):
		return "", nil, errSumLine
	case size != 0 && len(sum) != size:
		return "", nil, fmt.Errorf("%d hex digits where %s wants %d", len(hexSum), line[:6], 2*size)
	}
	name = path.Base(name)
	if name == "." || name == ".." || name == "/" {
		return "", nil, fmt.Errorf("%q names no file", name)
	}
	return name, sum, nil
}

// splitBSD splits "SHA256 (name) = hex". The name may itself hold ") = ",
// the hex never does.
func splitBSD(line string) (size int, hexSum, name string, ok bool) {
	for algo, size := range map[string]int{"SHA256": sha256.Size, "SHA512": sha512.Size} {
		if rest, found := strings.CutPrefix(line, algo+" ("); found {
			i := strings.LastIndex(rest, ") = ")
			if i < 0 {
				return 0, "", "", false
			}
			return size, rest[i+4:], rest[:i], rest[:i] != ""
		}
	}
	return 0, "", "", false
}

// splitGNU splits "hex  name", "hex *name" and the one-space "hex name".
func splitGNU(line string) (hexSum, name string, ok bool) {
	hexSum, name, ok = strings.Cut(line, " ")
	if strings.HasPrefix(name, " ") || strings.HasPrefix(name, "*") {
		name = name[1:]
	}
	return hexSum, name, ok && name != ""
}

// unescapeName undoes sha256sum's escapes: \\, \n and \r. Any other
// backslash makes the line malformed, as it does for sha256sum --check.
func unescapeName(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i++; i == len(s) {
			return "", false
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", false
		}
	}
	return b.String(), true
}
