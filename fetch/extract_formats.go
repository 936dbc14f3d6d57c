package fetch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/initbox/initbox/internal/option"
)

func (x *extractor) tarGz(f *os.File) error {
	zr, err := gzip.NewReader(f)
	if err != nil {
		return &ArchiveError{Reason: "bad gzip data: " + err.Error()}
	}
	return x.tar(zr)
}

func (x *extractor) tarZstd(f *os.File) error {
	zr, err := zstdReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	return x.tar(zr)
}

func (x *extractor) tar(r io.Reader) error {
	return eachTar(r, x.tarEntry)
}

// eachTar calls do for every entry of the tar stream r, in order, until
// the end or the first error.
func eachTar(r io.Reader, do func(*tar.Reader, *tar.Header) error) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &ArchiveError{Reason: "bad tar data: " + err.Error()}
		}
		if err := do(tr, hdr); err != nil {
			return err
		}
	}
}

// tarEntry checks and creates the tar entry hdr, whose body tr holds.
func (x *extractor) tarEntry(tr *tar.Reader, hdr *tar.Header) error {
	e := entry{name: hdr.Name, mode: hdr.FileInfo().Mode(), size: hdr.Size, target: hdr.Linkname, body: tr}
	switch hdr.Typeflag {
	case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
		e.kind = entryFile
	case tar.TypeDir:
		e.kind = entryDir
	case tar.TypeSymlink:
		e.kind = entrySymlink
	case tar.TypeLink:
		e.kind = entryHardlink
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return &ArchiveError{Entry: hdr.Name, Reason: "is a device file or FIFO"}
	default:
		return &ArchiveError{Entry: hdr.Name, Reason: "has an unsupported type " + string(hdr.Typeflag)}
	}
	return x.add(e)
}

// maxLinkTarget bounds the content of a zip symlink entry (its target).
const maxLinkTarget = 4096

func (x *extractor) zip(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if n, ok := zipEntries(f, fi.Size()); ok && n > uint64(x.lim.MaxFiles) {
		return &ArchiveError{Reason: fmt.Sprintf("%d entries, more than %d (%s)", n, x.lim.MaxFiles, option.ExtractMaxFiles)}
	}
	zr, err := zip.NewReader(f, fi.Size())
	// Insecure names are refused one by one below, with the entry named.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return &ArchiveError{Reason: "bad zip data: " + err.Error()}
	}
	for _, zf := range zr.File {
		if err := x.zipEntry(zf); err != nil {
			return err
		}
	}
	return nil
}

func (x *extractor) zipEntry(zf *zip.File) error {
	mode := zf.Mode()
	e := entry{name: zf.Name, mode: mode, size: int64(min(zf.UncompressedSize64, 1<<62))}
	switch {
	case mode.IsDir():
		e.kind = entryDir
		return x.add(e)
	case mode&fs.ModeSymlink != 0:
		e.kind = entrySymlink
	case mode.IsRegular():
		e.kind = entryFile
	default:
		return &ArchiveError{Entry: zf.Name, Reason: "is a device file, FIFO or socket"}
	}
	rc, err := zf.Open()
	if err != nil {
		return &ArchiveError{Entry: zf.Name, Reason: err.Error()}
	}
	defer rc.Close()
	if e.kind == entrySymlink {
		t, err := readSmall(rc, maxLinkTarget)
		if err != nil {
			return &ArchiveError{Entry: zf.Name, Reason: "bad symlink: " + err.Error()}
		}
		e.target = string(t)
	}
	e.body = rc
	return x.add(e)
}

// zipEntries reads the entry count from a zip's end records, so that an
// archive of millions of entries is refused before archive/zip builds its
// whole directory in memory. ok is false when the records are not found;
// archive/zip then reports the error.
func zipEntries(f io.ReaderAt, size int64) (n uint64, ok bool) {
	const eocdLen, maxComment = 22, 1 << 16
	tail := make([]byte, min(size, eocdLen+maxComment))
	off := size - int64(len(tail))
	if _, err := f.ReadAt(tail, off); err != nil {
		return 0, false
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	if i < 0 || len(tail)-i < eocdLen {
		return 0, false
	}
	n = uint64(binary.LittleEndian.Uint16(tail[i+10:]))
	if n != 0xffff {
		return n, true
	}
	// Zip64: the locator, just before, points at the zip64 end record.
	var loc [20]byte
	if _, err := f.ReadAt(loc[:], off+int64(i)-20); err != nil || !bytes.Equal(loc[:4], []byte("PK\x06\x07")) {
		return 0, false
	}
	var rec [56]byte
	if _, err := f.ReadAt(rec[:], int64(binary.LittleEndian.Uint64(loc[8:]))); err != nil || !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}
