package checks

import (
	"context"
	"os"
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
	return &pauser{f: f, rc: rc}
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
	var fd uintptr
	p.rc.Control(func(f uintptr) { fd = f })
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		return timerPause(ctx, d)
	}
	p.f.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { p.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var buf [8]byte
	err := p.rc.Read(func(fd uintptr) bool {
		_, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
		return errno != syscall.EAGAIN
	})
	return err == nil && ctx.Err() == nil
}

func (p *pauser) close() {
	if p != nil {
		p.f.Close()
	}
}
