package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/redact"
)

// maxValidateOutput is how much of a validation command's output is kept
// for the error message.
const maxValidateOutput = 8 << 10

// ValidationError is a validation command that rejected an output.
type ValidationError struct {
	Dest    string // the output it was checking
	Command string
	Output  string // its stdout and stderr, trimmed
	Err     error
}

func (e *ValidationError) Error() string {
	msg := fmt.Sprintf("validating %s: %s: %v; the file was left as it was", e.Dest, e.Command, e.Err)
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	return msg
}

func (e *ValidationError) Unwrap() error { return e.Err }

// validate runs argv on the temp file path that will become dest. Its
// output, kept for the error, may quote the file: hide is hidden in it.
func validate(ctx context.Context, argv []string, dest, path string, hide []string) error {
	args := make([]string, 0, len(argv)+1)
	found := false
	for _, a := range argv {
		if strings.Contains(a, "{}") {
			found = true
			a = strings.ReplaceAll(a, "{}", path)
		}
		args = append(args, a)
	}
	if !found {
		args = append(args, path)
	}
	out, err := runCommand(ctx, args)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("validating %s: %s: %w; the file was left as it was", dest, strings.Join(argv, " "), context.Cause(ctx))
	}
	out = redact.Hide(strings.TrimSpace(out), hide)
	return &ValidationError{Dest: dest, Command: strings.Join(argv, " "), Output: out, Err: err}
}

// runCommand runs a command and returns the start of its output (stdout and
// stderr). It uses os.StartProcess, not os/exec's Cmd, which would add
// some 100 KB to a binary that must stay small.
func runCommand(ctx context.Context, args []string) (string, error) {
	path, err := exec.LookPath(args[0])
	if err != nil {
		return "", err
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return "", err
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	// A group of its own, so that the deadline stops the command's
	// children too (a shell script's), not only the command.
	proc, err := os.StartProcess(path, args, &os.ProcAttr{Files: []*os.File{null, w, w},
		Sys: &syscall.SysProcAttr{Setpgid: true}})
	w.Close()
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		io.Copy(&capped{&out}, r)
		close(read)
	}()
	stop := context.AfterFunc(ctx, func() { syscall.Kill(-proc.Pid, syscall.SIGKILL) })
	state, err := proc.Wait()
	stop()
	select {
	case <-read:
	case <-time.After(time.Second): // a child of the command keeps the pipe open
		r.Close()
		<-read
	}
	switch {
	case err != nil:
		return out.String(), err
	case !state.Success():
		return out.String(), errors.New(state.String())
	}
	return out.String(), nil
}

// capped keeps the start of what is written to it.
type capped struct{ b *bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxValidateOutput - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// SplitCommand splits a command line into words the way a shell would for
// simple cases: blanks separate words, single and double quotes group them,
// a backslash escapes the next character. There is no shell in many
// images, so --validate runs its command directly.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '\'':
			cur.WriteByte(c)
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case quote == '"':
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}
