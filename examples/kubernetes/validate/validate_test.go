// Package validate checks the Kubernetes manifests in examples/kubernetes
// by decoding them strictly into the k8s.io/api types: an unknown or
// duplicated field, a wrong type or an unknown kind fails, as it would in
// "kubectl apply --validate=strict". It is its own module so that the
// Kubernetes libraries stay out of initbox's go.mod.
package validate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// image is the initbox image every example uses.
const image = "ghcr.io/initbox/initbox:v0.1.0"

// commands are initbox's subcommands in the command-line contract.
var commands = []string{"wait", "check", "fetch", "render", "run", "serve", "version"}

func TestManifests(t *testing.T) {
	files, err := filepath.Glob("../*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests found in examples/kubernetes: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			objs := decodeFile(t, file)
			pods := 0
			for _, obj := range objs {
				if spec := podSpec(obj); spec != nil {
					pods++
					checkPod(t, spec)
				}
			}
			if pods == 0 {
				t.Error("no pod template in the file")
			}
			checkRBAC(t, objs)
		})
	}
}

// TestStrict proves that decoding is strict: each of these mistakes must
// fail.
func TestStrict(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt field":  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainer: []\n",
		"duplicate field": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: []\n  containers: []\n",
		"wrong type":      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  activeDeadlineSeconds: soon\n",
		"unknown kind":    "apiVersion: v1\nkind: Podd\nmetadata: {name: p}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decode([]byte(doc)); err == nil {
				t.Errorf("decoded without error:\n%s", doc)
			}
		})
	}
}

var decoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
}()

// decode reads every document of a multi-document YAML file into its
// typed object. Strict-mode findings come back as errors too.
// decodeFile reads and decodes the manifests in file.
func decodeFile(t *testing.T, file string) []runtime.Object {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func decode(b []byte) ([]runtime.Object, error) {
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
}

func podSpec(obj runtime.Object) *corev1.PodSpec {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.Spec
	case *appsv1.Deployment:
		return &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.Spec
	}
	return nil
}

// checkPod holds a pod to what the examples are for: initbox in the init
// containers, its image's entrypoint with one of its commands, no busybox
// left, and mounts that name declared volumes (the API server would
// reject the pod otherwise).
func checkPod(t *testing.T, spec *corev1.PodSpec) {
	t.Helper()
	if len(spec.InitContainers) == 0 {
		t.Error("no init containers")
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		if strings.Contains(c.Image, "busybox") {
			t.Errorf("container %s still uses %s", c.Name, c.Image)
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				t.Errorf("container %s mounts undeclared volume %q", c.Name, m.Name)
			}
		}
	}
	for _, c := range spec.InitContainers {
		if c.Image != image {
			t.Errorf("init container %s: image %q, want %q", c.Name, c.Image, image)
			continue
		}
		// A pinned tag and IfNotPresent: a locally loaded image (kind,
		// minikube) is used as it is; ":latest" would make the kubelet pull.
		if c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("init container %s: imagePullPolicy %q, want IfNotPresent", c.Name, c.ImagePullPolicy)
		}
		if len(c.Command) != 0 {
			t.Errorf("init container %s sets command %q: the image's entrypoint is /initbox, give args", c.Name, c.Command)
		}
		if len(c.Args) == 0 || !slices.Contains(commands, c.Args[0]) {
			t.Errorf("init container %s: args %q, want one of %q first", c.Name, c.Args, commands)
		}
		// serve runs for the pod's life: only as a native sidecar, whose
		// startup probe holds back what follows until it is ready.
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if len(c.Args) > 0 && c.Args[0] == "serve" && (!sidecar || c.StartupProbe == nil || c.ReadinessProbe == nil) {
			t.Errorf("init container %s runs serve: want restartPolicy Always, a startupProbe and a readinessProbe", c.Name)
		}
	}
}
