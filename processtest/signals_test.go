package processtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
	"golang.org/x/sys/unix"
)

// The property: SIGTERM at any moment of a real initbox process — start-up,
// download or render, the fsync and rename at the end, after it exited —
// leaves every destination file either as it was or complete, never a temp
// file, and exits 0 or 143 (or, before main has run, dies of the signal,
// which shells and Kubernetes report as 143 too). Delays are drawn from a
// seeded generator (INITBOX_SIGNAL_SEED) so a failing trial can be looked
// at again; timing still varies from run to run. INITBOX_SIGNAL_TRIALS sets
// the number of trials of each command.

const defaultSignalSeed = 20240611

// signalTrial is how one signalled process ended.
type signalTrial struct {
	code   int  // exit code; 128+n when signal n's default action killed it
	killed bool // by the default action: main had not installed its handler yet
	late   bool // it had exited before the signal was due
	stderr string
}

// signalTally counts outcomes for the summary lines a bench script greps.
type signalTally struct {
	name                              string
	trials, old, new, partial, broken int
	exit0, exit143, killed, late      int
	typical                           time.Duration
}

func (s *signalTally) add(tr signalTrial, state string, partial bool, problems []string) {
	s.trials++
	switch state {
	case "old":
		s.old++
	case "new":
		s.new++
	}
	if partial {
		s.partial++
	}
	if len(problems) > 0 {
		s.broken++
	}
	switch {
	case tr.late:
		s.late++
	case tr.killed:
		s.killed++
	case tr.code == 0:
		s.exit0++
	case tr.code == 143:
		s.exit143++
	}
}

func (s *signalTally) log(t *testing.T) {
	t.Helper()
	t.Logf("signal trials: %s %d, old %d, new %d, partial %d, broken %d",
		s.name, s.trials, s.old, s.new, s.partial, s.broken)
	t.Logf("signal exits: %s exit0 %d, exit143 %d, killed-by-default-action %d, after-exit %d; unsignalled run %v",
		s.name, s.exit0, s.exit143, s.killed, s.late, s.typical.Round(time.Millisecond))
}

// signalSetup returns the number of trials and the generator of delays.
func signalSetup(t *testing.T) (int, *rand.Rand) {
	t.Helper()
	trials := envInt(t, "INITBOX_SIGNAL_TRIALS", 200)
	seed := envInt(t, "INITBOX_SIGNAL_SEED", defaultSignalSeed)
	t.Logf("seed %d (INITBOX_SIGNAL_SEED), %d trials (INITBOX_SIGNAL_TRIALS)", seed, trials)
	return trials, rand.New(rand.NewPCG(uint64(seed), 1))
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, s)
	}
	return n
}

