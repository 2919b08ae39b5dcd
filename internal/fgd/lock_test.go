package fgd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHelperHoldLock is not a test: run as a child process (FGD_HOLD_LOCK
// set), it takes the lock, says "locked" and holds it until stdin closes.
func TestHelperHoldLock(t *testing.T) {
	root := os.Getenv("FGD_HOLD_LOCK")
	if root == "" {
		t.Skip("helper process for TestLockHeldByChildProcess")
	}
	l, err := Acquire(context.Background(), root, 10*time.Second)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	l.Release()
	os.Exit(0)
}

func TestLockHeldByChildProcess(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "FGD_HOLD_LOCK="+root)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("child said %q, %v", line, err)
	}
	_, err = Acquire(context.Background(), root, 150*time.Millisecond)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Acquire while a child holds the lock: %v", err)
	}
	wantPID := fmt.Sprintf("(pid %d)", cmd.Process.Pid)
	if le.PID != cmd.Process.Pid || !strings.Contains(err.Error(), wantPID) || !strings.Contains(err.Error(), "--lock-timeout") {
		t.Fatalf("error %q does not name pid %d and the fix", err, cmd.Process.Pid)
	}
	// A dry run's shared lock waits too.
	if _, err := AcquireShared(context.Background(), root, 50*time.Millisecond); !errors.As(err, &le) {
		t.Fatalf("AcquireShared while held: %v", err)
	}
	// Released when the child goes away (here: it exits; a SIGKILL is the same for the kernel).
	stdin.Close()
	cmd.Wait()
	l, err := Acquire(context.Background(), root, 5*time.Second)
	if err != nil {
		t.Fatalf("Acquire after the child exited: %v", err)
	}
	if HolderPID(root) != os.Getpid() {
		t.Fatalf("lock file names pid %d, want %d", HolderPID(root), os.Getpid())
	}
	l.Release()
}

func TestLockAcrossGoroutines(t *testing.T) {
	root := t.TempDir()
	var inside, maxInside, waited atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := Acquire(context.Background(), root, 20*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			if l.Waited > 0 {
				waited.Add(1)
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			timer := time.NewTimer(30 * time.Millisecond)
			<-timer.C
			inside.Add(-1)
			l.Release()
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d goroutines held the lock at once", maxInside.Load())
	}
	if waited.Load() == 0 {
		t.Fatal("no goroutine reported waiting")
	}
}

func TestLockContextAndSharedWithoutFile(t *testing.T) {
	root := t.TempDir()
	l, err := AcquireShared(context.Background(), root, time.Second)
	if err != nil || l != nil {
		t.Fatalf("AcquireShared without a lock file: %v %v", l, err)
	}
	if _, err := os.Stat(root + "/.hnp"); err == nil {
		t.Fatal("AcquireShared created .hnp")
	}
	held, err := Acquire(context.Background(), root, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Acquire(ctx, root, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a cancelled ctx: %v", err)
	}
	// A file standing where .hnp must be is moved to unmanaged/, as Ensure
	// moves anything standing where a layout folder must be.
	mustWrite(t, root+"/x/.hnp", "a file")
	other, err := Acquire(context.Background(), root+"/x", time.Second)
	if err != nil {
		t.Fatalf("Acquire with .hnp a file: %v", err)
	}
	defer other.Release()
	if b, err := os.ReadFile(root + "/x/unmanaged/" + SourceName(HNPDir)); err != nil || string(b) != "a file" {
		t.Fatalf("the file .hnp was not moved to unmanaged/: %q %v", b, err)
	}
}
