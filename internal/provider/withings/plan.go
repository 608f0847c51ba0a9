package withings

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// The data groups ohx fetches from Withings. A group is fetched as a whole:
// one sync job per link, group and window. The strings are stable: they
// appear in job args and sync state.
const (
	GroupMeasures = "measures" // getmeas: body, vitals, ECG intervals, AF from PPG
	GroupECG      = "ecg"      // heart list + get: ECG waveforms
	GroupActivity = "activity" // getactivity + getintradayactivity
	GroupSleep    = "sleep"    // sleep getsummary + get
	GroupDevices  = "devices"  // user getdevice
)

// Groups lists every data group.
func Groups() []string {
	return []string{GroupMeasures, GroupECG, GroupActivity, GroupSleep, GroupDevices}
}

// GroupsOf returns the groups a notification of appli announces; events
// that announce no data (bed in/out, user actions) return none.
func GroupsOf(a Appli) []string {
	switch a {
	case AppliWeight, AppliTemperature, AppliPressure, AppliGlucose:
		return []string{GroupMeasures}
	case AppliECG:
		return []string{GroupECG, GroupMeasures}
	case AppliActivity:
		return []string{GroupActivity}
	case AppliSleep:
		return []string{GroupSleep}
	}
	return nil
}

// Fetcher fetches one data group of one linked user and decodes it. It
// holds two clients over the same quota: Priority for webhook-driven work
// and Bulk for backfill, whose limiter leaves room for the first.
type Fetcher struct {
	Priority, Bulk *Client
	// Tokens returns the token source of a link.
	Tokens func(linkID int64) TokenSource
}

// measureRecord matches the Observation identifier values of getmeas
// records ("withings:<kind>:<grpid>:<meastype|bp|ecg>"): a windowed getmeas
// returns every one of them in the window, so a missing one was deleted.
var measureRecord = regexp.MustCompile(`^withings:[a-z0-9_]+:[0-9]+:([0-9]+|bp|ecg)$`)

// OwnsIdentifier reports whether a published Observation identifier value
// belongs to group and is complete in a windowed fetch of it, so that its
// absence means the user deleted the record at Withings.
func (f *Fetcher) OwnsIdentifier(group, value string) bool {
	return group == GroupMeasures && measureRecord.MatchString(value)
}

// Groups lists the data groups this fetcher serves.
func (f *Fetcher) Groups() []string { return Groups() }

// Fetch returns the batches of group for linkID between start and end, or,
// for measures with a cursor and no window, changed since the cursor (a
// Withings updatetime). next is the cursor for the following incremental
// fetch ("" when the group has none).
func (f *Fetcher) Fetch(ctx context.Context, linkID int64, group string, start, end time.Time, cursor string, bulk bool) (batches []health.Batch, next string, err error) {
	c := f.Priority
	if bulk && f.Bulk != nil {
		c = f.Bulk
	}
	ts := f.Tokens(linkID)
	switch group {
	case GroupMeasures:
		return fetchMeasures(ctx, c, ts, start, end, cursor)
	case GroupECG:
		b, err := fetchECG(ctx, c, ts, start, end)
		return b, "", err
	case GroupActivity:
		b, err := fetchDaily(ctx, c, ts, start, end, c.GetActivity, DecodeActivityPage, fetchIntraday)
		return b, "", err
	case GroupSleep:
		b, err := fetchDaily(ctx, c, ts, start, end, c.GetSleepSummary, DecodeSleepSummaryPage, fetchSleepSeries)
		return b, "", err
	case GroupDevices:
		body, err := c.GetDevices(ctx, ts)
		if err != nil {
			return nil, "", err
		}
		b, err := decodePages([]json.RawMessage{body}, DecodeDevicePage)
		return b, "", err
	}
	return nil, "", health.Errorf(health.KindInvalid, "withings: unknown data group %q", group)
}

// pager is any decoded page that converts to a Batch.
type pager interface{ Batch() (health.Batch, error) }

