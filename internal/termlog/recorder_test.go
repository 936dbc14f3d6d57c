package termlog

import (
	"bytes"
	"log/slog"
	"reflect"
	"testing"
)

func TestRecorder(t *testing.T) {
	var out bytes.Buffer
	r := NewRecorder(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError}))
	log := slog.New(r)
	log.Info("ready", "target", "tcp://db:5432", "attempts", 3)
	log.With("step", "wait").Error("not ready", "last_error", `dial tcp: connect: "refused"`)
	r.Add(slog.LevelError, "initbox: it failed")
	want := []Line{
		{slog.LevelInfo, "ready target=tcp://db:5432 attempts=3"},
		{slog.LevelError, `not ready step=wait last_error="dial tcp: connect: \"refused\""`},
		{slog.LevelError, "initbox: it failed"},
	}
	if got := r.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	if bytes.Contains(out.Bytes(), []byte("level=INFO")) || !bytes.Contains(out.Bytes(), []byte("level=ERROR")) {
		t.Errorf("the quiet handler got %q, want the error only", out.String())
	}
}
