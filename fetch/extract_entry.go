package fetch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/initbox/initbox/internal/option"
)

// entryKind is what an archive entry creates.
type entryKind int

const (
	entryDir entryKind = iota
	entryFile
	entrySymlink
	entryHardlink
)

// entry is one archive member, whatever the format.
type entry struct {
	name   string
	kind   entryKind
	mode   fs.FileMode // permissions, and setuid/setgid bits to refuse
	size   int64       // declared size of a file
	target string      // of a link
	body   io.Reader   // of a file
}

// extractor writes entries into a staging directory through an os.Root,
// which refuses any path that leaves it even through a symlink: a second
// line of defence behind the checks on every name and link here.
type extractor struct {
	ctx   context.Context
	root  *os.Root
	lim   Limits
	count int
	bytes int64
	links map[string]string // symlinks created: name -> target
	files map[string]bool   // regular files created, for hard links
	dirs  map[string]bool   // directories created, listed or not
	buf   []byte

	// rootfs unpacks the layers of an image, one over the other: absolute
	// symlinks are the image's own (resolved from the target, never
	// followed while unpacking), a later entry replaces a directory,
	// setuid and setgid bits are dropped rather than refused, and seen
	// holds the current layer's names for its whiteouts (see oci_layers.go).
	rootfs bool
	seen   map[string]bool
}

func newExtractor(ctx context.Context, root *os.Root, lim Limits) *extractor {
	return &extractor{ctx: ctx, root: root, lim: lim, links: map[string]string{}, files: map[string]bool{}, dirs: map[string]bool{}}
}

// add checks one entry and creates it.
func (x *extractor) add(e entry) error {
	if err := x.ctx.Err(); err != nil {
		return context.Cause(x.ctx)
	}
	name, err := cleanEntryName(e.name)
	if err != nil || name == "." {
		if e.kind == entryDir && name == "." {
			return nil // the archive's own top directory: "./"
		}
		return &ArchiveError{Entry: e.name, Reason: errString(err, "names the target directory itself")}
	}
	if x.count++; x.count > x.lim.MaxFiles {
		return x.tooMany()
	}
	if e.mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 && x.rootfs {
		e.mode &^= fs.ModeSetuid | fs.ModeSetgid
	}
	if e.mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
		return &ArchiveError{Entry: e.name, Reason: "has the setuid or setgid bit"}
	}
	if link := x.throughLink(name); link != "" {
		return &ArchiveError{Entry: e.name, Reason: "its path goes through the symlink " + link}
	}
	if err := x.parents(name); err != nil {
		return err
	}
	if x.seen != nil {
		x.saw(name)
	}
	switch e.kind {
	case entryDir:
		if fi, err := x.root.Lstat(name); x.rootfs && err == nil && !fi.IsDir() {
			x.remove(name) // a lower layer's file or link
		}
		x.dirs[name] = true
		return x.root.MkdirAll(name, e.mode.Perm()|0o700)
	case entryFile:
		return x.file(name, e)
	case entrySymlink:
		return x.symlink(name, e)
	default:
		return x.hardlink(name, e)
	}
}

// parents creates the directories above name that the archive has not
// listed, each counted as an entry: else a few entries with deep paths
// could create any number of directories.
func (x *extractor) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." || x.dirs[dir] {
		return nil
	}
	for i := range len(name) {
		if name[i] == '/' && !x.dirs[name[:i]] {
			x.dirs[name[:i]] = true
			if x.count++; x.count > x.lim.MaxFiles {
				return x.tooMany()
			}
		}
	}
	return x.root.MkdirAll(dir, 0o755)
}

func (x *extractor) tooMany() error {
	return &ArchiveError{Reason: fmt.Sprintf("more than %d entries, counting the directories they need (%s)", x.lim.MaxFiles, option.ExtractMaxFiles)}
}

func errString(err error, fallback string) string {
	if err != nil {
		return err.Error()
	}
	return fallback
}

// cleanEntryName refuses absolute names and any ".." element, and
// returns the name cleaned of "./" and doubled slashes.
func cleanEntryName(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("has no name")
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("is an absolute path")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("has a NUL byte in its name")
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", fmt.Errorf("has a \"..\" element: it would land outside the target")
		}
	}
	return path.Clean(name), nil
}

// throughLink returns the symlink, created earlier from this archive, that
// a path would pass through, or "". Writing through links is refused
// outright, so no later entry can be steered by an earlier one.
func (x *extractor) throughLink(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			if _, ok := x.links[name[:i]]; ok {
				return name[:i]
			}
		}
	}
	return ""
}

