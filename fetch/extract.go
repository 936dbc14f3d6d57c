package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/initbox/initbox/internal/atomicfile"
	"github.com/initbox/initbox/internal/option"
)

// Limits caps what an archive may unpack to, so a decompression bomb or a
// tar of a million empty files cannot fill the volume.
type Limits struct {
	MaxBytes int64 // total size of the files unpacked; default 4 GiB
	MaxFiles int   // entries: files, directories and links; default 100,000
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultExtractBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultExtractFiles
	}
	return l
}

// ArchiveError is an archive that initbox refuses to unpack: an entry
// would land outside the target, is a device file or setuid, or the
// archive exceeds the limits. Nothing was written outside the staging
// directory, which is removed.
type ArchiveError struct {
	Entry  string // "" for the archive as a whole
	Reason string
}

func (e *ArchiveError) Error() string {
	if e.Entry == "" {
		return "archive rejected: " + e.Reason
	}
	return fmt.Sprintf("archive rejected: entry %q: %s", e.Entry, e.Reason)
}

type archiveKind int

const (
	kindTar archiveKind = iota
	kindTarGz
	kindTarZstd
	kindZip
	kindGzipFile // a single gzipped file
)

// unpack unpacks the verified archive at path into dest: a directory for
// .tar, .tar.gz, .tgz and .zip, a file for a single .gz. The format is
// recognised by content, not by name.
func unpack(ctx context.Context, path, dest string, mode os.FileMode, lim Limits) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	kind, err := sniff(f)
	if err != nil {
		return err
	}
	if kind == kindGzipFile {
		return gunzipFile(ctx, f, dest, mode, lim)
	}
	return unpackTree(ctx, f, kind, dest, lim)
}

// sniff tells the archive formats apart by their magic numbers.
func sniff(f *os.File) (archiveKind, error) {
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip, nil
	case isTar(head):
		return kindTar, nil
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(io.NewSectionReader(f, 0, 1<<62))
		if err != nil {
			return 0, &ArchiveError{Reason: "bad gzip header: " + err.Error()}
		}
		inner := make([]byte, 512)
		n, _ := io.ReadFull(zr, inner)
		if isTar(inner[:n]) {
			return kindTarGz, nil
		}
		return kindGzipFile, nil
	case bytes.HasPrefix(head, zstdMagic):
		return kindTarZstd, nil
	}
	return 0, &ArchiveError{Reason: "not a .tar, .tar.gz, .tgz, .tar.zst, .zip or .gz file"}
}

// isTar looks for the POSIX (ustar) or GNU magic in a tar header block.
func isTar(b []byte) bool {
	return len(b) >= 512 && bytes.Equal(b[257:262], []byte("ustar"))
}

// gunzipFile decompresses a single .gz file to dest, atomically.
func gunzipFile(ctx context.Context, f *os.File, dest string, mode os.FileMode, lim Limits) error {
	zr, err := gzip.NewReader(f)
	if err != nil {
		return &ArchiveError{Reason: "bad gzip data: " + err.Error()}
	}
	out, err := atomicfile.Create(dest, mode)
	if err != nil {
		return err
	}
	defer out.Abort()
	left := lim.MaxBytes
	w := newWriteBehind(out.File, 0)
	write := func(b []byte) error {
		if left -= int64(len(b)); left < 0 {
			return &ArchiveError{Reason: fmt.Sprintf("unpacks to more than %d bytes (%s): a decompression bomb?", lim.MaxBytes, option.ExtractMaxBytes)}
		}
		_, err := w.Write(b)
		return err
	}
	if _, err := pump(ctx, zr, []stage{write}, nil); err != nil {
		return err
	}
	return out.Commit()
}

// unpackTree unpacks into a staging directory beside dest, then swaps it
// into place: dest holds the old tree until the new one is complete.
func unpackTree(ctx context.Context, f *os.File, kind archiveKind, dest string, lim Limits) error {
	if fi, err := os.Lstat(dest); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory: remove it, or choose another destination", dest)
	}
	dir, base := filepath.Split(dest)
	stage, err := os.MkdirTemp(dir, atomicfile.TempPrefix+base+".*"+atomicfile.TempSuffix)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(stage)
		}
	}()
	if err := fillStage(ctx, f, kind, stage, lim); err != nil {
		return err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	if err := syncTree(stage); err != nil {
		return err
	}
	done = true
	return swap(stage, dest)
}

func fillStage(ctx context.Context, f *os.File, kind archiveKind, stage string, lim Limits) error {
	root, err := os.OpenRoot(stage)
	if err != nil {
		return err
	}
	defer root.Close()
	x := newExtractor(ctx, root, lim)
	switch kind {
	case kindZip:
		err = x.zip(f)
	case kindTarGz:
		err = x.tarGz(f)
	case kindTarZstd:
		err = x.tarZstd(f)
	default:
		err = x.tar(f)
	}
	if err != nil {
		return err
	}
	return x.checkLinks()
}

// swap puts the new tree at dest. Where the kernel can, both trees trade
// places in one atomic step (RENAME_EXCHANGE); elsewhere the old tree is
// renamed aside first, leaving dest missing for an instant. The old tree
// is then removed.
func swap(stage, dest string) error {
	parent := filepath.Dir(dest)
	if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(stage, dest); err != nil {
			os.RemoveAll(stage)
			return err
		}
		return atomicfile.SyncDir(parent)
	}
	old := stage // after an exchange, the staging name holds the old tree
	if err := exchange(stage, dest); err != nil {
		old = stage + ".old" + atomicfile.TempSuffix
		if err := os.Rename(dest, old); err != nil {
			os.RemoveAll(stage)
			return err
		}
		if err := os.Rename(stage, dest); err != nil {
			os.Rename(old, dest) // put the old tree back
			os.RemoveAll(stage)
			return err
		}
	}
	if err := atomicfile.SyncDir(parent); err != nil {
		return err
	}
	return os.RemoveAll(old)
}
