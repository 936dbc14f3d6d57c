package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// setup builds, on the host, initbox and the test programs, and from them
// the images: initbox from the Dockerfile's "prebuilt" target (the final
// image, with the host's binary), the tools, and the stand-in app with
// /initbox copied in by examples/compose/app.Dockerfile.
func setup(dir string) error {
	images.initbox = "initbox-e2e/initbox:" + runID
	images.tools = "initbox-e2e/tools:" + runID
	images.app = "initbox-e2e/app:" + runID
	ctxDir := func(name string) string { return filepath.Join(dir, name) }
	binary = filepath.Join(ctxDir("initbox"), "initbox")

	steps := [][]string{
		{"scripts/build.sh", binary, imageVersion()},
		{"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", ctxDir("tools") + "/",
			"./e2e/cmd/lateserver", "./e2e/cmd/fileserver", "./e2e/cmd/nxdns"},
		{"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", ctxDir("app") + "/", "./e2e/cmd/app"},
	}
	for _, s := range steps {
		if err := command(s...); err != nil {
			return err
		}
	}
	err := os.WriteFile(filepath.Join(ctxDir("tools"), "Dockerfile"),
		[]byte("FROM scratch\nCOPY lateserver fileserver nxdns /\n"), 0o644)
	if err != nil {
		return err
	}
	builds := [][]string{
		{"docker", "build", "-q", "--target", "prebuilt", "--build-arg", "VERSION=" + imageVersion(),
			"-f", filepath.Join(root, "Dockerfile"), "-t", images.initbox, ctxDir("initbox")},
		{"docker", "build", "-q", "-t", images.tools, ctxDir("tools")},
		{"docker", "build", "-q", "--build-arg", "INITBOX_IMAGE=" + images.initbox,
			"-f", filepath.Join(root, "examples/compose/app.Dockerfile"), "-t", images.app, ctxDir("app")},
	}
	for _, b := range builds {
		if err := command(b...); err != nil {
			return err
		}
	}
	return nil
}

func imageVersion() string { return "e2e-" + runID }

// command runs a build step in the repository, with CGO off so that the
// binaries run in scratch images.
func command(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func removeImages() {
	for _, img := range []string{images.app, images.tools, images.initbox} {
		if img != "" {
			exec.Command("docker", "rmi", "-f", img).Run()
		}
	}
}
