//go:build !linux

package checks

import (
	"context"
	"time"
)

type pauser struct{}

func newPauser() *pauser { return nil }

func (p *pauser) pause(ctx context.Context, d time.Duration) bool { return timerPause(ctx, d) }

func (p *pauser) close() {}
