package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `ohx demo` for real: emulator, ohx, a patient linked
// through the API, the backfill and new measurements reaching the FHIR
// files, then a clean stop.
func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"ohx", "demo", "--addr", freeAddr(t), "--emulator-addr", freeAddr(t), "--dir", dir,
			"--every", "300ms", "--days", "1"}, envOf(map[string]string{}), strings.NewReader(""), &out, &out)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	observations := func() int {
		entries, _ := os.ReadDir(filepath.Join(dir, "fhir", "Observation"))
		return len(entries)
	}
	var first int
	for {
		select {
		case code := <-done:
			t.Fatalf("demo exited %d:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo made no progress:\n%s", out.String())
		}
		if strings.Contains(out.String(), "linked demo-patient") && strings.Count(out.String(), "webhook sent") >= 3 {
			if n := observations(); n > 0 && first == 0 {
				first = n
			} else if first > 0 && n > first {
				break // the backfill landed, and new measurements after it
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "Authorization: Bearer ohx_") {
		t.Errorf("demo did not show how to call the API:\n%s", out.String())
	}
}
