package fitbit

import (
	"context"
	"slices"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// The data groups ohx fetches from the Google Health API. A group is
// fetched as a whole: one sync job per link, group and window. The strings
// are stable: they appear in job args and sync state.
const (
	GroupHeart    = "heart"    // heart rate, resting heart rate, HRV
	GroupActivity = "activity" // steps, distance, altitude, active energy
	GroupBody     = "body"     // weight, body fat, height
	GroupVitals   = "vitals"   // SpO2, respiratory rate, temperatures
	GroupSleep    = "sleep"    // sleep sessions
	GroupECG      = "ecg"      // ECG readings
	GroupFitness  = "fitness"  // VO2 max
	GroupDevices  = "devices"  // paired devices
)

// groupTypes lists the data types each group lists. Left out: total-calories
// has no list, only roll-ups (active energy covers the part a clinician
// reads), and Google rejects list for floors (reference §3.3).
func groupTypes() map[string][]string {
	return map[string][]string{
		GroupHeart:    {"heart-rate", "daily-resting-heart-rate", "heart-rate-variability", "daily-heart-rate-variability"},
		GroupActivity: {"steps", "distance", "altitude", "active-energy-burned"},
		GroupBody:     {"weight", "body-fat", "height"},
		GroupVitals: {"oxygen-saturation", "daily-oxygen-saturation", "daily-respiratory-rate", "respiratory-rate-sleep-summary",
			"daily-sleep-temperature-derivations", "core-body-temperature"},
		GroupSleep:   {sourceSleep},
		GroupECG:     {sourceECG},
		GroupFitness: {"vo2-max", "daily-vo2-max", "run-vo2-max"},
	}
}

// Groups lists every data group.
func Groups() []string {
	return []string{GroupHeart, GroupActivity, GroupBody, GroupVitals, GroupSleep, GroupECG, GroupFitness, GroupDevices}
}

// GroupOf returns the group that fetches dataType, or "" for a type ohx
// does not read (a webhook may announce one).
func GroupOf(dataType string) string {
	for g, types := range groupTypes() {
		if slices.Contains(types, dataType) {
			return g
		}
	}
	return ""
}

// Fetcher fetches one data group of one linked user and decodes it. It
// holds two clients over the same quota: Priority for webhook-driven work
// and Bulk for backfill.
type Fetcher struct {
	Priority, Bulk *Client
	// Tokens returns the token source of a link.
	Tokens func(linkID int64) TokenSource
	// Now is the clock for incremental windows; default time.Now.
	Now func() time.Time
}

// Groups lists the data groups this fetcher serves.
func (f *Fetcher) Groups() []string { return Groups() }

// cursorOverlap is how far before the last synced instant an incremental
// sync starts again: points reach the API only after the device syncs
// (about every 15 minutes), with their own earlier timestamps.
const cursorOverlap = 6 * time.Hour

// Fetch lists group's data types over [start, end) and decodes every page.
// With no window, it starts from the cursor (the end of the last window
// published) less an overlap, up to now. It returns the new cursor: the end
// of the window fetched.
func (f *Fetcher) Fetch(ctx context.Context, linkID int64, group string, start, end time.Time, cursor string, bulk bool) ([]health.Batch, string, error) {
	c := f.Priority
	if bulk && f.Bulk != nil {
		c = f.Bulk
	}
	ts := f.Tokens(linkID)
	if group == GroupDevices {
		body, err := c.PairedDevices(ctx, ts)
		if err != nil {
			return nil, "", err
		}
		b, err := Decode(SourcePairedDevices, body)
		return []health.Batch{b}, "", err
	}
	types, ok := groupTypes()[group]
	if !ok {
		return nil, "", health.Errorf(health.KindInvalid, "fitbit: unknown data group %q", group)
	}
	if start.IsZero() {
		now := time.Now
		if f.Now != nil {
			now = f.Now
		}
		end = now().UTC()
		start = end.Add(-7 * 24 * time.Hour)
		if t, err := time.Parse(time.RFC3339, cursor); err == nil && t.Before(end) {
			start = t.Add(-cursorOverlap)
		}
	}
	var out []health.Batch
	for _, typ := range types {
		pages, err := c.ListAll(ctx, ts, typ, WindowFilter(typ, start, end))
		if err != nil {
			return nil, "", err
		}
		for _, page := range pages {
			b, err := Decode(typ, page)
			if err != nil {
				return nil, "", err
			}
			if typ == sourceECG { // its filter has no upper bound
				b.Measurements = slices.DeleteFunc(b.Measurements, func(m health.Measurement) bool { return !m.Start.Before(end) })
			}
			out = append(out, b)
		}
	}
	return out, end.UTC().Format(time.RFC3339), nil
}
