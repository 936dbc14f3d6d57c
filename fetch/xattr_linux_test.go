package fetch

import "golang.org/x/sys/unix"

func removeXattr(path, name string) error { return unix.Lremovexattr(path, name) }
