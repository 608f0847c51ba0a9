package withings

import (
	"context"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// TestFetcherEveryGroup fetches each data group of a generated day from the
// emulator over HTTP and checks what each produces.
func TestFetcherEveryGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	access, _ := e.emu.IssueToken(testUser)
	f := &Fetcher{Priority: e.client, Tokens: func(int64) TokenSource { return StaticToken(access) }}
	ctx := context.Background()
	day := testNow.Truncate(24*time.Hour).AddDate(0, 0, -3)
	kinds := func(bs []health.Batch) map[health.Kind]int {
		out := map[health.Kind]int{}
		for _, b := range bs {
			for _, m := range b.Measurements {
				out[m.Kind]++
			}
		}
		return out
	}
	cases := []struct {
		group string
		want  []health.Kind
	}{
		{GroupMeasures, []health.Kind{health.KindBodyWeight, health.KindBloodPressure}},
		{GroupActivity, []health.Kind{health.KindSteps}},
		{GroupSleep, []health.Kind{health.KindSleep}},
	}
	for _, tc := range cases {
		bs, _, err := f.Fetch(ctx, 1, tc.group, day, day.Add(24*time.Hour-time.Second), "", false)
		if err != nil {
			t.Fatalf("%s: %v", tc.group, err)
		}
		got := kinds(bs)
		for _, k := range tc.want {
			if got[k] == 0 {
				t.Errorf("%s: no %s in %v", tc.group, k, got)
			}
		}
	}
	devs, _, err := f.Fetch(ctx, 1, GroupDevices, time.Time{}, time.Time{}, "", false)
	if err != nil || len(devs) != 1 || len(devs[0].Devices) == 0 {
		t.Fatalf("devices: %v %v", devs, err)
	}
	if _, _, err := f.Fetch(ctx, 1, "workouts", day, day, "", false); health.KindOf(err) != health.KindInvalid {
		t.Errorf("unknown group: %v", err)
	}
}

// TestFetcherMeasuresCursorAndECG checks the incremental cursor and that an
// ECG arrives with its whole waveform.
func TestFetcherMeasuresCursorAndECG(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	access, _ := e.emu.IssueToken(testUser)
	f := &Fetcher{Priority: e.client, Tokens: func(int64) TokenSource { return StaticToken(access) }}
	ctx := context.Background()
	_, cursor, err := f.Fetch(ctx, 1, GroupMeasures, testNow.Add(-48*time.Hour), testNow, "", false)
	if err != nil || cursor == "" {
		t.Fatalf("cursor %q, %v", cursor, err)
	}
	e.clock.Advance(time.Minute)
	at := e.clock.Now()
	if err := e.emu.GenerateNew(ctx, testUser, int(AppliECG), at); err != nil {
		t.Fatal(err)
	}
	bs, _, err := f.Fetch(ctx, 1, GroupECG, at.Add(-time.Hour), at.Add(time.Hour), "", false)
	if err != nil {
		t.Fatal(err)
	}
	var ecgs int
	for _, b := range bs {
		for _, m := range b.Measurements {
			if m.Kind == health.KindECG && m.ECG != nil && len(m.ECG.Samples) > 0 {
				ecgs++
				if rate := m.ECG.SamplingRate; rate <= 0 || float64(len(m.ECG.Samples))/rate < 19 {
					t.Errorf("ECG of %d samples at %v Hz: not the whole waveform", len(m.ECG.Samples), rate)
				}
			}
		}
	}
	if ecgs == 0 {
		t.Fatal("no ECG with a waveform")
	}
	bs, next, err := f.Fetch(ctx, 1, GroupMeasures, time.Time{}, time.Time{}, cursor, false)
	if err != nil || next == "" {
		t.Fatalf("incremental: %v %q", err, next)
	}
	if len(bs) == 0 {
		t.Error("incremental fetch returned no pages")
	}
}
