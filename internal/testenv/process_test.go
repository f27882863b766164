package testenv

import (
	"testing"
	"time"
)

// ESO's fake provider crashes under load; like the kubelet, the test environment starts it again, counts it, and
// once stopped starts nothing any more.
func TestACrashedComponentIsStartedAgainUntilStopped(t *testing.T) {
	e := &Env{}
	if err := e.startProcess("crasher", "/bin/sh", nil, true, "-c", "sleep 1.2; exit 3"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for e.Restarts()["crasher"] < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("restarts = %d after 20 s, want 2", e.Restarts()["crasher"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := e.Exited(); err != nil {
		t.Fatalf("Exited() = %v for a component that is restarted", err)
	}
	e.stopProcesses()
	e.stopProcesses() // a second stop does nothing more
	n := e.Restarts()["crasher"]
	time.Sleep(3 * time.Second)
	if got := e.Restarts()["crasher"]; got != n {
		t.Fatalf("started again after Stop: restarts %d → %d", n, got)
	}
}

// A component that is not restarted is reported by Exited once it is down.
func TestAComponentThatExitsIsReported(t *testing.T) {
	e := &Env{}
	if err := e.startProcess("one-shot", "/bin/sh", nil, false, "-c", "sleep 1.2; exit 3"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Exited() == nil {
		if time.Now().After(deadline) {
			t.Fatal("Exited() still nil 10 s after the component exited")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := e.Exited(); err == nil || e.Restarts()["one-shot"] != 0 {
		t.Fatalf("Exited() = %v, restarts %d", err, e.Restarts()["one-shot"])
	}
	e.stopProcesses()
}
