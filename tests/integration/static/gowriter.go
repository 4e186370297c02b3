// SPDX-License-Identifier: MIT
// A Go writer for run-seccomp-apps.sh: Go makes raw system calls, which no
// preload sees. Usage: gowriter OP PATH; prints "ok" or the error.
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
	default:
		err = fmt.Errorf("unknown op %s", op)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
