package fitbit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// MaxPages bounds how many pages ListAll and PairedDevices follow: a window
// needing more is too wide (a day of 1 s heart rate is ~9 pages of 10000)
// or the API is looping.
const MaxPages = 200

// dataTypeID is a kebab-case data type id; anything else never reaches a
// URL path.
var dataTypeID = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// DefaultPageSize returns the page size ListDataPoints sends for dataType
// when given none: the maximum of 25 for sleep and exercise (§3.6), 10 for
// electrocardiogram (whose points carry thousands of samples), and 1000
// otherwise. A page size is always sent, since the server default differs
// by type.
func DefaultPageSize(dataType string) int {
	switch dataType {
	case sourceSleep, "exercise":
		return 25
	case sourceECG:
		return 10
	default:
		return 1000
	}
}

// Identity returns the user's Google Health user id, which is the link's
// external user id and the id in webhook notifications, and the legacy
// Fitbit user id, which may be empty and must only be used to map old
// links (§2.5).
func (c *Client) Identity(ctx context.Context, ts TokenSource) (healthUserID, legacyUserID string, err error) {
	raw, _, err := c.authedPage(ctx, ts, request{op: "users.getIdentity", method: http.MethodGet,
		url: c.apiURL + "/v4/users/me/identity"})
	if err != nil {
		return "", "", err
	}
	var id struct {
		HealthUserID string `json:"healthUserId"`
		LegacyUserID string `json:"legacyUserId"`
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		return "", "", health.Errorf(health.KindBadProvider, "fitbit users.getIdentity: unreadable body (%d bytes)", len(raw))
	}
	if id.HealthUserID == "" {
		return "", "", health.Errorf(health.KindBadProvider, "fitbit users.getIdentity: no healthUserId")
	}
	return id.HealthUserID, id.LegacyUserID, nil
}

// pageHead is the part of a page the client reads itself.
type pageHead struct {
	NextPageToken *string `json:"nextPageToken"`
}

// nextToken checks that a 2xx body is a JSON object and returns its
// nextPageToken. An unreadable body is temporary (truncation, a proxy
// page), so the attempt is retried.
func nextToken(op string, raw []byte) (string, error) {
	var h pageHead
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &h) != nil {
		return "", health.Errorf(health.KindTransient, "fitbit %s: response is not a JSON object (%d bytes)", op, len(raw))
	}
	if h.NextPageToken == nil {
		return "", nil
	}
	return *h.NextPageToken, nil
}

// authedPage is authed for a paged read: a 2xx body that is not a JSON
// object counts as a failed, retryable attempt, and the next page token is
// returned beside the body.
func (c *Client) authedPage(ctx context.Context, ts TokenSource, r request) ([]byte, string, error) {
	var next string
	r.check = func(raw []byte) error {
		var err error
		next, err = nextToken(r.op, raw)
		return err
	}
	raw, err := c.authed(ctx, ts, r)
	if err != nil {
		return nil, "", err
	}
	return raw, next, nil
}

// ListDataPoints fetches one page of dataType's data points
// (users.dataTypes.dataPoints.list) matching filter (see WindowFilter), and
// returns the raw body for Decode and the token of the next page, "" on
// the last. pageSize ≤ 0 sends DefaultPageSize.
func (c *Client) ListDataPoints(ctx context.Context, ts TokenSource, dataType, filter, pageToken string, pageSize int) (body []byte, nextPageToken string, err error) {
	if !dataTypeID.MatchString(dataType) {
		return nil, "", health.Errorf(health.KindInvalid, "fitbit dataPoints.list: malformed data type id")
	}
	if pageSize <= 0 {
		pageSize = DefaultPageSize(dataType)
	}
	q := url.Values{"pageSize": {strconv.Itoa(pageSize)}}
	if filter != "" {
		q.Set("filter", filter)
	}
	if pageToken != "" {
		q.Set("pageToken", pageToken)
	}
	return c.authedPage(ctx, ts, request{op: "dataPoints.list " + dataType, method: http.MethodGet,
		url: c.apiURL + "/v4/users/me/dataTypes/" + dataType + "/dataPoints?" + q.Encode()})
}

// ListAll follows nextPageToken from the first page of dataType's points
// matching filter and returns every raw page, each one for Decode. More
// than MaxPages pages, or a page token repeated, is KindBadProvider.
func (c *Client) ListAll(ctx context.Context, ts TokenSource, dataType, filter string) ([][]byte, error) {
	var pages [][]byte
	seen := map[string]bool{}
	token := ""
	for range MaxPages {
		body, next, err := c.ListDataPoints(ctx, ts, dataType, filter, token, 0)
		if err != nil {
			return nil, err
		}
		pages = append(pages, body)
		if next == "" {
			return pages, nil
		}
		if seen[next] {
			return nil, health.Errorf(health.KindBadProvider, "fitbit dataPoints.list %s: page token repeated", dataType)
		}
		seen[next], token = true, next
	}
	return nil, health.Errorf(health.KindBadProvider, "fitbit dataPoints.list %s: more than %d pages", dataType, MaxPages)
}

