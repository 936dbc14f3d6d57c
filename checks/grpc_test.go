package checks

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/grpchealth"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// grpcServer serves the health service over HTTP/2 on loopback: without
// TLS (prior knowledge) or with TLS. It returns the address.
func grpcServer(t *testing.T, h http.Handler, secure bool) (string, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = grpchealth.Protocols()
	if secure {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	ca := ""
	if secure {
		ca = writePEM(t, filepath.Join(t.TempDir(), "ca.pem"), "CERTIFICATE", srv.Certificate().Raw)
	}
	return srv.Listener.Addr().String(), ca
}

// healthServer serves, without TLS, a health service that knows app.Ready
// (SERVING), notServing (NOT_SERVING) and app.Odd (UNKNOWN).
func healthServer(t *testing.T, notServing string) (string, *grpchealth.Server) {
	t.Helper()
	health := grpchealth.New()
	health.SetStatus("app.Ready", grpchealth.Serving)
	health.SetStatus(notServing, grpchealth.NotServing)
	health.SetStatus("app.Odd", grpchealth.Unknown)
	addr, _ := grpcServer(t, health, false)
	return addr, health
}

func TestGRPCHealth(t *testing.T) {
	addr, health := healthServer(t, "app.Warming")
	other, _ := grpcServer(t, http.NotFoundHandler(), false)
	tests := []struct {
		name, url string
		want      string
	}{
		{"whole server", "grpc://" + addr, ""},
		{"serving service", "grpc://" + addr + "/app.Ready", ""},
		{"not serving", "grpc://" + addr + "/app.Warming", `grpc: service "app.Warming" is NOT_SERVING`},
		{"unknown status", "grpc://" + addr + "/app.Odd", `grpc: service "app.Odd" is UNKNOWN`},
		{"unknown service", "grpc://" + addr + "/app.Nope", "grpc: the health service does not know this service (NOT_FOUND): unknown service"},
		{"not a gRPC server", "grpc://" + other, "grpc: HTTP status 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerdict(t, mustParse(t, tt.url, Options{}).Check(t.Context()), tt.want)
		})
	}
	if got := health.Calls(); got != 5 {
		t.Errorf("the server answered %d Check calls, want 5", got)
	}
}

func TestGRPCUnimplemented(t *testing.T) {
	// A gRPC server without the health service answers UNIMPLEMENTED.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/other.Service/Method"
		grpchealth.New().ServeHTTP(w, r)
	})
	addr, _ := grpcServer(t, h, false)
	checkVerdict(t, mustParse(t, "grpc://"+addr, Options{}).Check(t.Context()), "does not implement grpc.health.v1.Health (UNIMPLEMENTED)")
}

func TestGRPCStartsLate(t *testing.T) {
	late := testnet.NewLate(t)
	c := mustParse(t, "grpc://"+late.Addr, Options{})
	checkVerdict(t, c.Check(t.Context()), "connection refused")
	srv := &http.Server{Handler: grpchealth.New(), Protocols: grpchealth.Protocols()}
	go srv.Serve(late.Listen(t, 128))
	t.Cleanup(func() { srv.Close() })
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("after listen: %v", err)
	}
}

func TestGRPCS(t *testing.T) {
	addr, ca := grpcServer(t, grpchealth.New(), true)
	ok := mustParse(t, "grpcs://"+addr, Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: ca}}})
	if err := ok.Check(t.Context()); err != nil {
		t.Fatalf("grpcs with the CA: %v", err)
	}
	checkVerdict(t, mustParse(t, "grpcs://"+addr, Options{}).Check(t.Context()), "certificate")
	// Plain HTTP/2 to a TLS port fails; it must not hang or read as ready.
	if err := mustParse(t, "grpc://"+addr, Options{}).Check(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "grpc: ") {
		t.Fatalf("grpc:// to a TLS port: got %v, want a grpc: error", err)
	}
}
