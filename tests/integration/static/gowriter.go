// SPDX-License-Identifier: MIT
// A Go writer for run-seccomp-apps.sh: Go makes raw system calls, which no
// preload sees. Usage: gowriter OP PATH [FROM]; prints "ok" or the error.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// For the *at calls with an empty path and AT_EMPTY_PATH, which act on
// the fd itself (issue 20). Go's syscall package (1.19, Debian's) has
// neither the flags nor the newer calls: the numbers are the kernel's, the
// same on every architecture Go runs Linux on.
const (
	atEmptyPath      = 0x1000
	oPath            = 0x200000
	sysFchmodat2     = 452
	sysSetxattrat    = 463
	sysRemovexattrat = 466
)

// The value of setxattrat's struct xattr_args, which holds its address as
// a number: out of any stack, where it could move.
var xattrValue = [1]byte{'v'}

// emptyAt opens P with FLAGS and gives the fd and the C string "" to CALL,
// which makes the raw call (each pointer converted in the call expression
// itself, so that it stays put while the kernel reads it).
func emptyAt(p string, flags int, call func(fd uintptr, empty *byte) syscall.Errno) error {
	fd, err := syscall.Open(p, flags, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if e := call(uintptr(fd), &[]byte{0}[0]); e != 0 {
		return e
	}
	return nil
}

// otherFd starts "gowriter hold P" and appends through its fd's magic link.
func otherFd(p string) error {
	cmd := exec.Command(os.Args[0], "hold", p)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err = cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	defer in.Close()
	var pid, fd int
	if _, err = fmt.Fscan(out, &pid, &fd); err != nil {
		return err
	}
	w, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/%d", pid, fd), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = w.WriteString("appended\n")
	w.Close()
	return err
}

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
	case "hold":
		// For otherfd: hold P open read-only, say where, and wait until
		// stdin is closed.
		var f *os.File
		f, err = os.Open(p)
		if err == nil {
			fmt.Printf("%d %d\n", os.Getpid(), f.Fd())
			_, _ = io.Copy(io.Discard, os.Stdin)
			f.Close()
			os.Exit(0)
		}
	case "otherfd":
		// Through the magic link of another process's read-only fd
		// (/proc/PID/fd/N): after the break it must lead to the copy.
		err = otherFd(p)
	case "utimensat-empty":
		ts := [2]syscall.Timespec{{Sec: 1000000000}, {Sec: 1000000000}}
		err = emptyAt(p, syscall.O_RDONLY, func(fd uintptr, empty *byte) syscall.Errno {
			_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, fd, uintptr(unsafe.Pointer(empty)),
				uintptr(unsafe.Pointer(&ts[0])), atEmptyPath, 0, 0)
			return e
		})
	case "fchmodat2-empty": // through an O_PATH fd
		err = emptyAt(p, oPath, func(fd uintptr, empty *byte) syscall.Errno {
			_, _, e := syscall.Syscall6(sysFchmodat2, fd, uintptr(unsafe.Pointer(empty)), 0600, atEmptyPath, 0, 0)
			return e
		})
	case "setxattrat-empty":
		name := []byte("user.new\x00")
		xa := struct {
			value       uint64
			size, flags uint32
		}{uint64(uintptr(unsafe.Pointer(&xattrValue[0]))), 1, 0}
		err = emptyAt(p, syscall.O_RDONLY, func(fd uintptr, empty *byte) syscall.Errno {
			_, _, e := syscall.Syscall6(sysSetxattrat, fd, uintptr(unsafe.Pointer(empty)), atEmptyPath,
				uintptr(unsafe.Pointer(&name[0])), uintptr(unsafe.Pointer(&xa)), unsafe.Sizeof(xa))
			return e
		})
	case "removexattrat-empty":
		name := []byte("user.keep\x00")
		err = emptyAt(p, syscall.O_RDONLY, func(fd uintptr, empty *byte) syscall.Errno {
			_, _, e := syscall.Syscall6(sysRemovexattrat, fd, uintptr(unsafe.Pointer(empty)), atEmptyPath,
				uintptr(unsafe.Pointer(&name[0])), 0, 0)
			return e
		})
	default:
		err = fmt.Errorf("unknown op %s", op)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
