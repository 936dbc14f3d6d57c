package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var (
	inlineLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	refLink    = regexp.MustCompile(`(?m)^\s*\[[^\]]+\]:\s*(\S+)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	heading    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// TestRelativeLinks fails for a relative link in any Markdown file of the
// repository that leads to no file, or to a heading its Markdown file lacks.
func TestRelativeLinks(t *testing.T) {
	root := repoRoot(t)
	files := markdownFiles(t, root)
	if len(files) < 2 {
		t.Fatalf("found only %q under %s", files, root)
	}
	for _, file := range files {
		for _, l := range links(t, file) {
			if msg := checkLink(file, l.target); msg != "" {
				t.Errorf("%s:%d: link %q: %s", rel(root, file), l.line, l.target, msg)
			}
		}
	}
}

type link struct {
	target string
	line   int
}

// links returns the link targets of a Markdown file, outside code.
func links(t *testing.T, file string) []link {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []link
	for i, line := range proseLines(string(b)) {
		line = codeSpan.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{inlineLink, refLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				out = append(out, link{strings.Trim(m[1], "<>"), i + 1})
			}
		}
	}
	return out
}

// proseLines returns the file's lines with those of fenced code blocks
// blanked, so line numbers still match.
func proseLines(text string) []string {
	lines := strings.Split(text, "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			lines[i] = ""
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			lines[i] = ""
		}
	}
	return lines
}

// checkLink says what is wrong with a link from file, or "" if nothing is.
func checkLink(file, target string) string {
	if scheme.MatchString(target) {
		return "" // https:, mailto:: not checked, no network
	}
	path, frag, _ := strings.Cut(target, "#")
	dest := file
	if path != "" {
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
		if _, err := os.Stat(dest); err != nil {
			return "no such file or directory"
		}
	}
	if frag == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		return err.Error()
	}
	for _, a := range anchors(string(b)) {
		if a == frag {
			return ""
		}
	}
	return "no heading with the anchor #" + frag + " in " + filepath.Base(dest)
}

// anchors returns the anchors GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces as hyphens, and -1, -2, … on
// repeats.
func anchors(text string) []string {
	seen := map[string]int{}
	var out []string
	for _, line := range proseLines(text) {
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := slugify(m[1])
		if n := seen[slug]; n > 0 {
			out = append(out, slug+"-"+strconv.Itoa(n))
		} else {
			out = append(out, slug)
		}
		seen[slug]++
	}
	return out
}

func slugify(h string) string {
	h = inlineLink.ReplaceAllString(h, "]") // [text](url) -> [text]
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownFiles lists the repository's Markdown files, leaving out hidden
// directories and test data.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