func (x *extractor) file(name string, e entry) error {
	if e.size > x.lim.MaxBytes-x.bytes {
		return x.tooBig()
	}
	x.forget(name)
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if x.buf == nil {
		x.buf = make([]byte, 256<<10)
	}
	left := x.lim.MaxBytes - x.bytes
	n, err := io.CopyBuffer(f, io.LimitReader(ctxReader{x.ctx, e.body}, left+1), x.buf)
	x.bytes += n
	if err != nil {
		return fmt.Errorf("unpacking %q: %w", e.name, err)
	}
	if n > left {
		return x.tooBig()
	}
	x.files[name] = true
	if err := f.Close(); err != nil {
		return err
	}
	// Exact permissions, whatever the umask: executables stay executable.
	return x.root.Chmod(name, e.mode.Perm())
}

func (x *extractor) tooBig() error {
	return &ArchiveError{Reason: fmt.Sprintf("unpacks to more than %d bytes (%s): a decompression bomb?", x.lim.MaxBytes, option.ExtractMaxBytes)}
}

// forget removes an earlier entry of the same name (tar archives may
// hold updates of a file), so that nothing is written through it.
func (x *extractor) forget(name string) {
	if _, err := x.root.Lstat(name); err == nil {
		if x.rootfs { // a lower layer's directory may be replaced by a file
			x.remove(name)
			return
		}
		x.root.Remove(name)
		delete(x.links, name)
		delete(x.files, name)
		delete(x.dirs, name)
	}
}

// symlink creates a link whose target stays inside the target directory,
// read lexically here and again, through every link, by checkLinks.
func (x *extractor) symlink(name string, e entry) error {
	t := e.target
	if t == "" || path.IsAbs(t) && !x.rootfs || strings.ContainsRune(t, 0) {
		return &ArchiveError{Entry: e.name, Reason: fmt.Sprintf("symlink to %q points outside the target", t)}
	}
	if _, ok := x.resolve(strings.Split(path.Dir(name), "/"), t, 0); !ok {
		return &ArchiveError{Entry: e.name, Reason: fmt.Sprintf("symlink to %q points outside the target", t)}
	}
	x.forget(name)
	if err := x.root.Symlink(t, name); err != nil {
		return err
	}
	x.links[name] = t
	return nil
}

func (x *extractor) hardlink(name string, e entry) error {
	target, err := cleanEntryName(e.target)
	if err != nil || !x.files[target] {
		return &ArchiveError{Entry: e.name, Reason: fmt.Sprintf("hard link to %q, which is not a file unpacked before it", e.target)}
	}
	x.forget(name)
	if err := x.root.Link(target, name); err != nil {
		return err
	}
	x.files[name] = true
	return nil
}

// checkLinks follows every symlink once all are in place, since a link
// created later can change where an earlier one leads.
func (x *extractor) checkLinks() error {
	for name, t := range x.links {
		if _, ok := x.resolve(strings.Split(path.Dir(name), "/"), t, 0); !ok {
			return &ArchiveError{Entry: name, Reason: fmt.Sprintf("symlink to %q leads outside the target through other links", t)}
		}
	}
	return nil
}

// resolve walks rel from dir, following the archive's symlinks, and
// reports whether it stays inside the target. Loops count as escapes.
func (x *extractor) resolve(dir []string, rel string, depth int) ([]string, bool) {
	if depth > 40 || path.IsAbs(rel) && !x.rootfs {
		return nil, false
	}
	if path.IsAbs(rel) { // an image's absolute link: from its root
		dir = nil
	}
	cur := make([]string, 0, len(dir)+4)
	for _, c := range dir {
		if c != "." && c != "" {
			cur = append(cur, c)
		}
	}
	for _, c := range strings.Split(rel, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(cur) == 0 && x.rootfs {
				continue // as in a chroot, the root's parent is the root
			}
			if len(cur) == 0 {
				return nil, false
			}
			cur = cur[:len(cur)-1]
		default:
			cur = append(cur, c)
			if t, ok := x.links[strings.Join(cur, "/")]; ok {
				next, ok := x.resolve(cur[:len(cur)-1], t, depth+1)
				if !ok {
					return nil, false
				}
				cur = next
			}
		}
	}
	return cur, true
}

// ctxReader stops a long copy when ctx ends (SIGTERM, the deadline).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}
