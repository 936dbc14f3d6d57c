//go:build !linux

package atomicfile

import "syscall"

// SyncFS makes everything written durable; without syncfs(2), by sync(2).
func SyncFS(dir string) error {
	syscall.Sync()
	return nil
}
