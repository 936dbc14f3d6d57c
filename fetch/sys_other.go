//go:build !unix

package fetch

import "os"

func tryLock(*os.File) bool { return true }

func inode(os.FileInfo) uint64 { return 0 }