// typicalRun resets and runs the command unsignalled a few times and
// returns the median duration, from start to exit.
func typicalRun(t *testing.T, reset func(), cmd func() *exec.Cmd) time.Duration {
	t.Helper()
	var ds []time.Duration
	for range 5 {
		reset()
		c := cmd()
		start := time.Now()
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("unsignalled run: %v\n%s", err, out)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// signalAfter starts cmd, sends SIGTERM after delay and waits for the end.
func signalAfter(t *testing.T, cmd *exec.Cmd, delay time.Duration) signalTrial {
	t.Helper()
	stderr := startCapturing(t, cmd)
	time.Sleep(delay)
	tr := signalTrial{late: exited(cmd.Process.Pid)}
	cmd.Process.Signal(syscall.SIGTERM)
	ws := waitEnd(t, cmd, stderr)
	tr.code, tr.stderr = ws.ExitStatus(), stderr.String()
	if ws.Signaled() {
		tr.code, tr.killed = 128+int(ws.Signal()), true
	}
	return tr
}

// startCapturing starts cmd and returns what it writes to stderr.
func startCapturing(t *testing.T, cmd *exec.Cmd) *bytes.Buffer {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &stderr
}

// waitEnd waits for cmd, signalled a moment ago, to end: within 30 s,
// however busy the machine.
func waitEnd(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) syscall.WaitStatus {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 30 s after SIGTERM; stderr:\n%s", stderr.String())
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// exited reports whether the child pid has ended, without reaping it: the
// signal then goes to a zombie, as good as after the end.
func exited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err == nil && info.Signo == int32(syscall.SIGCHLD)
}

// exitProblems checks the exit status against the state left on disk: a
// handled SIGTERM (143) changes nothing, success means complete. A process
// that SIGTERM's default action killed (shells and Kubernetes report 143
// too) must have changed nothing either: that happens only before main
// installs its handler, which it never removes.
func exitProblems(tr signalTrial, state string) []string {
	switch {
	case tr.code != 0 && tr.code != 143:
		return []string{fmt.Sprintf("exit %d, want 0 or 143", tr.code)}
	case tr.code == 143 && state != "old":
		return []string{"exit 143 but the destination changed: " + state}
	case tr.code == 0 && state != "new":
		return []string{"exit 0 but the destination is " + state}
	}
	return nil
}

// report fails the test for a trial's problems, at most a few trials in full.
func report(t *testing.T, s *signalTally, i int, delay time.Duration, tr signalTrial, problems []string) {
	t.Helper()
	if len(problems) == 0 || s.broken > 5 {
		return
	}
	t.Errorf("trial %d (SIGTERM after %v, exit %d, killed %v): %q\nstderr:\n%s",
		i, delay, tr.code, tr.killed, problems, tr.stderr)
}

func TestSignalFetchAtRandomMoments(t *testing.T) {
	trials, rng := signalSetup(t)
	oldData, newData := randomBytes(rng, 2<<20), randomBytes(rng, 3<<20)
	srv := slowServer(t, newData)
	root := t.TempDir()
	dir, master := filepath.Join(root, "dest"), filepath.Join(root, "old")
	dest := filepath.Join(dir, "model.bin")
	writeTree(t, master, map[string][]byte{"model.bin": oldData})
	reset := func() { linkTree(t, master, dir) }
	cmd := func(i int) *exec.Cmd {
		args := []string{"fetch", "-o", dest}
		if i%2 == 0 { // half the trials hash the old file first, and verify
			args = append(args, "--sha256", testfiles.SHA256(newData))
		}
		return exec.Command(binary, append(args, srv.URL+"/model.bin")...)
	}
	s := &signalTally{name: "fetch", typical: typicalRun(t, reset, func() *exec.Cmd { return cmd(0) })}
	for i := range trials {
		reset()
		delay := time.Duration(rng.Float64() * 1.2 * float64(s.typical))
		tr := signalAfter(t, cmd(i), delay)
		state, partial, problems := fetchState(dir, "model.bin", oldData, newData)
		problems = append(problems, exitProblems(tr, state)...)
		if partial && tr.killed {
			problems = append(problems, "a partial download from a process that never handled the signal")
		}
		s.add(tr, state, partial, problems)
		report(t, s, i, delay, tr, problems)
	}
	s.log(t)
}

func TestSignalRenderAtRandomMoments(t *testing.T) {
	trials, rng := signalSetup(t)
	root := t.TempDir()
	in, out, cfg := filepath.Join(root, "in"), filepath.Join(root, "out"), filepath.Join(root, "cfg.yaml")
	if err := os.WriteFile(cfg, []byte("zone: eu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := renderTree(t, in, 200)
	oldTree, newTree := outputs("old"), outputs("new")
	master := filepath.Join(root, "old")
	writeTree(t, master, oldTree)
	reset := func() { linkTree(t, master, out) }
	cmd := func() *exec.Cmd {
		c := exec.Command(binary, "render", "--input-dir", in, "--output-dir", out,
			"--trim-suffix", ".tmpl", "--data", "cfg="+cfg)
		c.Env = append(os.Environ(), "INITBOX_SIGNAL_VALUE=new")
		return c
	}
	s := &signalTally{name: "render", typical: typicalRun(t, reset, cmd)}
	for i := range trials {
		reset()
		delay := time.Duration(rng.Float64() * 1.2 * float64(s.typical))
		tr := signalAfter(t, cmd(), delay)
		state, problems := treeState(out, oldTree, newTree)
		problems = append(problems, exitProblems(tr, state)...)
		s.add(tr, state, false, problems)
		report(t, s, i, delay, tr, problems)
	}
	s.log(t)
}
