package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// The copy loop moves data in chunks of chunkSize, with at most chunks of
// them in flight per file: 4 MiB of buffers bound the memory a download
// uses whatever its size. 512 KiB measured best over loopback (1 GiB, two
// cores): few system calls and hand-offs; 1 MiB chunks were up to a third
// slower, and 16 chunks of 512 KiB no faster than 8.
const (
	chunkSize = 512 << 10
	chunks    = 8
)

// stage consumes each chunk of a stream, in order, in a goroutine of its
// own: writing the file and hashing run beside the network read, so
// verification costs no wall time as long as a second core is free.
type stage func([]byte) error

// pump reads src in chunks and passes every chunk through the stages in
// order. It returns the number of bytes read, all of which went through
// every stage unless a stage failed. A read error is returned after the
// bytes read before it have gone through the stages, so a caller can resume
// right after them; a stage error stops the copy and wins.
func pump(ctx context.Context, src io.Reader, stages []stage, onRead func(int)) (int64, error) {
	p := newPipeline(stages)
	var total int64
	var readErr error
	for readErr == nil && !p.failed.Load() {
		if err := ctx.Err(); err != nil {
			readErr = context.Cause(ctx)
			break
		}
		b := p.buffer()
		n, err := fill(src, b)
		if n > 0 {
			total += int64(n)
			if onRead != nil {
				onRead(n)
			}
			p.in <- b[:n]
		} else {
			p.free <- b
		}
		readErr = err
	}
	if err := p.close(); err != nil {
		return total, err
	}
	if readErr == io.EOF {
		readErr = nil
	}
	return total, readErr
}

// fill reads until b is full or src fails, and returns src's error as it
// is: unlike io.ReadAtLeast, which reports a clean end after a short chunk
// and a body cut off midway alike, as io.ErrUnexpectedEOF.
func fill(src io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := src.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

type pipeline struct {
	in     chan []byte
	free   chan []byte
	made   int
	wg     sync.WaitGroup
	failed atomic.Bool
	err    error // the first stage error, set before failed
	mu     sync.Mutex
}

func newPipeline(stages []stage) *pipeline {
	p := &pipeline{free: make(chan []byte, chunks)}
	next := p.free
	for i := len(stages) - 1; i >= 0; i-- {
		in := make(chan []byte, chunks)
		p.wg.Add(1)
		go p.run(stages[i], in, next, next != p.free)
		next = in
	}
	p.in = next
	return p
}

// run applies st to every chunk and hands it on; after a failure it only
// hands chunks on, so the reader never blocks.
func (p *pipeline) run(st stage, in <-chan []byte, out chan<- []byte, closeOut bool) {
	defer p.wg.Done()
	for b := range in {
		if !p.failed.Load() {
			if err := st(b); err != nil {
				p.mu.Lock()
				if p.err == nil {
					p.err = err
				}
				p.mu.Unlock()
				p.failed.Store(true)
			}
		}
		if !closeOut { // out is the free list
			b = b[:cap(b)]
		}
		out <- b
	}
	if closeOut {
		close(out)
	}
}

// buffer returns a free chunk, allocating one while fewer than chunks exist,
// so small files never allocate the full set.
func (p *pipeline) buffer() []byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made < chunks {
		p.made++
		return make([]byte, chunkSize)
	}
	return <-p.free
}

func (p *pipeline) close() error {
	close(p.in)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// digests hashes a stream as it is written: SHA-256 always (for the summary
// line and the manifest), SHA-512 only when a SHA-512 checksum is wanted.
type digests struct {
	sha256 hash.Hash
	sha512 hash.Hash // nil unless wanted
	n      int64     // bytes hashed
}

func newDigests(withSHA512 bool) *digests {
	d := &digests{sha256: sha256.New()}
	if withSHA512 {
		d.sha512 = sha512.New()
	}
	return d
}

func (d *digests) reset() {
	d.sha256.Reset()
	if d.sha512 != nil {
		d.sha512.Reset()
	}
	d.n = 0
}

// stages returns the stages that write each chunk to w and hash it, each
// in a goroutine of its own: the reader only reads, a second goroutine
// writes, a third computes SHA-256 and, if wanted, a fourth SHA-512. The
// runtime moves them between the cores as each waits for the kernel or
// for the next chunk, so no core idles while the other has work queued.
// On two cores, over loopback (1 GiB to tmpfs, seven interleaved series
// of 5-11 runs on a loaded machine, median wall time against curl -o)
// this split measured 0.86-0.97x, and 1.02x in one bench/fetch.sh run;
// writing and SHA-256 in one goroutine beside the reader 1.00-1.29x, as
// that goroutine set the pace; the reader writing each chunk itself, as
// curl does, with the hashing beside it, 0.88-1.04x. On ext4 it also
// took 0.9 s less CPU per GiB than writing and hashing in one goroutine.
func (d *digests) stages(w io.Writer) []stage {
	write := func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return &writeError{err}
		}
		return nil
	}
	hash := func(b []byte) error {
		d.sha256.Write(b)
		d.n += int64(len(b))
		return nil
	}
	if d.sha512 == nil {
		return []stage{write, hash}
	}
	return []stage{write, hash, func(b []byte) error { d.sha512.Write(b); return nil }}
}

// hashFrom hashes what r holds, in this goroutine. From the page cache,
// reading and hashing in one goroutine is faster than in two (1.5 GB/s
// against 1.0 GB/s measured): each chunk is hashed while still in the
// core's cache, instead of crossing to another core.
func (d *digests) hashFrom(ctx context.Context, r io.Reader) (int64, error) {
	buf := make([]byte, chunkSize)
	var total int64
	for {
		if ctx.Err() != nil {
			return total, context.Cause(ctx)
		}
		n, err := fill(r, buf)
		d.sha256.Write(buf[:n])
		if d.sha512 != nil {
			d.sha512.Write(buf[:n])
		}
		d.n += int64(n)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (d *digests) sums() Sums {
	s := Sums{SHA256: d.sha256.Sum(nil)}
	if d.sha512 != nil {
		s.SHA512 = d.sha512.Sum(nil)
	}
	return s
}

// writeBehindBytes is how much is written before the kernel is asked to
// start writing it to disk. Without it, all of a large file is still in
// memory when the download ends, and the fsync before the rename waits
// for the disk to write it all: on a test VM, 1 GiB took 2.6 s to write
// and sync, and 0.7 s with write-behind every 16 MiB.
const writeBehindBytes = 16 << 20

// writeBehind writes a file sequentially from offset off, and starts the
// disk writes as it goes.
type writeBehind struct {
	f       *os.File
	off     int64
	flushed int64
}

func newWriteBehind(f *os.File, off int64) *writeBehind {
	return &writeBehind{f: f, off: off, flushed: off}
}

func (w *writeBehind) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	w.off += int64(n)
	if w.off-w.flushed >= writeBehindBytes {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, err
}

// writeError is a failure to write the local file (a full disk, say): not
// something a retry of the download can fix.
type writeError struct{ err error }

func (e *writeError) Error() string {
	var pe *fs.PathError // "write PATH: ERR" would read "writing: write PATH: ERR"
	if errors.As(e.err, &pe) {
		return fmt.Sprintf("writing %s: %v", pe.Path, pe.Err)
	}
	return "writing: " + e.err.Error()
}
func (e *writeError) Unwrap() error { return e.err }

func isWriteError(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}
