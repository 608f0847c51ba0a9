package withings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Service paths of the Withings API.
const (
	pathMeasure   = "/measure"
	pathMeasureV2 = "/v2/measure"
	pathSleep     = "/v2/sleep"
	pathHeart     = "/v2/heart"
	pathUser      = "/v2/user"
	pathNotify    = "/notify"
	pathOAuth     = "/v2/oauth2"
)

// MaxWindow is the longest range Withings answers in one intraday activity
// or sleep series call; longer ranges are split into consecutive windows.
const MaxWindow = 24 * time.Hour

// maxPages stops a paginated call whose offsets never reach the end.
const maxPages = 1000

// dayLayout is the YYYY-MM-DD form of the *ymd parameters.
const dayLayout = "2006-01-02"

// MeasureQuery selects measure groups for Getmeas. Either Start and End, or
// LastUpdate (groups created or modified since, for incremental sync), must
// be set. Category defaults to 1 (real measures; 2 is user objectives).
type MeasureQuery struct {
	Types      []int
	Category   int
	Start, End time.Time
	LastUpdate time.Time
}

// DayQuery selects daily records (Getactivity, Sleep Getsummary) by day,
// From and To inclusive and formatted in their own location, or by
// LastUpdate. Fields lists data_fields; empty asks for Withings' default.
type DayQuery struct {
	From, To   time.Time
	LastUpdate time.Time
	Fields     []string
}

// GetMeas returns the raw body of every Getmeas page, fetching pages until
// Withings reports no more.
func (c *Client) GetMeas(ctx context.Context, ts TokenSource, q MeasureQuery) ([]json.RawMessage, error) {
	form := url.Values{}
	if len(q.Types) > 0 {
		form.Set("meastypes", joinInts(q.Types))
	}
	category := q.Category
	if category == 0 {
		category = 1
	}
	form.Set("category", strconv.Itoa(category))
	if err := setRange(form, "measure getmeas", q.Start, q.End, q.LastUpdate); err != nil {
		return nil, err
	}
	return c.paginate(ctx, ts, pathMeasure, "getmeas", form)
}

// GetActivity returns the raw body of every Getactivity page (daily
// aggregates).
func (c *Client) GetActivity(ctx context.Context, ts TokenSource, q DayQuery) ([]json.RawMessage, error) {
	form, err := dayForm("v2/measure getactivity", q)
	if err != nil {
		return nil, err
	}
	return c.paginate(ctx, ts, pathMeasureV2, "getactivity", form)
}

// GetSleepSummary returns the raw body of every Sleep Getsummary page (one
// series item per night).
func (c *Client) GetSleepSummary(ctx context.Context, ts TokenSource, q DayQuery) ([]json.RawMessage, error) {
	form, err := dayForm("v2/sleep getsummary", q)
	if err != nil {
		return nil, err
	}
	return c.paginate(ctx, ts, pathSleep, "getsummary", form)
}

// GetIntradayActivity returns one raw body per window of at most MaxWindow
// covering [start, end], because Withings answers only the first 24 hours
// after startdate.
func (c *Client) GetIntradayActivity(ctx context.Context, ts TokenSource, start, end time.Time, fields []string) ([]json.RawMessage, error) {
	return c.windowed(ctx, ts, pathMeasureV2, "getintradayactivity", start, end, fields)
}

// GetSleep returns one raw Sleep Get body (sleep states with hr, rr and the
// other requested series) per window of at most MaxWindow covering
// [start, end].
func (c *Client) GetSleep(ctx context.Context, ts TokenSource, start, end time.Time, fields []string) ([]json.RawMessage, error) {
	return c.windowed(ctx, ts, pathSleep, "get", start, end, fields)
}

// ListHeart returns the raw body of every Heart List page (ECG recordings
// and BPM Core readings between start and end).
func (c *Client) ListHeart(ctx context.Context, ts TokenSource, start, end time.Time) ([]json.RawMessage, error) {
	form := url.Values{}
	if err := setRange(form, "v2/heart list", start, end, time.Time{}); err != nil {
		return nil, err
	}
	return c.paginate(ctx, ts, pathHeart, "list", form)
}

// GetHeartSignal returns the raw Heart Get body of one ECG recording: the
// signal in µV, its sampling frequency and wear position.
func (c *Client) GetHeartSignal(ctx context.Context, ts TokenSource, signalID int64) (json.RawMessage, error) {
	if signalID <= 0 {
		return nil, health.Errorf(health.KindInvalid, "withings v2/heart get: signal id must be positive")
	}
	form := url.Values{"signalid": {strconv.FormatInt(signalID, 10)}}
	return c.authed(ctx, ts, pathHeart, "get", form)
}

