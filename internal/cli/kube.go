package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/checks"
)

// kubeFlags are the options of k8s:// targets.
func kubeFlags() []cli.Flag {
	cat := "Kubernetes targets (k8s://)"
	return []cli.Flag{
		&cli.StringFlag{Category: cat, Name: "kubeconfig", Usage: "kubeconfig file(s), ':'-separated (default: the pod's service account, else ~/.kube/config)", EnvVars: []string{"INITBOX_KUBECONFIG", "KUBECONFIG"}},
		&cli.StringFlag{Category: cat, Name: "kube-context", Usage: "kubeconfig context (default: its current-context)", EnvVars: []string{"INITBOX_KUBE_CONTEXT"}},
		&cli.StringFlag{Category: cat, Name: "kube-server", Usage: "API server URL, instead of the kubeconfig's or the pod's", EnvVars: []string{"INITBOX_KUBE_SERVER"}},
		&cli.StringFlag{Category: cat, Name: "kube-namespace", Usage: "namespace for targets that name none (default: the pod's, the context's, or default)", EnvVars: []string{"INITBOX_KUBE_NAMESPACE"}},
	}
}

// kubeOptions finds the credentials as kubectl does: an explicit
// kubeconfig first, then the pod's service account, then ~/.kube/config.
func kubeOptions(c *cli.Context) checks.KubeOptions {
	o := checks.KubeOptions{
		Context:   c.String("kube-context"),
		Server:    c.String("kube-server"),
		Namespace: c.String("kube-namespace"),
	}
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	switch {
	case c.String("kubeconfig") != "":
		o.Kubeconfig = filepath.SplitList(c.String("kubeconfig"))
	case host != "" && port != "":
		o.InClusterServer = "https://" + net.JoinHostPort(host, port)
		o.ServiceAccountDir = checks.DefaultServiceAccountDir
	default:
		if home, err := os.UserHomeDir(); err == nil {
			o.Kubeconfig = []string{filepath.Join(home, ".kube", "config")}
		}
	}
	return o
}

// kubeHints prints, once per refused resource, the Role and RoleBinding
// that would let the wait go on.
type kubeHints struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (h *kubeHints) print(e *env, err error) {
	var ae *checks.KubeAccessError
	if !errors.As(err, &ae) || ae.Hint() == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	key := ae.Namespace + "/" + ae.Resource + "." + ae.Group + "/" + ae.User
	if h.seen[key] {
		return
	}
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	h.seen[key] = true
	fmt.Fprintf(e.stderr, "# initbox: this grant lets %s wait (kubectl apply -f -):\n%s", ae.User, ae.Hint())
}
