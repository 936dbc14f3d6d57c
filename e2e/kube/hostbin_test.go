package kube

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// copyHostBinaries copies the host's programs names, with the shared
// libraries ldd lists for them, into root at the same paths, for an image
// that runs them as they are (scripts/kube/deps.sh installs them).
func copyHostBinaries(root string, names ...string) error {
	for _, name := range names {
		bin, err := exec.LookPath(name)
		if err != nil {
			return fmt.Errorf("%s is not installed (scripts/kube/deps.sh installs it): %w", name, err)
		}
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			return fmt.Errorf("ldd %s: %w", bin, err)
		}
		files := []string{bin}
		for _, line := range strings.Split(string(out), "\n") {
			// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
			// "/lib64/ld-linux-x86-64.so.2 (0x...)"
			f := strings.Fields(line)
			switch {
			case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
				files = append(files, f[2])
			case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
				files = append(files, f[0])
			}
		}
		for _, f := range files {
			if err := copyFile(f, filepath.Join(root, f)); err != nil {
				return err
			}
		}
		// The image's PATH is /bin:/usr/bin.
		if filepath.Dir(bin) != "/bin" && filepath.Dir(bin) != "/usr/bin" {
			if err := copyFile(bin, filepath.Join(root, "bin", name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyFile copies the content of src (following symlinks) to dst.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}