// GetDevices returns the raw User Getdevice body listing the user's devices.
func (c *Client) GetDevices(ctx context.Context, ts TokenSource) (json.RawMessage, error) {
	return c.authed(ctx, ts, pathUser, "getdevice", url.Values{})
}

// windowed calls a 24-hour-capped endpoint once per window. The windows are
// [s, s+24h-1s] so that a sample on a boundary second is returned once.
func (c *Client) windowed(ctx context.Context, ts TokenSource, path, action string, start, end time.Time, fields []string) ([]json.RawMessage, error) {
	op := opName(path, action)
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return nil, health.Errorf(health.KindInvalid, "withings %s: need start <= end", op)
	}
	var bodies []json.RawMessage
	for _, w := range splitWindows(start, end, MaxWindow) {
		form := url.Values{
			"startdate": {unix(w[0])},
			"enddate":   {unix(w[1])},
		}
		if len(fields) > 0 {
			form.Set("data_fields", strings.Join(fields, ","))
		}
		body, err := c.authed(ctx, ts, path, action, form)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, body)
	}
	return bodies, nil
}

// splitWindows cuts [start, end] at whole seconds into windows no longer
// than max, each ending one second before the next begins.
func splitWindows(start, end time.Time, max time.Duration) [][2]time.Time {
	start, end = start.Truncate(time.Second), end.Truncate(time.Second)
	var out [][2]time.Time
	for s := start; !s.After(end); s = s.Add(max) {
		e := s.Add(max - time.Second)
		if e.After(end) {
			e = end
		}
		out = append(out, [2]time.Time{s, e})
	}
	return out
}

// pageCursor is the part of a paginated body that drives pagination.
type pageCursor struct {
	More   moreFlag `json:"more"`
	Offset int64    `json:"offset"`
}

// moreFlag accepts the forms Withings uses for "more": 0/1, false/true, null.
type moreFlag bool

// UnmarshalJSON reads a number, a boolean or null.
func (m *moreFlag) UnmarshalJSON(data []byte) error {
	switch s := string(bytes.TrimSpace(data)); s {
	case "true":
		*m = true
	case "false", "null", "0", `"0"`, `""`:
		*m = false
	default:
		n, err := strconv.ParseFloat(strings.Trim(s, `"`), 64)
		if err != nil {
			return fmt.Errorf("more is neither a number nor a boolean")
		}
		*m = n != 0
	}
	return nil
}

// paginate repeats a call with the offset of each page until more is false.
func (c *Client) paginate(ctx context.Context, ts TokenSource, path, action string, form url.Values) ([]json.RawMessage, error) {
	op := opName(path, action)
	var pages []json.RawMessage
	var last int64
	for range maxPages {
		body, err := c.authed(ctx, ts, path, action, form)
		if err != nil {
			return nil, err
		}
		pages = append(pages, body)
		if len(body) == 0 || body[0] != '{' {
			return pages, nil // an empty result may come as []
		}
		var cur pageCursor
		if err := json.Unmarshal(body, &cur); err != nil {
			return nil, health.Errorf(health.KindBadProvider, "withings %s: unreadable more/offset", op)
		}
		if !cur.More {
			return pages, nil
		}
		if cur.Offset <= last {
			return nil, health.Errorf(health.KindBadProvider, "withings %s: page offset did not advance", op)
		}
		last = cur.Offset
		form.Set("offset", strconv.FormatInt(cur.Offset, 10))
	}
	return nil, health.Errorf(health.KindBadProvider, "withings %s: more than %d pages", op, maxPages)
}

// setRange sets startdate/enddate or lastupdate.
func setRange(form url.Values, op string, start, end, lastUpdate time.Time) error {
	switch {
	case !lastUpdate.IsZero():
		form.Set("lastupdate", unix(lastUpdate))
	case !start.IsZero() && !end.IsZero() && !end.Before(start):
		form.Set("startdate", unix(start))
		form.Set("enddate", unix(end))
	default:
		return health.Errorf(health.KindInvalid, "withings %s: need start <= end or a last-update time", op)
	}
	return nil
}

func dayForm(op string, q DayQuery) (url.Values, error) {
	form := url.Values{}
	switch {
	case !q.LastUpdate.IsZero():
		form.Set("lastupdate", unix(q.LastUpdate))
	case !q.From.IsZero() && !q.To.IsZero() && q.From.Format(dayLayout) <= q.To.Format(dayLayout):
		form.Set("startdateymd", q.From.Format(dayLayout))
		form.Set("enddateymd", q.To.Format(dayLayout))
	default:
		return nil, health.Errorf(health.KindInvalid, "withings %s: need from <= to or a last-update time", op)
	}
	if len(q.Fields) > 0 {
		form.Set("data_fields", strings.Join(q.Fields, ","))
	}
	return form, nil
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