func decodePages[P pager](bodies []json.RawMessage, decode func([]byte) (P, error)) ([]health.Batch, error) {
	out := make([]health.Batch, 0, len(bodies))
	for _, body := range bodies {
		p, err := decode(body)
		if err != nil {
			return nil, err
		}
		b, err := p.Batch()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func fetchMeasures(ctx context.Context, c *Client, ts TokenSource, start, end time.Time, cursor string) ([]health.Batch, string, error) {
	q := MeasureQuery{Start: start, End: end}
	if start.IsZero() && cursor != "" {
		sec, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil {
			return nil, "", health.Errorf(health.KindInvalid, "withings: measures cursor is not a unix time")
		}
		q = MeasureQuery{LastUpdate: time.Unix(sec, 0)}
	}
	bodies, err := c.GetMeas(ctx, ts, q)
	if err != nil {
		return nil, "", err
	}
	var next int64
	var out []health.Batch
	for _, body := range bodies {
		p, err := DecodeMeasurePage(body)
		if err != nil {
			return nil, "", err
		}
		next = max(next, p.UpdateTime.V)
		b, err := p.Batch()
		if err != nil {
			return nil, "", err
		}
		out = append(out, b)
	}
	if next == 0 {
		return out, "", nil
	}
	return out, strconv.FormatInt(next, 10), nil
}

// fetchECG lists the recordings and fetches each one's waveform, so the
// whole signal reaches the mapping.
func fetchECG(ctx context.Context, c *Client, ts TokenSource, start, end time.Time) ([]health.Batch, error) {
	bodies, err := c.ListHeart(ctx, ts, start, end)
	if err != nil {
		return nil, err
	}
	var out []health.Batch
	for _, body := range bodies {
		page, err := DecodeHeartListPage(body)
		if err != nil {
			return nil, err
		}
		for i := range page.Series {
			id := page.Series[i].ECG.SignalID.V
			if id <= 0 {
				continue // BPM Core blood pressure without ECG: getmeas carries it
			}
			raw, err := c.GetHeartSignal(ctx, ts, id)
			if err != nil {
				return nil, err
			}
			sig, err := DecodeHeartSignal(raw)
			if err != nil {
				return nil, err
			}
			page.Series[i].SetSignal(sig)
		}
		b, err := page.Batch()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// fetchDaily fetches day records for the days of [start, end] and then the
// series of the same window, aligned to whole hours so that every hourly
// series is complete in one fetch.
func fetchDaily[P pager](ctx context.Context, c *Client, ts TokenSource, start, end time.Time,
	days func(context.Context, TokenSource, DayQuery) ([]json.RawMessage, error), decode func([]byte) (P, error),
	series func(context.Context, *Client, TokenSource, time.Time, time.Time) ([]health.Batch, error)) ([]health.Batch, error) {
	if start.IsZero() || end.IsZero() {
		return nil, health.Errorf(health.KindInvalid, "withings: daily data needs a window")
	}
	// Days are the user's local days; a day either side covers any offset.
	bodies, err := days(ctx, ts, DayQuery{From: start.Add(-24 * time.Hour), To: end.Add(24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	out, err := decodePages(bodies, decode)
	if err != nil {
		return nil, err
	}
	from, to := start.Truncate(time.Hour), end.Truncate(time.Hour).Add(time.Hour-time.Second)
	more, err := series(ctx, c, ts, from, to)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

func fetchIntraday(ctx context.Context, c *Client, ts TokenSource, from, to time.Time) ([]health.Batch, error) {
	bodies, err := c.GetIntradayActivity(ctx, ts, from, to, nil)
	if err != nil {
		return nil, err
	}
	return decodePages(bodies, DecodeIntradayPage)
}

func fetchSleepSeries(ctx context.Context, c *Client, ts TokenSource, from, to time.Time) ([]health.Batch, error) {
	bodies, err := c.GetSleep(ctx, ts, from, to, []string{"hr", "rr", "hrv_sdnn", "hrv_rmssd"})
	if err != nil {
		return nil, err
	}
	return decodePages(bodies, DecodeSleepPage)
}
