package fitbittest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 9, 27, 12, 0, 0, 0, time.UTC)

const testUser = "1173016576421350648"

// newTest starts an emulator over HTTP with one user and a token.
func newTest(t *testing.T, seed uint64) (*Server, *httptest.Server, string) {
	t.Helper()
	s := New(Config{Seed: seed, Now: func() time.Time { return testNow }, ClientID: "cid", ClientSecret: "csecret", HistoryDays: 10})
	s.AddUser(User{ID: testUser})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	at, _ := s.IssueToken(testUser)
	return s, srv, at
}

// get sends an authenticated GET and returns the status, header and body.
func get(t *testing.T, srv *httptest.Server, token, path string, q url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

const hrPath = "/v4/users/me/dataTypes/heart-rate/dataPoints"

func hrFilter(lo, hi string) url.Values {
	return url.Values{"filter": {`heart_rate.sample_time.physical_time >= "` + lo + `" AND heart_rate.sample_time.physical_time < "` + hi + `"`},
		"pageSize": {"1000"}}
}

func TestDeterministicBySeed(t *testing.T) {
	t.Parallel()
	q := hrFilter("2026-09-20T00:00:00Z", "2026-09-21T00:00:00Z")
	_, srvA, atA := newTest(t, 42)
	_, srvB, atB := newTest(t, 42)
	_, srvC, atC := newTest(t, 43)
	_, _, a := get(t, srvA, atA, hrPath, q)
	_, _, b := get(t, srvB, atB, hrPath, q)
	_, _, c := get(t, srvC, atC, hrPath, q)
	if string(a) != string(b) {
		t.Error("same seed, different data")
	}
	if string(a) == string(c) {
		t.Error("different seeds, same data")
	}
	var page struct {
		DataPoints []struct {
			Name      string `json:"name"`
			HeartRate struct {
				SampleTime struct {
					PhysicalTime string `json:"physicalTime"`
				} `json:"sampleTime"`
				BeatsPerMinute json.RawMessage `json:"beatsPerMinute"`
			} `json:"heartRate"`
		} `json:"dataPoints"`
	}
	if err := json.Unmarshal(a, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.DataPoints) != 144 {
		t.Fatalf("%d points, want 144", len(page.DataPoints))
	}
	first := page.DataPoints[0]
	if first.Name != "" || first.HeartRate.BeatsPerMinute[0] != '"' || first.HeartRate.SampleTime.PhysicalTime != "2026-09-20T23:50:00Z" {
		t.Errorf("first point: name %q, bpm %s, time %s; want no name, a string, newest first",
			first.Name, first.HeartRate.BeatsPerMinute, first.HeartRate.SampleTime.PhysicalTime)
	}
}

func TestFilterParsing(t *testing.T) {
	t.Parallel()
	hr, sleep, ecg, daily := catalog["heart-rate"], catalog["sleep"], catalog["electrocardiogram"], catalog["daily-resting-heart-rate"]
	for _, tc := range []struct {
		t      typeSpec
		filter string
		want   string // detailed reason; "" for accepted
	}{
		{hr, ``, ""},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" AND heart_rate.sample_time.physical_time < "2026-09-25T10:05:00Z"`, ""},
		{hr, `heart_rate.sample_time.civil_time >= "2026-09-25" AND heart_rate.sample_time.civil_time < "2026-09-25T12:00:00"`, ""},
		{sleep, `sleep.interval.end_time >= "2023-11-24T00:00:00Z" AND sleep.interval.end_time < "2023-11-25T00:00:00Z"`, ""},
		{ecg, `electrocardiogram.interval.start_time >= "2026-03-01T00:00:00Z"`, ""},
		{daily, `daily_resting_heart_rate.date < "2024-08-15"`, ""},
		{hr, `heart-rate.sample_time.physical_time >= "2026-09-25T10:00:00Z"`, "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"},
		{sleep, `sleep.interval.civil_start_time >= "2026-09-20"`, "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"},
		{hr, `heart_rate.sample_time.physical_time <= "2026-09-25T10:00:00Z"`, "INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARATOR"},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z`, "INVALID_DATA_POINT_FILTER_SYNTAX"},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" heart_rate.sample_time.physical_time < "2026-09-26T10:00:00Z"`, "INVALID_DATA_POINT_FILTER_UNEXPECTED_TOKEN"},
		{hr, `heart_rate.sample_time.physical_time >=`, "INVALID_DATA_POINT_FILTER_UNEXPECTED_END_OF_INPUT"},
		{hr, `heart_rate.sample_time.physical_time >= "yesterday"`, "INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE"},
		{hr, `heart_rate.sample_time.physical_time >= 2026`, "INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE"},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" OR heart_rate.sample_time.physical_time < "2026-09-20T00:00:00Z"`, "INVALID_DATA_POINT_FILTER_EXPRESSION_STRUCTURE"},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" AND heart_rate.sample_time.civil_time < "2026-09-26"`, "INVALID_DATA_POINT_FILTER_MIXED_TIME_RESTRICTIONS"},
		{hr, `heart_rate.sample_time.physical_time >= "2026-09-25T10:00:00Z" AND heart_rate.sample_time.physical_time < "2026-09-25T10:00:00Z"`, "INVALID_TIME_RANGE"},
		{ecg, `electrocardiogram.interval.start_time < "2026-03-01T00:00:00Z"`, "INVALID_DATA_POINT_FILTER_DATA_TYPE_RESTRICTION"},
		{daily, `daily_resting_heart_rate.date >= "2026-09-20T00:00:00"`, "INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARABLE"},
		{hr, `heart_rate.sample_time.physical_time >= "x" ; DROP`, "INVALID_DATA_POINT_FILTER_SYNTAX"},
	} {
		_, err := parseFilter(tc.t, tc.filter)
		var fe *filterError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.filter, err)
		case tc.want != "" && (!errors.As(err, &fe) || fe.detailed != tc.want):
			t.Errorf("%s: err = %v, want %s", tc.filter, err, tc.want)
		}
	}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	s, srv, at := newTest(t, 1)
	// Missing token.
	code, h, body := get(t, srv, "", "/v4/users/me/identity", nil)
	if code != 401 || !strings.Contains(string(body), "CREDENTIALS_MISSING") || h.Get("WWW-Authenticate") == "" {
		t.Errorf("missing token: %d %s", code, body)
	}
	// Expired token.
	code, _, body = get(t, srv, "ya29.unknown", "/v4/users/me/identity", nil)
	if code != 401 || !strings.Contains(string(body), `"UNAUTHENTICATED"`) {
		t.Errorf("bad token: %d %s", code, body)
	}
	// Unknown route: HTML.
	code, h, _ = get(t, srv, at, "/v4/users/me/devices", nil)
	if code != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("unknown route: %d %s", code, h.Get("Content-Type"))
	}
	// Bad filter: 400 with both details.
	code, _, body = get(t, srv, at, hrPath, url.Values{"filter": {`heart-rate.x >= "1"`}})
	var st struct {
		Error struct {
			Code    int    `json:"code"`
			Status  string `json:"status"`
			Details []struct {
				Type   string `json:"@type"`
				Reason string `json:"reason"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &st); err != nil || code != 400 || st.Error.Status != "INVALID_ARGUMENT" ||
		len(st.Error.Details) != 2 || st.Error.Details[0].Reason != "INVALID_DATA_POINT_FILTER" {
		t.Errorf("bad filter: %d %s", code, body)
	}
	// A page token is bound to its query.
	q := hrFilter("2026-09-20T00:00:00Z", "2026-09-21T00:00:00Z")
	q.Set("pageSize", "100")
	_, _, body = get(t, srv, at, hrPath, q)
	var page struct {
		NextPageToken string `json:"nextPageToken"`
	}
	_ = json.Unmarshal(body, &page)
	if page.NextPageToken == "" {
		t.Fatal("no next page")
	}
	other := hrFilter("2026-09-19T00:00:00Z", "2026-09-21T00:00:00Z")
	other.Set("pageToken", page.NextPageToken)
	if code, _, _ = get(t, srv, at, hrPath, other); code != 400 {
		t.Errorf("page token with another filter: %d, want 400", code)
	}
	// total-calories has no list.
	if code, _, _ = get(t, srv, at, "/v4/users/me/dataTypes/total-calories/dataPoints", nil); code != 400 {
		t.Errorf("total-calories list: %d, want 400", code)
	}
	// An empty window is the literal {}.
	if code, _, body = get(t, srv, at, hrPath, hrFilter("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")); code != 200 || string(body) != "{}" {
		t.Errorf("empty window: %d %s", code, body)
	}
	if s.Count(ListEndpoint("heart-rate")) != 4 {
		t.Errorf("heart-rate count = %d, want 4", s.Count(ListEndpoint("heart-rate")))
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	_, srv, _ := newTest(t, 1)
	post := func(form url.Values) (int, map[string]string) {
		resp, err := srv.Client().PostForm(srv.URL+TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, b := post(url.Values{"client_id": {"cid"}, "client_secret": {"nope"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}); code != 401 || b["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", code, b)
	}
	if code, b := post(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}); code != 400 || b["error"] != "invalid_grant" {
		t.Errorf("unknown refresh token: %d %v", code, b)
	}
	if code, b := post(url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "grant_type": {"password"}}); code != 400 || b["error"] != "unsupported_grant_type" {
		t.Errorf("unknown grant: %d %v", code, b)
	}
}

func TestPlainPKCE(t *testing.T) {
	t.Parallel()
	s, srv, _ := newTest(t, 1)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {"cid"}, "redirect_uri": {"https://ohx.example/cb"},
		"scope": {strings.Join(ReadScopes, " ")}, "state": {"s"}, "code_challenge": {"plain-verifier-0123456789012345678901234567"},
		"code_challenge_method": {"plain"}}
	resp, err := hc.Get(srv.URL + AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	form := url.Values{"client_id": {"cid"}, "client_secret": {"csecret"}, "grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"https://ohx.example/cb"}, "code_verifier": {"plain-verifier-0123456789012345678901234567"}}
	r2, err := srv.Client().PostForm(srv.URL+TokenPath, form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(r2.Body).Decode(&tok)
	r2.Body.Close()
	if r2.StatusCode != 200 || tok["refresh_token"] == nil || tok["refresh_token_expires_in"] == nil {
		t.Errorf("plain PKCE exchange: %d %v", r2.StatusCode, tok["error"])
	}
	if s.Count(EndpointToken) != 1 || s.Count(EndpointAuthorize) != 1 {
		t.Error("counts wrong")
	}
}

func TestQuotaPerUser(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 1, Now: func() time.Time { return testNow }, QuotaPerMinute: 1, HistoryDays: 1})
	s.AddUser(User{ID: testUser})
	s.AddUser(User{ID: "42"})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	a, _ := s.IssueToken(testUser)
	b, _ := s.IssueToken("42")
	if code, _, _ := get(t, srv, a, "/v4/users/me/identity", nil); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	code, h, body := get(t, srv, a, "/v4/users/me/identity", nil)
	if code != 429 || h.Get("Retry-After") != "60" || !strings.Contains(string(body), "RESOURCE_EXHAUSTED") {
		t.Errorf("over quota: %d Retry-After %q %s", code, h.Get("Retry-After"), body)
	}
	if code, _, _ := get(t, srv, b, "/v4/users/me/identity", nil); code != 200 {
		t.Errorf("another user's quota: %d", code)
	}
}
