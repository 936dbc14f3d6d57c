// Package termlog writes a container's termination message: the few lines
// that Kubernetes shows in "kubectl describe pod" after the container
// ends, read from a file it mounts (by default /dev/termination-log).
package termlog

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"
)

// MaxBytes is the most Kubernetes keeps of a termination message.
const MaxBytes = 4096

// DefaultPath is where the kubelet mounts the termination message file,
// unless the pod's terminationMessagePath says otherwise.
const DefaultPath = "/dev/termination-log"

// Write replaces the content of the file at path with msg, fitted into
// MaxBytes. With onlyIfThere the file must exist already and be writable,
// and it is no error if it is not: outside Kubernetes there is no such
// file, and nothing should be created in /dev.
func Write(path, msg string, onlyIfThere bool) error {
	flags := os.O_WRONLY | os.O_TRUNC
	if !onlyIfThere {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if onlyIfThere && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
			return nil
		}
		return err
	}
	_, err = f.WriteString(Fit(msg, MaxBytes))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Fit returns msg as valid UTF-8 in at most n bytes. A message too long is
// cut after its last whole line that fits, or else after its last whole
// character, and ends with "…" to show that something is missing.
func Fit(msg string, n int) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= n {
		return msg
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	kept := msg[:cut]
	// Whole lines read better, unless that would drop most of the text.
	if i := strings.LastIndexByte(kept, '\n'); i >= cut/2 {
		kept = kept[:i+1]
	}
	return kept + more
}
