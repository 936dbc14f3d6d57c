package fetch

import (
	"mime"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// maxName is the longest file name most file systems accept, in bytes.
const maxName = 255

// Check validates jobs before any work: URLs with a scheme fetch can use,
// a destination for each (or a directory to name it in), no two jobs
// writing the same file. Its errors are *UsageError.
func Check(jobs []Job, extract bool) error {
	seen := map[string]string{}
	for _, j := range jobs {
		arg := redact.URL(j.URL)
		if strings.HasPrefix(j.URL, OCIScheme+"://") {
			dir, err := checkOCI(j)
			if err != nil {
				return err
			}
			if prev, ok := seen[dir]; ok {
				return usageErrorf(arg, "writes into %s, as %s does: give each reference its own directory", dir, prev)
			}
			seen[dir] = arg
			continue
		}
		u, err := url.Parse(j.URL)
		if err != nil {
			return usageErrorf(arg, "bad URL")
		}
		switch u.Scheme {
		case "http", "https":
			if u.Hostname() == "" {
				return usageErrorf(arg, "missing host: want %s://HOST[:PORT]/path", u.Scheme)
			}
		case "file":
			if u.Host != "" && u.Host != "localhost" || u.Path == "" {
				return usageErrorf(arg, "want file:///absolute/path")
			}
		default:
			return usageErrorf(arg, "unknown scheme %q: want http, https, file or oci", u.Scheme)
		}
		dest := j.Dest
		if dest == "" {
			if j.Dir == "" {
				return usageErrorf(arg, "no destination: give %s FILE, %s DIR or URL=PATH", option.Dest, option.Dir)
			}
			if name := nameFromURL(u); name != "" {
				dest = joinDir(j.Dir, extract, name)
			}
		}
		if dest == "" {
			continue // named by the server; cannot clash before the answer
		}
		dest = filepath.Clean(dest)
		if prev, ok := seen[dest]; ok {
			return usageErrorf(arg, "writes %s, as %s does: give each URL its own destination", dest, prev)
		}
		seen[dest] = arg
	}
	return nil
}

// nameFromURL is the sanitised last element of the URL's path, or "" when
// the path has none (http://host/ or http://host/dir/).
func nameFromURL(u *url.URL) string {
	p := u.Path
	if p == "" || strings.HasSuffix(p, "/") {
		return ""
	}
	return sanitize(path.Base(p))
}

// nameFromDisposition is the file name a Content-Disposition header
// suggests, sanitised, or "".
func nameFromDisposition(header string) string {
	_, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return sanitize(params["filename"]) // mime decodes filename*= into filename
}

// sanitize makes a server-chosen name safe to create in a directory: no
// path separators (only the last element counts), no leading dots (no
// hidden files, no "." or ".."), no control characters, at most 255 bytes.
func sanitize(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.TrimLeft(name, ". "))
	for len(name) > maxName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// archiveExts are stripped from a name to name the directory an archive
// is unpacked into (a .gz file becomes the file without .gz).
var archiveExts = []string{".tar.gz", ".tgz", ".tar.zst", ".tar", ".zip", ".gz"}

// joinDir names the destination of a file called name in dir.
func joinDir(dir string, extract bool, name string) string {
	if extract {
		lower := strings.ToLower(name)
		for _, ext := range archiveExts {
			if strings.HasSuffix(lower, ext) && len(name) > len(ext) {
				name = name[:len(name)-len(ext)]
				break
			}
		}
	}
	return filepath.Join(dir, name)
}

// hiddenName is a name beside dest that can never be taken for a real
// file: hidden, and ending in a suffix of initbox's own.
func hiddenName(dest, suffix string) string {
	dir, base := filepath.Split(dest)
	return filepath.Join(dir, "."+base+suffix)
}

// checkOCI validates an oci:// job and returns the directory it fills.
func checkOCI(j Job) (string, error) {
	if _, err := ParseOCIRef(j.URL); err != nil {
		return "", &UsageError{Arg: redact.URL(j.URL), Err: err}
	}
	dir := j.Dest
	if dir == "" {
		dir = j.Dir
	}
	if dir == "" {
		return "", usageErrorf(redact.URL(j.URL), "no destination: give the directory to pull into")
	}
	return filepath.Clean(dir), nil
}
