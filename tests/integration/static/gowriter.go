// SPDX-License-Identifier: MIT
// A Go writer for run-seccomp-apps.sh: Go makes raw system calls, which no
// preload sees. Usage: gowriter OP PATH [FROM]; prints "ok" or the error.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	op, p := os.Args[1], os.Args[2]
	var err error
	switch op {
	case "append":
		var f *os.File
		f, err = os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("appended\n")
			f.Close()
		}
	case "writefile":
		err = os.WriteFile(p, []byte("written\n"), 0644)
	case "truncate":
		err = os.Truncate(p, 2)
	case "chmod":
		err = os.Chmod(p, 0600)
	case "chtimes":
		t := time.Unix(1000000000, 0)
		err = os.Chtimes(p, t, t)
	case "fchown-fchmod":
		// Two changes through one fd (issue 20): the second, and Stat,
		// reach the name's own copy.
		var f *os.File
		var st, byName os.FileInfo
		f, err = os.Open(p)
		if err == nil {
			defer f.Close()
			err = f.Chown(os.Getuid(), os.Getgid())
		}
		if err == nil {
			err = f.Chmod(0600)
		}
		if err == nil {
			st, err = f.Stat()
		}
		if err == nil {
			byName, err = os.Stat(p)
		}
		if err == nil && (st.Mode().Perm() != 0600 || !os.SameFile(st, byName)) {
			err = fmt.Errorf("the fd is not the name's file: %v", st.Mode())
		}
	case "renamefrom":
		// rename(2) of another name over this one: between two names of
		// one set, the source goes, as for two copies.
		err = os.Rename(os.Args[3], p)
	case "fdlink":
		// Through the magic link of a read-only fd.
		var f, w *os.File
		f, err = os.Open(p)
		if err == nil {
			defer f.Close()
			w, err = os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_APPEND|os.O_WRONLY, 0)
		}
		if err == nil {
			_, err = w.WriteString("appended\n")
			w.Close()
		}
	default:
		err = fmt.Errorf("unknown op %s", op)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
