package checks

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// pauser sleeps between attempts on a timerfd that the runtime's network
// poller watches. Unlike a runtime timer, it does not wake Go's monitor
// thread as well as the poller, which halves the wake-ups of a long wait on
// machines where each one is expensive (virtual machines).
type pauser struct {
	f  *os.File
	rc syscall.RawConn
	fd uintptr

	// The end of ctx interrupts a pause: one AfterFunc for all the
	// pauses of a wait, rather than one each.
	mu   sync.Mutex
	ctx  context.Context
	stop func() bool
}

func newPauser() *pauser {
	fd, _, errno := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil // out of descriptors: pause falls back to a timer
	}
	f := os.NewFile(fd, "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	return &pauser{f: f, rc: rc, fd: fd}
}

// itimerspec mirrors struct itimerspec: no interval, one expiry.
type itimerspec struct{ interval, value syscall.Timespec }

// pause waits for d or until ctx ends, and reports whether d passed.
func (p *pauser) pause(ctx context.Context, d time.Duration) bool {
	if p == nil {
		return timerPause(ctx, d)
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, p.fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		return timerPause(ctx, d)
	}
	if ctx != p.ctx {
		p.watch(ctx)
	}
	err := p.rc.Read(p.expired)
	return err == nil && ctx.Err() == nil
}

// expired reads the timerfd, for RawConn.Read: false while it has not
// expired.
func (p *pauser) expired(fd uintptr) bool {
	var buf [8]byte
	_, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
	return errno != syscall.EAGAIN
}

// watch makes the end of ctx, and no other context's, interrupt pauses.
func (p *pauser) watch(ctx context.Context) {
	if p.stop != nil {
		p.stop()
	}
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	p.f.SetReadDeadline(time.Time{}) // an earlier context's end may have set it
	p.stop = context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ctx == ctx {
			p.f.SetReadDeadline(time.Unix(1, 0))
		}
	})
}

func (p *pauser) close() {
	if p != nil {
		if p.stop != nil {
			p.stop()
		}
		p.f.Close()
	}
}
