package fitbit

import (
	"testing"
	"time"
)

func TestWindowFilterMatchesReference(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		dataType   string
		start, end time.Time
		want       string
	}{
		// §3.5, exact strings from the discovery document.
		{"steps", day(2023, 11, 24), day(2023, 11, 25),
			`steps.interval.start_time >= "2023-11-24T00:00:00Z" AND steps.interval.start_time < "2023-11-25T00:00:00Z"`},
		{"sleep", day(2023, 11, 24), day(2023, 11, 25),
			`sleep.interval.end_time >= "2023-11-24T00:00:00Z" AND sleep.interval.end_time < "2023-11-25T00:00:00Z"`},
		// §8.1, §8.3, §8.4, §8.5 requests.
		{"heart-rate", time.Date(2026, 9, 25, 10, 0, 0, 0, time.UTC), time.Date(2026, 9, 25, 10, 5, 0, 0, time.UTC),
			`heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" AND heart_rate.sample_time.physical_time < "2026-09-25T10:05:00Z"`},
		{"weight", day(2026, 9, 1), day(2026, 9, 28),
			`weight.sample_time.physical_time >= "2026-09-01T00:00:00Z" AND weight.sample_time.physical_time < "2026-09-28T00:00:00Z"`},
		{"daily-oxygen-saturation", day(2026, 9, 20), day(2026, 9, 27),
			`daily_oxygen_saturation.date >= "2026-09-20" AND daily_oxygen_saturation.date < "2026-09-27"`},
		{"daily-heart-rate-variability", day(2026, 9, 20), day(2026, 9, 27),
			`daily_heart_rate_variability.date >= "2026-09-20" AND daily_heart_rate_variability.date < "2026-09-27"`},
		// §8.7: ECG takes a lower bound only.
		{"electrocardiogram", day(2026, 3, 1), day(2026, 4, 1), `electrocardiogram.interval.start_time >= "2026-03-01T00:00:00Z"`},
		// Physical bounds go out in UTC, whole seconds, never shrinking.
		{"oxygen-saturation", time.Date(2026, 9, 26, 5, 0, 0, 500, tokyo), time.Date(2026, 9, 26, 15, 0, 0, 1, tokyo),
			`oxygen_saturation.sample_time.physical_time >= "2026-09-25T20:00:00Z" AND oxygen_saturation.sample_time.physical_time < "2026-09-26T06:00:01Z"`},
		// Daily bounds are civil dates in the times' zone, covering every
		// day the window touches.
		{"daily-resting-heart-rate", time.Date(2026, 9, 20, 8, 0, 0, 0, tokyo), time.Date(2026, 9, 22, 1, 0, 0, 0, tokyo),
			`daily_resting_heart_rate.date >= "2026-09-20" AND daily_resting_heart_rate.date < "2026-09-23"`},
		{SourceTotalCalories, day(2026, 9, 1), day(2026, 9, 2), ""},
		{"no-such-type", day(2026, 9, 1), day(2026, 9, 2), ""},
	} {
		if got := WindowFilter(tc.dataType, tc.start, tc.end); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.dataType, got, tc.want)
		}
	}
}

func TestWindowFilterCoversDecodedSources(t *testing.T) {
	t.Parallel()
	for _, s := range Sources() {
		if s == SourcePairedDevices || s == SourceTotalCalories {
			continue
		}
		if WindowFilter(s, testNow.Add(-time.Hour), testNow) == "" {
			t.Errorf("no filter for %s", s)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 9, 27, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]int{
		"": DefaultRetryAfter, "30": 30, "0": 1, "junk": DefaultRetryAfter,
		"Sun, 27 Sep 2026 12:01:30 GMT": 90, "Sun, 27 Sep 2026 11:00:00 GMT": 1,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %d, want %d", h, got, want)
		}
	}
}
