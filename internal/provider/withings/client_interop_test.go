package withings

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestEmulatorBodiesDecode feeds every body the client fetches from the
// emulator to Decode, so that the emulator, the client and the decoders
// agree on the wire shapes.
func TestEmulatorBodiesDecode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	tok := e.token()
	from, to := testNow.AddDate(0, 0, -3), testNow
	days := DayQuery{From: from, To: to}
	one := func(b json.RawMessage, err error) ([]json.RawMessage, error) { return []json.RawMessage{b}, err }
	fetches := []struct {
		source string
		fetch  func() ([]json.RawMessage, error)
	}{
		{SourceGetmeas, func() ([]json.RawMessage, error) {
			return e.client.GetMeas(ctx, tok, MeasureQuery{Start: from, End: to})
		}},
		{SourceGetactivity, func() ([]json.RawMessage, error) { return e.client.GetActivity(ctx, tok, days) }},
		{SourceGetintradayactivity, func() ([]json.RawMessage, error) {
			return e.client.GetIntradayActivity(ctx, tok, from, from.Add(30*time.Hour), nil)
		}},
		{SourceGetintradayactivity, func() ([]json.RawMessage, error) { // empty: series is []
			return e.client.GetIntradayActivity(ctx, tok, testNow.AddDate(-5, 0, 0), testNow.AddDate(-5, 0, 0), nil)
		}},
		{SourceSleepGet, func() ([]json.RawMessage, error) {
			return e.client.GetSleep(ctx, tok, from, to, []string{"hr", "rr", "snoring"})
		}},
		{SourceSleepGetsummary, func() ([]json.RawMessage, error) { return e.client.GetSleepSummary(ctx, tok, days) }},
		{SourceHeartList, func() ([]json.RawMessage, error) { return e.client.ListHeart(ctx, tok, from, to) }},
		{SourceGetdevice, func() ([]json.RawMessage, error) { return one(e.client.GetDevices(ctx, tok)) }},
	}
	for _, f := range fetches {
		bodies, err := f.fetch()
		if err != nil {
			t.Fatalf("%s: %v", f.source, err)
		}
		n := 0
		for _, b := range bodies {
			batch, err := Decode(f.source, b)
			if err != nil {
				t.Errorf("Decode(%s) of an emulator body: %v", f.source, err)
			}
			n += len(batch.Measurements) + len(batch.Devices)
		}
		t.Logf("%s: %d bodies, %d measurements and devices", f.source, len(bodies), n)
	}
}
