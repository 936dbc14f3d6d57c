// Package sleep waits without outliving a context: the pause between
// attempts of checks and fetch.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx ends, and returns ctx's error in that case.
// A d of zero or less waits for nothing.
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
