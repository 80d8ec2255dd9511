package datalock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAcquire: one holder at a time, within a process (separate open file
// descriptions) and across processes; released, the lock can be taken
// again.
func TestAcquire(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.PID != os.Getpid() {
		t.Fatalf("second Acquire = %v; want a LockedError naming pid %d", err, os.Getpid())
	}
	if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, fmt.Sprint(os.Getpid())) {
		t.Errorf("message %q does not name the folder and the process", msg)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	defer again.Release()

	// Another process sees it held too (flock locks are per open file
	// description, so this also covers a second server in another process).
	if os.Getenv("DATALOCK_CHILD") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestChild$")
	cmd.Env = append(os.Environ(), "DATALOCK_CHILD="+dir)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "locked by") {
		t.Errorf("child process:\n%s", out)
	}
}

// TestChild is run by TestAcquire in another process.
func TestChild(t *testing.T) {
	dir := os.Getenv("DATALOCK_CHILD")
	if dir == "" {
		return // only meaningful as TestAcquire's child
	}
	_, err := Acquire(dir)
	var le *LockedError
	if errors.As(err, &le) {
		fmt.Printf("locked by %d\n", le.PID)
	} else {
		fmt.Printf("not locked: %v\n", err)
	}
}
