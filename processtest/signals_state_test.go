package processtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The workloads of the signal trials, and the checks of what each trial
// left on disk.

// slowReader trickles content out, a pause every chunk, so that a download
// of a few MiB on loopback lasts long enough to be interrupted midway.
type slowReader struct {
	*bytes.Reader
	chunk, sent int
	pause       time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.sent >= r.chunk {
		time.Sleep(r.pause)
		r.sent = 0
	}
	n, err := r.Reader.Read(p[:min(len(p), r.chunk-r.sent)])
	r.sent += n
	return n, err
}

func slowServer(t *testing.T, data []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"new"`)
		body := &slowReader{Reader: bytes.NewReader(data), chunk: 256 << 10, pause: 2 * time.Millisecond}
		http.ServeContent(w, r, "", time.Unix(1700000000, 0), body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// writeTree writes files into dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// linkTree makes dir a copy of master made of hard links: a trial starts
// from the old files without writing (and later syncing) their data again.
// initbox replaces files by renaming, so master is never changed; if it
// wrote into one in place, the trial would see that file broken.
func linkTree(t *testing.T, master, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(master, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(master, p)
		if d.IsDir() {
			return os.Mkdir(filepath.Join(dir, rel), 0o755)
		}
		return os.Link(p, filepath.Join(dir, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fetchState says whether dir holds the old or the new file, whether a
// resumable partial download was left, and what is wrong: anything but
// the file, its manifest (with the new file only) and a partial download
// (a prefix of the new file, under its own name, with its sidecar).
func fetchState(dir, name string, oldData, newData []byte) (state string, partial bool, problems []string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "missing", false, []string{err.Error()}
	}
	state = "missing"
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		switch e.Name() {
		case name:
			state = whichContent(data, oldData, newData)
		case "." + name + ".initbox-partial":
			partial = true
			if err != nil || len(data) == 0 || !bytes.HasPrefix(newData, data) {
				problems = append(problems, fmt.Sprintf("partial download of %d bytes is not a prefix of the file", len(data)))
			}
		case "." + name + ".initbox-partial.json":
		default:
			problems = append(problems, e.Name()+" left behind")
		}
	}
	names["manifest"] = hasManifest(filepath.Join(dir, name))
	problems = append(problems, sidecarProblems(names, name, state, partial)...)
	if state != "old" && state != "new" {
		problems = append(problems, name+" is "+state)
	}
	return state, partial, problems
}

// hasManifest reports whether fetch left its manifest on path: an extended
// attribute (see fetch/manifest_store.go).
func hasManifest(path string) bool {
	_, err := unix.Lgetxattr(path, "user.initbox.manifest", nil)
	return err == nil
}

func sidecarProblems(names map[string]bool, name, state string, partial bool) []string {
	var problems []string
	if names["."+name+".initbox-partial.json"] && !partial {
		problems = append(problems, "a partial's sidecar without the partial")
	}
	if names["manifest"] != (state == "new") {
		problems = append(problems, "the manifest does not go with the "+state+" file")
	}
	if partial && state == "new" {
		problems = append(problems, "a partial download beside the complete file")
	}
	return problems
}

func whichContent(data, oldData, newData []byte) string {
	switch {
	case bytes.Equal(data, oldData):
		return "old"
	case bytes.Equal(data, newData):
		return "new"
	}
	return fmt.Sprintf("broken (%d bytes)", len(data))
}

// renderTree writes n templates, spread over a few directories, each of
// many lines that all use one value; it returns the outputs expected for
// value v.
func renderTree(t *testing.T, in string, n int) func(v string) map[string][]byte {
	t.Helper()
	const lines = 8
	files := map[string][]byte{}
	for i := range n {
		var b bytes.Buffer
		for k := range lines {
			fmt.Fprintf(&b, "key%d_%d = {{ .Env.INITBOX_SIGNAL_VALUE }}-{{ .cfg.zone }}-%d\n", i, k, k)
		}
		files[fmt.Sprintf("d%d/f%03d.conf.tmpl", i%8, i)] = b.Bytes()
	}
	writeTree(t, in, files)
	return func(v string) map[string][]byte {
		out := map[string][]byte{}
		for i := range n {
			var b bytes.Buffer
			for k := range lines {
				fmt.Fprintf(&b, "key%d_%d = %s-eu-%d\n", i, k, v, k)
			}
			out[fmt.Sprintf("d%d/f%03d.conf", i%8, i)] = b.Bytes()
		}
		return out
	}
}

// treeState says whether every output under out is old, or every one new.
// Each file must be whole; a mix of old and new files would be whole too,
// but SIGTERM must not leave one: render writes nothing until all outputs
// are rendered, and then renames them all without stopping.
func treeState(out string, oldTree, newTree map[string][]byte) (string, []string) {
	var problems []string
	count := map[string]int{}
	seen := 0
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		oldData, ok := oldTree[rel]
		if !ok {
			problems = append(problems, rel+" left behind")
			return nil
		}
		seen++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		state := whichContent(data, oldData, newTree[rel])
		if count[state]++; state != "old" && state != "new" {
			problems = append(problems, rel+" is "+state)
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	if seen != len(oldTree) {
		problems = append(problems, fmt.Sprintf("%d of %d outputs missing", len(oldTree)-seen, len(oldTree)))
	}
	switch len(oldTree) {
	case count["old"]:
		return "old", problems
	case count["new"]:
		return "new", problems
	}
	return fmt.Sprintf("mixed (%d old, %d new)", count["old"], count["new"]), append(problems, "a mix of old and new outputs")
}
