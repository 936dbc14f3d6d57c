package fetch

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Whiteouts, as the OCI image layer specification names them: ".wh.NAME"
// hides NAME of the lower layers, ".wh..wh..opq" hides everything the
// lower layers put in its directory.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// applyLayers unpacks an image's layers, in order, into the empty
// directory stage, applying whiteouts. Each blob file is hashed again as
// it is read: what lands on disk is what its digest names.
func applyLayers(ctx context.Context, stage string, layers []descriptor, files []string, lim Limits) (*extractor, error) {
	root, err := os.OpenRoot(stage)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	x := newExtractor(ctx, root, lim)
	x.rootfs = true
	for i, d := range layers {
		if err := x.applyFile(d, files[i]); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, d.Digest, err)
		}
	}
	return x, x.checkLinks()
}

func (x *extractor) applyFile(d descriptor, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, h), 256<<10)
	r, err := decompress(br)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := x.layer(r); err != nil {
		var ae *ArchiveError
		if !errors.As(err, &ae) {
			return err
		}
		// Refused: but if the blob was altered on disk, that is the news.
		if _, cerr := io.Copy(io.Discard, br); cerr == nil && "sha256:"+hex.EncodeToString(h.Sum(nil)) != d.Digest {
			os.Remove(file)
			return &DigestError{What: "blob", Digest: d.Digest, Got: "sha256:" + hex.EncodeToString(h.Sum(nil))}
		}
		return err
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // the rest, for the hash
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.Digest {
		os.Remove(file) // changed on disk since it was verified: fetch it again next time
		return &DigestError{What: "blob", Digest: d.Digest, Got: got}
	}
	return nil
}

// decompress recognises a layer's compression by its magic number, not
// its media type: gzip, zstd or none.
func decompress(br *bufio.Reader) (io.ReadCloser, error) {
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ArchiveError{Reason: "bad gzip data: " + err.Error()}
		}
		return zr, nil
	case bytes.HasPrefix(head, zstdMagic):
		return zstdReader(br)
	}
	return io.NopCloser(br), nil
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// layer unpacks one layer's tar stream over the layers before it.
func (x *extractor) layer(r io.Reader) error {
	x.seen = map[string]bool{}
	return eachTar(r, x.layerEntry)
}

// layerEntry applies one entry of a layer: a whiteout, or a file as any
// tar's.
func (x *extractor) layerEntry(tr *tar.Reader, hdr *tar.Header) error {
	dir, base := path.Split(hdr.Name)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return x.whiteout(hdr.Name, dir, base)
	}
	switch hdr.Typeflag {
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return nil // device nodes need privileges, and a volume has no use for them
	}
	return x.tarEntry(tr, hdr)
}

// whiteout hides a lower layer's NAME, or (opaque) all of a directory's
// lower content. What this layer itself put there stays.
func (x *extractor) whiteout(entryName, dir, base string) error {
	target := path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix))
	if base == whiteoutOpaque {
		target = path.Clean(dir)
	}
	name, err := cleanEntryName(target)
	if err != nil {
		return &ArchiveError{Entry: entryName, Reason: err.Error()}
	}
	if link := x.throughLink(name + "/"); link != "" {
		return &ArchiveError{Entry: entryName, Reason: "its path goes through the symlink " + link}
	}
	if base == whiteoutOpaque {
		return x.opaque(name)
	}
	if !x.seen[name] {
		x.remove(name)
	}
	return nil
}

// opaque removes what lower layers left in dir, descending into the
// directories this layer also writes to.
func (x *extractor) opaque(dir string) error {
	f, err := x.root.Open(dir)
	if err != nil {
		return nil // nothing below to hide
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		child := path.Join(dir, e.Name())
		if dir == "." {
			child = e.Name()
		}
		switch {
		case !x.seen[child]:
			x.remove(child)
		case e.IsDir():
			if err := x.opaque(child); err != nil {
				return err
			}
		}
	}
	return nil
}

// saw notes that this layer wrote name, and so its parents.
func (x *extractor) saw(name string) {
	for {
		x.seen[name] = true
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return
		}
		name = name[:i]
	}
}

// remove deletes name and all below it, and forgets them.
func (x *extractor) remove(name string) {
	x.root.RemoveAll(name)
	for _, m := range []map[string]string{x.links} {
		for k := range m {
			if k == name || strings.HasPrefix(k, name+"/") {
				delete(m, k)
			}
		}
	}
	for _, m := range []map[string]bool{x.files, x.dirs} {
		for k := range m {
			if k == name || strings.HasPrefix(k, name+"/") {
				delete(m, k)
			}
		}
	}
}