// PairedDevices lists the user's paired first-party trackers, watches and
// scales (users.pairedDevices.list, settings.readonly scope) and returns one
// {"pairedDevices":[…]} body for Decode(SourcePairedDevices, …), merging
// pages if there is more than one.
func (c *Client) PairedDevices(ctx context.Context, ts TokenSource) ([]byte, error) {
	var all []json.RawMessage
	token := ""
	for range MaxPages {
		q := url.Values{"pageSize": {"100"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		raw, next, err := c.authedPage(ctx, ts, request{op: "pairedDevices.list", method: http.MethodGet,
			url: c.apiURL + "/v4/users/me/pairedDevices?" + q.Encode()})
		if err != nil {
			return nil, err
		}
		var page struct {
			PairedDevices []json.RawMessage `json:"pairedDevices"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, health.Errorf(health.KindBadProvider, "fitbit pairedDevices.list: unreadable body (%d bytes)", len(raw))
		}
		if next == "" && token == "" {
			return raw, nil // a single page goes out as Google sent it
		}
		all = append(all, page.PairedDevices...)
		if next == "" || next == token {
			out, err := json.Marshal(map[string]any{"pairedDevices": all})
			if err != nil {
				return nil, health.Errorf(health.KindInternal, "fitbit pairedDevices.list: merging pages")
			}
			return out, nil
		}
		token = next
	}
	return nil, health.Errorf(health.KindBadProvider, "fitbit pairedDevices.list: more than %d pages", MaxPages)
}

// maxRollUpDays is the longest dailyRollUp range per data type (§3.7).
func maxRollUpDays(dataType string) int {
	switch dataType {
	case SourceTotalCalories, "heart-rate", "active-minutes", "calories-in-heart-rate-zone":
		return 14
	default:
		return 90
	}
}

// civilDateJSON is a google.type.Date; numbers without leading zeros, as
// the API requires (§3.7).
type civilDateJSON struct {
	Year  int `json:"year"`
	Month int `json:"month"`
	Day   int `json:"day"`
}

func civilOf(t time.Time) civilDateJSON {
	return civilDateJSON{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// DailyRollUp fetches one page of dataType's per-day aggregates
// (dataPoints:dailyRollUp, one-day windows) for the civil days from
// firstDay up to but excluding endDay (closed-open, §3.7; only the dates
// of the two times count), and returns the raw body and the next page
// token. It is how total-calories is read, which has no list: hand the body
// to Decode(SourceTotalCalories, …). A range longer than the type's limit
// (14 days for total-calories and heart-rate, 90 otherwise) is KindInvalid.
func (c *Client) DailyRollUp(ctx context.Context, ts TokenSource, dataType string, firstDay, endDay time.Time, pageToken string) (body []byte, nextPageToken string, err error) {
	op := "dataPoints.dailyRollUp " + dataType
	if !dataTypeID.MatchString(dataType) {
		return nil, "", health.Errorf(health.KindInvalid, "fitbit dataPoints.dailyRollUp: malformed data type id")
	}
	a := time.Date(firstDay.Year(), firstDay.Month(), firstDay.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(endDay.Year(), endDay.Month(), endDay.Day(), 0, 0, 0, 0, time.UTC)
	days := int(b.Sub(a) / (24 * time.Hour))
	if days < 1 || days > maxRollUpDays(dataType) {
		return nil, "", health.Errorf(health.KindInvalid, "fitbit %s: range of %d days, want 1 to %d", op, days, maxRollUpDays(dataType))
	}
	type civilDateTime struct {
		Date civilDateJSON `json:"date"`
	}
	req := struct {
		Range struct {
			Start civilDateTime `json:"start"`
			End   civilDateTime `json:"end"`
		} `json:"range"`
		WindowSizeDays int    `json:"windowSizeDays"`
		PageToken      string `json:"pageToken,omitempty"`
	}{WindowSizeDays: 1, PageToken: pageToken}
	req.Range.Start.Date, req.Range.End.Date = civilOf(a), civilOf(b)
	js, err := json.Marshal(req)
	if err != nil {
		return nil, "", health.Errorf(health.KindInternal, "fitbit %s: encoding the request", op)
	}
	return c.authedPage(ctx, ts, request{op: op, method: http.MethodPost, json: js,
		url: c.apiURL + "/v4/users/me/dataTypes/" + dataType + "/dataPoints:dailyRollUp"})
}

// String names the operation; it exists so that %v of a request in a test
// failure shows no token.
func (r request) String() string { return fmt.Sprintf("request{%s}", r.op) }
